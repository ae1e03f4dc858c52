"""An index for case-insensitive SKU prefix search on PostgreSQL (a no-op on SQLite).

`sku__istartswith=q` compiles to `UPPER("sku"::text) LIKE UPPER('q%')` on PostgreSQL. A plain btree on
UPPER(sku) (catalog_offer_sku_upper) cannot serve LIKE unless the database collation is "C"; the
text_pattern_ops operator class can, whatever the collation. SQLite's LIKE is case-insensitive by
itself and uses no such index, so nothing is created there. The index is not in the model state (it
needs a PostgreSQL operator class on an expression), so makemigrations leaves it alone.
"""

from django.db import migrations

INDEX = "catalog_offer_sku_upper_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_offer (UPPER(sku::text) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_one_default_price_type"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
