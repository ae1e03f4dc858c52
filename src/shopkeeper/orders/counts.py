"""Orders per (store, status), kept current by the order services.

`order_create` adds one to its store and status, `order_set_status` moves one from the old status to
the new, both inside the order's own transaction; bulk loaders call `recount()`. The single window
reads its group counters from here whenever the list is filtered by nothing but store and group.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F, Sum

from .models import Order, StatusCount


def add(*, store_id: int, status_id: int, delta: int) -> None:
    updated = StatusCount.objects.filter(store_id=store_id, status_id=status_id).update(
        count=F("count") + delta
    )
    if not updated:
        StatusCount.objects.bulk_create(
            [StatusCount(store_id=store_id, status_id=status_id, count=0)], ignore_conflicts=True
        )
        StatusCount.objects.filter(store_id=store_id, status_id=status_id).update(count=F("count") + delta)


def add_many(deltas: dict[tuple[int, int], int]) -> None:
    """`add` for several (store id, status id) pairs, in key order (the order every writer locks in)."""
    for (store_id, status_id), delta in sorted(deltas.items()):
        if delta:
            add(store_id=store_id, status_id=status_id, delta=delta)


def move(*, store_id: int, old_status_id: int, new_status_id: int) -> None:
    if old_status_id != new_status_id:
        add(store_id=store_id, status_id=old_status_id, delta=-1)
        add(store_id=store_id, status_id=new_status_id, delta=1)


def table() -> list[tuple[int, int, int]]:
    """(store id, status id, orders): the whole table, a row per store and status."""
    return list(StatusCount.objects.values_list("store_id", "status_id", "count"))


def per_status(store_ids: list[int] | None) -> dict[int, int]:
    """status id -> orders, over the given stores (None: all)."""
    qs = StatusCount.objects.all()
    if store_ids is not None:
        qs = qs.filter(store_id__in=store_ids)
    return dict(qs.values_list("status_id").annotate(n=Sum("count")).values_list("status_id", "n"))


@transaction.atomic
def recount() -> None:
    """Rebuild the table from the orders (after a bulk load)."""
    StatusCount.objects.all().delete()
    StatusCount.objects.bulk_create(
        [
            StatusCount(store_id=row["store_id"], status_id=row["status_id"], count=row["n"])
            for row in Order.objects.order_by().values("store_id", "status_id").annotate(n=Count("*"))
        ]
    )


def drift() -> int:
    """Rows of the table that disagree with a real count (0 when consistent)."""
    real = {
        (r["store_id"], r["status_id"]): r["n"]
        for r in Order.objects.order_by().values("store_id", "status_id").annotate(n=Count("*"))
    }
    kept = {(c.store_id, c.status_id): c.count for c in StatusCount.objects.all()}
    keys = set(real) | {k for k, n in kept.items() if n}
    return sum(1 for k in keys if real.get(k, 0) != kept.get(k, 0))
