"""Database helpers that Django does not offer itself."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connections, models, router, transaction


class EqualsAny(models.Lookup):
    """`column = ANY(array)` (PostgreSQL): `EqualsAny(F("col"), [1, 2])`, the values sent as one array,
    or `EqualsAny(F("pk"), ArraySubquery(...))`.

    Unlike `col IN (1)`, which the planner folds into `col = 1`, a one-element array leaves the column
    unpinned, so an ORDER BY that starts with it can only be served by an index that starts with it
    (see `orders.selectors.OrderFilter.order_prefix`). And unlike `pk IN (subquery)`, an array of a
    subquery's ids is collected first, then fetched by key (see `customers.selectors`)."""

    lookup_name = "equals_any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


@contextmanager
def joined_savepoints(active: bool = True) -> Iterator[None]:
    """Inside the block, atomic blocks do not open savepoints of their own: they join the enclosing
    one, as `atomic(savepoint=False)` would. An error inside any of them dooms the block up to the
    enclosing savepoint, which the caller must have opened (and rolls back) itself.

    Every service opens its own atomic block, so a batch that processes each item under one savepoint
    would otherwise pay four or five more savepoint round trips per item for nothing."""
    connection = transaction.get_connection()
    if not active or not connection.in_atomic_block or "savepoint" in vars(connection):  # or joined already
        yield
        return
    # Atomic.__enter__ asks `connection.savepoint()` for a savepoint id; None means "none opened" (as
    # for savepoint=False), and an error then dooms the block up to the enclosing savepoint.
    connection.savepoint = lambda: None
    try:
        yield
    finally:
        del connection.savepoint  # the class's method again


def bulk_update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of many rows in one `UPDATE ... FROM (VALUES ...)` statement.

    Django's `QuerySet.bulk_update` builds a CASE expression per field with a branch per row; for a
    hundred rows building it costs more than the rest of a batch of orders. This sends the values as
    a table instead (PostgreSQL, and SQLite >= 3.33)."""
    for start in range(0, len(objs), CHUNK):
        _update_chunk(objs[start : start + CHUNK], fields)


CHUNK = 500


def _update_chunk(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    rows, params = [], []
    for obj in objs:
        rows.append("(" + ", ".join(["%s"] * (len(columns) + 1)) + ")")
        params.append(pk.get_db_prep_value(obj.pk, connection))
        params += [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns]
    if connection.vendor == "postgresql":
        names = ["id", *(f"c{i}" for i in range(len(columns)))]
        assignments = ", ".join(
            f"{quote(f.column)} = CAST(v.c{i} AS {f.db_type(connection)})" for i, f in enumerate(columns)
        )
        source = f"(VALUES {', '.join(rows)}) AS v({', '.join(names)})"
        match = f"{table}.{quote(pk.column)} = CAST(v.id AS {pk.db_type(connection)})"
    else:  # SQLite names the columns of VALUES column1, column2, ...
        assignments = ", ".join(f"{quote(f.column)} = v.column{i + 2}" for i, f in enumerate(columns))
        source = f"(VALUES {', '.join(rows)}) AS v"
        match = f"{table}.{quote(pk.column)} = v.column1"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {assignments} FROM {source} WHERE {match}", params)  # noqa: S608
