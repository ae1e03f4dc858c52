from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from shopkeeper.core.db import bulk_update
from shopkeeper.intake.models import EntryStatus, InboundRequest
from shopkeeper.stores.models import Store


def test_bulk_update_writes_each_row_its_values(db):
    store = Store.objects.create(code="main", name="Main", currency="USD")
    rows = [
        InboundRequest.objects.create(
            source="native", endpoint="orders", body=b"{}", received_at=timezone.now()
        )
        for _ in range(3)
    ]
    at = timezone.now() - dt.timedelta(hours=1)
    rows[0].status, rows[0].result, rows[0].http_status, rows[0].processed_at = (
        "processed",
        {"flags": []},
        201,
        at,
    )
    rows[1].status, rows[1].result, rows[1].error = (
        EntryStatus.FAILED,
        {"detail": 'd’Artagnan "quoted"'},
        "bad",
    )
    rows[2].store_code = store.code
    bulk_update(rows, ["status", "result", "error", "http_status", "processed_at", "store_code"])
    got = {r.pk: r for r in InboundRequest.objects.all()}
    assert got[rows[0].pk].status == "processed" and got[rows[0].pk].http_status == 201
    assert got[rows[0].pk].processed_at == at and got[rows[0].pk].result == {"flags": []}
    assert got[rows[1].pk].result == {"detail": 'd’Artagnan "quoted"'} and got[rows[1].pk].error == "bad"
    assert got[rows[1].pk].processed_at is None and got[rows[1].pk].http_status is None
    assert got[rows[2].pk].store_code == "main" and got[rows[2].pk].status == EntryStatus.RECEIVED


def test_bulk_update_decimals(db):
    from shopkeeper.catalog import services as catalog
    from shopkeeper.core.changes import Actor
    from shopkeeper.inventory import services as inventory
    from shopkeeper.inventory.models import StockLevel

    actor = Actor.system("test")
    wh = inventory.warehouse_create(code="wh", name="Warehouse", actor=actor)
    offer = catalog.product_create(
        name="Mug", actor=actor, offers=[{"sku": "MUG", "name": "Mug"}]
    ).offers.get()
    inventory.stock_adjust(offer=offer, warehouse=wh, delta=5, reason="r", kind="receipt", actor=actor)
    level = StockLevel.objects.get()
    level.on_hand, level.reserved = Decimal("7.125"), Decimal("2.5")
    bulk_update([level], ["on_hand", "reserved"])
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (Decimal("7.125"), Decimal("2.5"))
