"""SQLite only: a trigram FTS5 index of customers' phone digits, kept current by triggers, so a phone
fragment ("915 123") is found through an index instead of reading every phone (`LIKE '%...%'` read all
250k phones of the L data set: 21 ms a search). PostgreSQL has its trigram index (0002) instead.
"""

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS customers_customerphone_fts USING fts5("
    "digits, content='customers_customerphone', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS customers_customerphone_fts_ai AFTER INSERT ON customers_customerphone BEGIN "
    "INSERT INTO customers_customerphone_fts(rowid, digits) VALUES (new.id, new.digits); END",
    "CREATE TRIGGER IF NOT EXISTS customers_customerphone_fts_ad AFTER DELETE ON customers_customerphone BEGIN "
    "INSERT INTO customers_customerphone_fts(customers_customerphone_fts, rowid, digits) "
    "VALUES ('delete', old.id, old.digits); END",
    "CREATE TRIGGER IF NOT EXISTS customers_customerphone_fts_au AFTER UPDATE OF digits "
    "ON customers_customerphone BEGIN "
    "INSERT INTO customers_customerphone_fts(customers_customerphone_fts, rowid, digits) "
    "VALUES ('delete', old.id, old.digits); "
    "INSERT INTO customers_customerphone_fts(rowid, digits) VALUES (new.id, new.digits); END",
    "INSERT INTO customers_customerphone_fts(customers_customerphone_fts) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS customers_customerphone_fts_au",
    "DROP TRIGGER IF EXISTS customers_customerphone_fts_ad",
    "DROP TRIGGER IF EXISTS customers_customerphone_fts_ai",
    "DROP TABLE IF EXISTS customers_customerphone_fts",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_order_custom_fields")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
