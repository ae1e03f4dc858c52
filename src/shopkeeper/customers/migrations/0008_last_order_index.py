from django.db import migrations, models

INDEX = "customer_last_order_idx"


def create(apps, schema_editor):
    # SQLite takes no NULLS LAST in an index, and needs none: its NULLs sort last when descending.
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f'CREATE INDEX "{INDEX}" ON "customers_customer" ("last_order_at" DESC{nulls}, "id" DESC)'
    )
    if schema_editor.connection.vendor == "sqlite":  # statistics for the new index (see orders 0010)
        schema_editor.execute('ANALYZE "customers_customer"')


def drop(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    """The customers list's "last order" sort: newest first, customers who never ordered last."""

    dependencies = [
        ("customers", "0007_name_words_pg"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(
                        models.OrderBy(models.F("last_order_at"), descending=True, nulls_last=True),
                        models.OrderBy(models.F("id"), descending=True),
                        name=INDEX,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
