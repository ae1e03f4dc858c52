from django.db import migrations, models


def keep_one_default(apps, schema_editor):
    """Before the constraint: if several price types are marked default, the first by position stays."""
    PriceType = apps.get_model("catalog", "PriceType")
    defaults = list(PriceType.objects.filter(is_default=True).order_by("position", "code"))
    for extra in defaults[1:]:
        extra.is_default = False
        extra.save(update_fields=["is_default"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_feed_source"),
    ]

    operations = [
        migrations.RunPython(keep_one_default, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="pricetype",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)),
                fields=("is_default",),
                name="catalog_one_default_price_type",
            ),
        ),
    ]
