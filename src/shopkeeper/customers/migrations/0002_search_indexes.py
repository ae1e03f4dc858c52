"""Search indexes: trigram GIN indexes on PostgreSQL (pg_trgm), nothing more on SQLite.

Phone digits, emails, names and company names are searched by fragment (`LIKE '%...%'`); a trigram GIN
index serves those on PostgreSQL. If the extension cannot be created (no privilege), the migration
still succeeds and search falls back to plain scans (see selectors.trigram_available).
"""

from django.db import migrations, transaction

INDEXES = [
    ("customer_phone_digits_trgm", "customers_customerphone", "digits"),
    ("customer_email_trgm", "customers_customeremail", "email"),
    ("customer_search_name_trgm", "customers_customer", "search_name"),
    ("company_search_name_trgm", "customers_company", "search_name"),
    ("company_taxid_value_trgm", "customers_companytaxid", "value"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege: search still works without the indexes
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
