"""SQLite only: an FTS5 index of customers' `search_name`, kept current by triggers on the table.

Every writer of `search_name` goes through the services, but merges, erasures and bulk updates all
touch the column; triggers keep the index exact whatever the writer. PostgreSQL keeps its trigram
indexes (0002) and gets nothing here.
"""

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS customers_customer_name_fts USING fts5("
    "search_name, content='customers_customer', content_rowid='id', "
    "tokenize=\"unicode61 remove_diacritics 2\", prefix='2 3')",
    "CREATE TRIGGER IF NOT EXISTS customers_customer_name_fts_ai AFTER INSERT ON customers_customer BEGIN "
    "INSERT INTO customers_customer_name_fts(rowid, search_name) VALUES (new.id, new.search_name); END",
    "CREATE TRIGGER IF NOT EXISTS customers_customer_name_fts_ad AFTER DELETE ON customers_customer BEGIN "
    "INSERT INTO customers_customer_name_fts(customers_customer_name_fts, rowid, search_name) "
    "VALUES ('delete', old.id, old.search_name); END",
    "CREATE TRIGGER IF NOT EXISTS customers_customer_name_fts_au AFTER UPDATE OF search_name "
    "ON customers_customer BEGIN "
    "INSERT INTO customers_customer_name_fts(customers_customer_name_fts, rowid, search_name) "
    "VALUES ('delete', old.id, old.search_name); "
    "INSERT INTO customers_customer_name_fts(rowid, search_name) VALUES (new.id, new.search_name); END",
    "INSERT INTO customers_customer_name_fts(customers_customer_name_fts) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS customers_customer_name_fts_au",
    "DROP TRIGGER IF EXISTS customers_customer_name_fts_ad",
    "DROP TRIGGER IF EXISTS customers_customer_name_fts_ai",
    "DROP TABLE IF EXISTS customers_customer_name_fts",
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
    dependencies = [("customers", "0003_savedview")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
