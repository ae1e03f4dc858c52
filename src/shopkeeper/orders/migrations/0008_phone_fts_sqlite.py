"""SQLite only: a trigram FTS5 index of orders' `phone_digits`, kept current by triggers, so a phone
fragment ("915 123") is found through an index instead of reading every order (`LIKE '%...%'` on the
table reads all of them: 400 ms at 1M orders). PostgreSQL has its trigram index (0005) instead.
"""

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS orders_order_phone_fts USING fts5("
    "phone_digits, content='orders_order', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS orders_order_phone_fts_ai AFTER INSERT ON orders_order BEGIN "
    "INSERT INTO orders_order_phone_fts(rowid, phone_digits) VALUES (new.id, new.phone_digits); END",
    "CREATE TRIGGER IF NOT EXISTS orders_order_phone_fts_ad AFTER DELETE ON orders_order BEGIN "
    "INSERT INTO orders_order_phone_fts(orders_order_phone_fts, rowid, phone_digits) "
    "VALUES ('delete', old.id, old.phone_digits); END",
    "CREATE TRIGGER IF NOT EXISTS orders_order_phone_fts_au AFTER UPDATE OF phone_digits ON orders_order BEGIN "
    "INSERT INTO orders_order_phone_fts(orders_order_phone_fts, rowid, phone_digits) "
    "VALUES ('delete', old.id, old.phone_digits); "
    "INSERT INTO orders_order_phone_fts(rowid, phone_digits) VALUES (new.id, new.phone_digits); END",
    "INSERT INTO orders_order_phone_fts(orders_order_phone_fts) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS orders_order_phone_fts_au",
    "DROP TRIGGER IF EXISTS orders_order_phone_fts_ad",
    "DROP TRIGGER IF EXISTS orders_order_phone_fts_ai",
    "DROP TABLE IF EXISTS orders_order_phone_fts",
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
    dependencies = [("orders", "0007_status_total_index")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
