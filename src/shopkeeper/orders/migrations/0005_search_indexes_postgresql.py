"""Search indexes for the order list on PostgreSQL: trigram indexes make phone-fragment, email and name
searches index scans instead of reading every order; every branch of the search's OR has an index, so
PostgreSQL can combine them (BitmapOr). SQLite keeps its plain indexes (nothing to do there)."""

from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS order_phone_trgm ON orders_order USING gin (phone_digits gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS order_email_trgm ON orders_order USING gin (UPPER(email::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS order_name_trgm ON orders_order USING gin (UPPER(customer_name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS order_number_upper ON orders_order (UPPER(number::text))",
    "CREATE INDEX IF NOT EXISTS order_external_id ON orders_order (external_id)",
]
DROP = ["order_phone_trgm", "order_email_trgm", "order_name_trgm", "order_number_upper", "order_external_id"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in DROP:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_assignment_rules")]

    operations = [migrations.RunPython(create, drop)]
