"""Bulk writers: COPY on PostgreSQL, executemany on SQLite, with secondary indexes dropped during the load.

Rows are tuples of the columns a generator varies; every other concrete column of the model gets its
field default, so a new column with a default never breaks the generator. Datetimes are naive UTC (what
Django stores on SQLite, and what PostgreSQL reads in the UTC session Django opens).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import JSONField, Model


def _default(field) -> Any:
    value = field.get_default() if field.has_default() else (None if field.null else "")
    if isinstance(field, JSONField):
        return json.dumps(value)
    if isinstance(value, Decimal | int | str | bool) or value is None:
        return value
    return value


class Table:
    def __init__(self, model: type[Model], columns: Sequence[str]) -> None:
        self.model = model
        self.name = model._meta.db_table
        by_column = {f.column: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(by_column)
        if unknown:
            raise ValueError(f"{self.name}: unknown columns {sorted(unknown)}")
        self.columns = list(columns)
        # Columns left out take their field default; an auto primary key left out is the database's.
        rest = [
            c
            for c, f in by_column.items()
            if c not in columns and not (f.primary_key and f.get_internal_type().endswith("AutoField"))
        ]
        self.const_columns = rest
        self.const = tuple(_default(by_column[c]) for c in rest)
        self.all_columns = self.columns + rest
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)


class Writer:
    """Buffers rows per table and flushes them in large batches."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.tables: dict[str, Table] = {}
        self.dropped: list[tuple[str, str]] = []

    def table(self, model: type[Model], columns: Sequence[str]) -> Table:
        t = Table(model, columns)
        self.tables[t.name] = t
        return t

    # --- session -------------------------------------------------------------------------
    def begin_load(self, big_models: Iterable[type[Model]]) -> None:
        connection.ensure_connection()
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                cur.execute("SET session_replication_role = replica")  # no FK triggers during the load
                cur.execute("SET synchronous_commit = off")
                cur.execute("SET maintenance_work_mem = '512MB'")
            else:
                cur.execute("PRAGMA foreign_keys = OFF")
                cur.execute("PRAGMA synchronous = OFF")
        for model in big_models:
            self._drop_indexes(model._meta.db_table)

    def end_load(self, log) -> None:
        with connection.cursor() as cur:
            for _name, sql in self.dropped:
                cur.execute(sql)
            log(f"  {len(self.dropped)} indexes rebuilt")
            if self.vendor == "postgresql":
                cur.execute("SET session_replication_role = origin")
            else:
                cur.execute("PRAGMA foreign_keys = ON")
        self.dropped = []

    def _drop_indexes(self, table: str) -> None:
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                cur.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint)",
                    [table],
                )
                found = cur.fetchall()
                for name, _sql in found:
                    cur.execute(f'DROP INDEX "{name}"')
            else:
                cur.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
                found = cur.fetchall()
                for name, _sql in found:
                    cur.execute(f'DROP INDEX "{name}"')
        self.dropped += found

    # --- rows ------------------------------------------------------------------------------
    def flush(self, *tables: Table) -> None:
        for t in tables or tuple(self.tables.values()):
            if not t.rows:
                continue
            self._write(t, t.rows)
            t.count += len(t.rows)
            t.rows = []

    def _write(self, t: Table, rows: list[tuple]) -> None:
        const = t.const
        cols = ", ".join(f'"{c}"' for c in t.all_columns)
        if self.vendor == "postgresql":
            raw = connection.connection
            with raw.cursor() as cur, cur.copy(f'COPY "{t.name}" ({cols}) FROM STDIN') as cp:
                for row in rows:
                    cp.write_row(row + const)
        else:
            raw = connection.connection
            marks = ", ".join("?" for _ in t.all_columns)
            started = not raw.in_transaction
            if started:
                raw.execute("BEGIN")
            raw.executemany(
                f'INSERT INTO "{t.name}" ({cols}) VALUES ({marks})',
                (row + const for row in rows),
            )
            if started:
                raw.execute("COMMIT")
