"""The batch endpoint writes its orders as one set; the result must be what posting the same orders one
by one gives: customers matched and deduplicated, stock taken in order, problems, counts, history,
events and the journal's answers."""

from __future__ import annotations

import copy

import pytest

from shopkeeper.catalog import services as catalog
from shopkeeper.core.models import Change, ChangeLink, Event, EventDelivery
from shopkeeper.customers.models import Customer
from shopkeeper.intake.models import InboundRequest
from shopkeeper.inventory import services as inventory
from shopkeeper.inventory.models import Movement, Reservation, StockLevel
from shopkeeper.orders.models import Order, StatusCount
from shopkeeper.stores.models import Store

from .conftest import SYSTEM, native


@pytest.fixture
def stores(offers, store):
    """Two stores with the same catalog and a warehouse each holding the same stock."""
    other = Store.objects.create(code="twin", name="Twin store", currency="USD")
    wh = inventory.warehouse_create(code="wh2", name="Warehouse 2", actor=SYSTEM)
    inventory.store_set_warehouses(store=other, warehouses=[wh], actor=SYSTEM)
    for offer in offers.values():
        inventory.stock_adjust(
            offer=offer, warehouse=wh, delta=50, reason="receipt", kind="receipt", actor=SYSTEM
        )
    service = catalog.product_create(
        name="Gift wrap",
        actor=SYSTEM,
        offers=[{"sku": "WRAP", "name": "Gift wrap", "prices": {"retail": "5"}}],
    )
    service.is_service = True
    service.save()
    return store, other


def _orders(store_code: str) -> list[dict]:
    anna = {
        "first_name": "Anna",
        "last_name": "Ivanova",
        "phone": "+1 212 555 0101",
        "email": "anna@example.com",
    }
    boris = {"first_name": "Boris", "last_name": "Petrov", "phone": "+1 (212) 555-0199"}
    orders = [
        native(external_id="a1", customer=anna),
        # the same buyer, the phone written differently and a new email: one customer, who learns it
        native(external_id="a2", customer={**anna, "phone": "2125550101", "email": "anna@work.example"}),
        native(
            external_id="b1",
            customer=boris,
            lines=[{"sku": "NOPE", "quantity": 1, "price": "10"}, {"sku": "MUG", "quantity": 45}],
            delivery={"type": "teleport"},
            payments=[],
        ),
        {"store": store_code, "lines": "not a list"},  # refused; nothing of it stays
        # more mugs than are left after b1: backordered, then out of stock
        native(external_id="b2", customer=boris, lines=[{"sku": "MUG", "quantity": 10}], payments=[]),
        native(external_id="b3", customer=boris, lines=[{"sku": "MUG", "quantity": 1}], payments=[]),
        native(external_id="a1", customer=anna),  # sent twice in one batch: answered with the first
        native(
            external_id="s1", status="shipped", customer=anna, payments=[]
        ),  # created shipped: written off
        native(external_id="w1", customer=boris, lines=[{"sku": "WRAP", "quantity": 2}], payments=[]),
        native(external_id="n1", lines=[], customer={"first_name": "Call", "phone": "+1 212 555 0123"}),
        native(external_id="bad", lines=[{"sku": "MUG", "quantity": 0}]),  # refused by the orders service
        # a buyer known before the batch: found by email, learns a phone; the same address is not added twice
        native(
            external_id="c2",
            customer={"first_name": "Carla", "email": "CARLA@example.com", "phone": "+1 212 555 0177"},
        ),
        native(
            external_id="c3",
            customer={"first_name": "Carla", "phone": "212-555-0177"},
            delivery={"type": "courier", "address": {"city": "Boston", "text": "Main St 5"}},
        ),
    ]
    for order in orders:
        order["store"] = store_code
    return orders


def _snapshot(store: Store, endpoint: str, after: int = 0) -> dict:
    orders = list(Order.objects.filter(store=store).order_by("id"))
    ids = {o.pk: o.external_id for o in orders}
    customers = {c.pk: c for c in Customer.objects.filter(store=store)}
    line_ext = {}
    for o in orders:
        for ln in o.lines.all():
            line_ext[ln.pk] = (o.external_id, ln.position)

    def order_row(o: Order) -> tuple:
        customer = customers.get(o.customer_id)
        return (
            o.external_id,
            o.number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ-"),
            o.status_id,
            o.channel_id,
            o.delivery_type_id,
            str(o.total),
            str(o.paid_amount),
            o.payment_status,
            o.stock_state,
            o.needs_attention,
            sorted(p["code"] for p in o.problems),
            o.phone,
            o.email,
            o.customer_name,
            o.manager_id,
            customer.full_name if customer else None,
            sorted(p.e164 or p.raw for p in customer.phones.all()) if customer else None,
            sorted(e.email for e in customer.emails.all()) if customer else None,
            [
                (
                    ln.sku,
                    ln.name,
                    str(ln.quantity),
                    str(ln.price),
                    str(ln.reserved),
                    ln.stock_state,
                    ln.position,
                )
                for ln in o.lines.order_by("position")
            ],
            [(p.type_raw, str(p.amount), p.status) for p in o.payments.all()],
        )

    def history(entity: str, pk: int) -> list:
        return sorted(
            (c.action, sorted(c.changes), sorted(c.links.values_list("entity", flat=True)))
            for c in Change.objects.filter(entity=entity, entity_id=pk)
        )

    def events(pk: int) -> list:
        return sorted(
            (e.name, sorted(EventDelivery.objects.filter(event=e).values_list("consumer", flat=True)))
            for e in Event.objects.filter(entity="order", entity_id=pk)
        )

    entries = InboundRequest.objects.filter(endpoint=endpoint, pk__gt=after).order_by("id")
    return {
        "orders": [order_row(o) for o in orders],
        "customers": sorted(c.full_name for c in customers.values()),
        "history": {ids[pk]: (history("order", pk), events(pk)) for pk in ids},
        "customer_history": sorted(a for c in customers for a in history("customer", c)),
        "reservations": sorted(
            (line_ext[r.line_id], r.offer.sku, str(r.quantity))
            for r in Reservation.objects.filter(order_id__in=ids).select_related("offer")
        ),
        "movements": sorted(
            (line_ext[m.order_line_id], m.kind, str(m.reserved_delta), str(m.on_hand_delta))
            for m in Movement.objects.filter(order_id__in=ids)
        ),
        "stock": sorted(
            (lv.offer.sku, str(lv.on_hand), str(lv.reserved))
            for lv in StockLevel.objects.filter(warehouse__store_links__store=store).select_related("offer")
        ),
        "counts": sorted(StatusCount.objects.filter(store=store).values_list("status_id", "count")),
        "journal": [
            (e.status, e.http_status, sorted(f["code"] for f in e.result.get("flags", [])), bool(e.order_id))
            for e in entries
        ],
    }


def test_batch_writes_what_single_requests_write(writer, stores, django_assert_max_num_queries):
    main, twin = stores
    for code in ("main", "twin"):
        carla = {"first_name": "Carla", "email": "carla@example.com"}
        writer.post("/orders", native(store=code, external_id="c1", customer=carla))
    setup = InboundRequest.objects.order_by("-id").values_list("id", flat=True).first()
    for payload in _orders("twin"):
        writer.post("/orders", copy.deepcopy(payload))
    with django_assert_max_num_queries(200):  # 13 orders
        r = writer.post("/orders/batch", {"orders": _orders("main")})
    assert r.status_code == 200, r.content
    statuses = [item["status"] for item in r.json()["items"]]
    assert statuses == [201, 201, 201, 422, 201, 201, 200, 201, 201, 201, 422, 201, 201]
    items = r.json()["items"]
    assert items[6]["id"] == items[0]["id"] and items[6]["number"] == items[0]["number"]
    assert items[2]["needs_attention"] is True and items[0]["needs_attention"] is False

    batch, single = _snapshot(main, "orders-batch"), _snapshot(twin, "orders", after=setup)
    for key in batch:
        assert batch[key] == single[key], key
    numbers = sorted(Order.objects.filter(store=main).values_list("number", flat=True))
    assert len(numbers) == 11 and len(set(numbers)) == 11


def test_batch_links_changes_and_events(writer, stores):
    writer.post("/orders/batch", {"orders": _orders("main")[:3]})
    order = Order.objects.get(store__code="main", external_id="b1")
    created = Change.objects.get(entity="order", entity_id=order.pk, action="created")
    assert set(ChangeLink.objects.filter(change=created).values_list("entity", flat=True)) == {"customer"}
    event = Event.objects.get(entity="order", entity_id=order.pk, name="order.created")
    assert event.change_id == created.pk
    assert event.payload["number"] == order.number
    assert sorted(event.payload["problems"]) == sorted(p["code"] for p in order.problems)
