"""Database helpers that Django does not offer itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


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
