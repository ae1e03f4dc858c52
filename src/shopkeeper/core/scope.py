"""A unit of work's memo, and the process's cache of reference rows.

A batch of a hundred orders asks for the same store's dedupe policy, warehouses and code mappings a
hundred times. Inside `memo_scope()` the first answer is kept for the rest of the block; outside it,
`memoized` simply calls the function. Only read-mostly settings belong here, never rows the block
itself changes.

`reference` goes further for rows that change only in Settings (a store, its price type, policy,
warehouses, code mappings, custom field definitions, an API key's stores, the status matrix, the
active users): every order asks for them,
so each process keeps them for `REFERENCE_TTL` seconds, like the order dictionaries. Saving or
deleting any model in `REFERENCE_MODELS` clears the cache in this process at once and again when the
transaction commits; other processes see the change within `REFERENCE_TTL` seconds. The rows are
shared between request threads: read them, never change them.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

_memo: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar("memo_scope", default=None)


@contextmanager
def memo_scope() -> Iterator[None]:
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized[T](key: Hashable, compute: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def peek(key: Hashable) -> Any:
    """What the current scope holds under `key` (None outside a scope or if nothing is there)."""
    memo = _memo.get()
    return None if memo is None else memo.get(key)


REFERENCE_TTL = 30.0
REFERENCE_MODELS = frozenset(
    {
        "stores.Store",
        "catalog.PriceType",
        "orders.StoreOrderSettings",
        "orders.Transition",
        "orders.Transition_roles",
        "customers.DedupePolicy",
        "customers.CustomFieldDefinition",
        "inventory.Warehouse",
        "inventory.StoreWarehouse",
        "intake.CodeMapping",
        "accounts.ApiKey_stores",
        "accounts.User",
    }
)
_reference: dict[Hashable, tuple[float, Any]] = {}


def reference[T](key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, kept in this process for REFERENCE_TTL seconds (see the module's docstring)."""
    now = time.monotonic()
    hit = _reference.get(key)
    if hit is not None and now - hit[0] < REFERENCE_TTL:
        return hit[1]
    value = compute()
    _reference[key] = (now, value)
    return value


def attach_reference(objects: list, name: str, rows: Callable[[], list]) -> None:
    """Set the foreign key `name` of loaded `objects` from reference rows (`rows()`, e.g. the active
    stores) instead of joining it in. Ids the rows lack (an inactive store or user) are read in one
    query."""
    if not objects:
        return
    known = reference((rows, "by_pk"), lambda: {row.pk: row for row in rows()})
    field = type(objects[0])._meta.get_field(name)
    missing = {getattr(obj, field.attname) for obj in objects} - known.keys() - {None}
    if missing:
        found = field.related_model._default_manager.filter(pk__in=missing)
        known = {**known, **{row.pk: row for row in found}}
    for obj in objects:
        row = known.get(getattr(obj, field.attname))
        if row is not None:
            field.set_cached_value(obj, row)  # the id is the row's already (see dictionaries.attach)


def reference_changed() -> None:
    _reference.clear()


def reference_model_changed(sender, using: str | None = None, **kwargs) -> None:
    """Signal receiver: a row `reference` may hold changed. Forget them now, and again at commit (a
    thread may have cached the old rows again before the change was visible to it)."""
    if sender._meta.label in REFERENCE_MODELS:
        reference_changed()
        transaction.on_commit(reference_changed, using=using)
