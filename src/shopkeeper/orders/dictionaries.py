"""The small dictionaries every order points at (statuses, channels, order types, delivery and payment
types, cancellation reasons), cached per process for a few seconds.

They are read on every order write and every list or card, so reads take them from here instead of
joining them in: an order card joined to ten tables spent longer in PostgreSQL's planner than in
execution. Settings call `dictionaries_changed()` after a commit; other processes see a change within
`TTL` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .models import CancelReason, Channel, DeliveryType, Order, OrderType, Status

TTL = 30.0
_cache: dict[type, tuple[float, dict[str, Any], dict[int, Any]]] = {}

# Order foreign keys filled from the cache by `attach`.
ATTACHED = {
    "status": Status,
    "channel": Channel,
    "order_type": OrderType,
    "delivery_type": DeliveryType,
    "cancel_reason": CancelReason,
}


def _load(model) -> tuple[float, dict[str, Any], dict[int, Any]]:
    now = time.monotonic()
    cached = _cache.get(model)
    if cached is None or now - cached[0] > TTL:
        qs = model.objects.all()
        if model is Status:
            qs = qs.select_related("group")
        rows = list(qs)
        cached = (now, {obj.code: obj for obj in rows}, {obj.pk: obj for obj in rows})
        _cache[model] = cached
    return cached


def by_code(model) -> dict[str, Any]:
    """Code -> row."""
    return _load(model)[1]


def by_pk(model, pk: int | None) -> Any:
    """The row with this id (None for None); a row created since the cache was filled reloads it."""
    if pk is None:
        return None
    found = _load(model)[2].get(pk)
    if found is None:
        _cache.pop(model, None)
        found = _load(model)[2].get(pk)
    return found


def ordered(model) -> list[Any]:
    """Active rows in their display order (statuses by group, then position)."""
    rows = [obj for obj in _load(model)[2].values() if obj.is_active]
    if model is Status:
        return sorted(rows, key=lambda s: (s.group.position, s.position, s.pk))
    return sorted(rows, key=lambda obj: (obj.position, obj.pk))


def attach(orders: Iterable[Order], names: Iterable[str] = ATTACHED) -> None:
    """Set the dictionary relations (`names`, all by default) of already loaded orders from the cache
    (no queries). A deferred id among `names` would be read per order: pass only loaded ones."""
    fields = [(Order._meta.get_field(name), ATTACHED[name]) for name in names]
    for order in orders:
        for field, model in fields:
            pk = getattr(order, field.attname)
            if pk is not None:
                row = by_pk(model, pk)
                if row is not None:
                    # The id is the row's already: fill the relation's cache, as select_related does,
                    # without the descriptor's checks (a few microseconds per order and relation).
                    field.set_cached_value(order, row)


def dictionaries_changed() -> None:
    _cache.clear()
