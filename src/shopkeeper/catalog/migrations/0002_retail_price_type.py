from django.db import migrations


def create_retail(apps, schema_editor):
    PriceType = apps.get_model("catalog", "PriceType")
    PriceType.objects.get_or_create(code="retail", defaults={"name": "Retail", "is_default": True})


def noop(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_retail, noop)]
