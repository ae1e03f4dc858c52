"""PostgreSQL only: GIN indexes of the words of customers' and companies' `search_name`.

A trigram index cannot serve a fragment shorter than three characters, and Chinese surnames and given
names are one or two characters long; without these indexes such a search read every customer. Short
words are matched as word prefixes through `to_tsvector('simple', search_name)` (as SQLite's FTS5 index
matches every word). Nothing on SQLite.
"""

from django.db import migrations

INDEXES = [
    ("customer_search_name_words", "customers_customer"),
    ("company_search_name_words", "customers_company"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (to_tsvector('simple', search_name))"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_phone_fts_sqlite")]

    operations = [migrations.RunPython(forwards, backwards)]
