"""No oversell under concurrency: real parallel connections reserve one scarce offer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.db.models import Sum

from shopkeeper.inventory import services
from shopkeeper.inventory.models import Movement, StockLevel
from shopkeeper.inventory.services import LineRequest
from shopkeeper.stores.models import Store
from tests.catalog.factories import ACTOR, make_offer

THREADS = 30
STOCK = 10


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_parallel_reservations_never_oversell():
    if _in_memory_sqlite():
        pytest.skip("threads need a file database on SQLite: set TEST_SQLITE_NAME=/tmp/x.sqlite3")
    store = Store.objects.create(code="main", name="Main")
    a = services.warehouse_create(code="a", name="A", priority=1, actor=ACTOR)
    b = services.warehouse_create(code="b", name="B", priority=2, actor=ACTOR)
    offer = make_offer("SCARCE")
    other = make_offer("PLENTY")
    services.stock_adjust(offer=offer, warehouse=a, delta=STOCK // 2, reason="", kind="receipt", actor=ACTOR)
    services.stock_adjust(
        offer=offer, warehouse=b, delta=STOCK - STOCK // 2, reason="", kind="receipt", actor=ACTOR
    )
    services.stock_adjust(offer=other, warehouse=b, delta=1000, reason="", kind="receipt", actor=ACTOR)
    start = threading.Barrier(THREADS)

    def buy(i: int):
        try:
            start.wait()
            # Lines in different orders on purpose: locks are taken in pk order, so no deadlock.
            lines = [LineRequest(i * 10 + 1, offer.pk, 1), LineRequest(i * 10 + 2, other.pk, 1)]
            if i % 2:
                lines.reverse()
            return services.stock_reserve(store=store, order_id=i, lines=lines, actor=ACTOR)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(buy, range(1, THREADS + 1)))

    scarce = [r for res in results for r in res if r.line_id % 10 == 1]
    assert sum(r.reserved for r in scarce) == STOCK
    assert sum(1 for r in scarce if r.status == "reserved") == STOCK
    assert sum(1 for r in scarce if r.status == "out_of_stock") == THREADS - STOCK
    assert all(r.status == "reserved" for res in results for r in res if r.line_id % 10 == 2)
    for lv in StockLevel.objects.all():
        sums = Movement.objects.filter(offer_id=lv.offer_id, warehouse_id=lv.warehouse_id).aggregate(
            on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
        )
        assert (sums["on_hand"], sums["reserved"] or 0) == (lv.on_hand, lv.reserved)
        assert lv.reserved <= lv.on_hand
    assert StockLevel.objects.filter(offer=offer).aggregate(r=Sum("reserved"))["r"] == STOCK
