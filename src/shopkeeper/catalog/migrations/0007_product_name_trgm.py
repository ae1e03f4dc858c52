"""Product name search on PostgreSQL: a trigram index makes `name ILIKE '%text%'` (Django's icontains,
`UPPER(name) LIKE UPPER(...)`) an index scan. SQLite reads its small product table instead."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS product_name_trgm ON catalog_product USING gin (UPPER(name::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS product_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_sku_prefix_index")]

    operations = [migrations.RunPython(create, drop)]
