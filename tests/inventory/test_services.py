from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from shopkeeper.core.models import Change
from shopkeeper.inventory import selectors, services
from shopkeeper.inventory.models import Movement, StockLevel
from shopkeeper.inventory.services import LineRequest
from shopkeeper.stores.models import ReservationStrategy
from tests.catalog.factories import ACTOR, make_offer


def level(offer, wh) -> StockLevel:
    return StockLevel.objects.get(offer=offer, warehouse=wh)


def assert_ledger_matches():
    for lv in StockLevel.objects.all():
        sums = Movement.objects.filter(offer_id=lv.offer_id, warehouse_id=lv.warehouse_id).aggregate(
            on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
        )
        assert (sums["on_hand"] or 0) == lv.on_hand
        assert (sums["reserved"] or 0) == lv.reserved
        assert 0 <= lv.reserved <= lv.on_hand


def test_receipt_and_adjustment_write_ledger_and_change(offer, warehouses):
    a, _b = warehouses
    services.stock_adjust(offer=offer, warehouse=a, delta=10, reason="po-1", kind="receipt", actor=ACTOR)
    services.stock_adjust(offer=offer, warehouse=a, delta=-3, reason="damaged", actor=ACTOR)
    assert level(offer, a).on_hand == 7
    assert Change.objects.filter(entity="offer", entity_id=offer.pk, action="stock_adjustment").exists()
    assert_ledger_matches()


@pytest.mark.parametrize("delta", ["-1", "1.5", "abc", "NaN", "Infinity", True, "0"])
def test_bad_receipt_quantities_are_refused(offer, warehouses, delta):
    with pytest.raises(ValidationError) as exc:
        services.stock_adjust(
            offer=offer, warehouse=warehouses[0], delta=delta, reason="x", kind="receipt", actor=ACTOR
        )
    assert "delta" in exc.value.message_dict
    assert not Movement.objects.exists()


def test_fractional_units_accept_decimals(warehouses):
    flour = make_offer("FLOUR", unit="kg")
    services.stock_adjust(
        offer=flour, warehouse=warehouses[0], delta="2.5", reason="", kind="receipt", actor=ACTOR
    )
    assert level(flour, warehouses[0]).on_hand == D("2.5")


def test_adjustment_needs_reason_and_cannot_take_reserved_stock(offer, warehouses, store):
    a, _b = warehouses
    with pytest.raises(ValidationError):
        services.stock_adjust(offer=offer, warehouse=a, delta=5, reason="", actor=ACTOR)
    services.stock_adjust(offer=offer, warehouse=a, delta=5, reason="", kind="receipt", actor=ACTOR)
    services.stock_reserve(store=store, order_id=1, lines=[LineRequest(1, offer.pk, 4)], actor=ACTOR)
    with pytest.raises(ValidationError):
        services.stock_adjust(offer=offer, warehouse=a, delta=-2, reason="lost", actor=ACTOR)
    assert level(offer, a).on_hand == 5
    assert_ledger_matches()


def test_reserve_by_priority_partial_and_idempotent(offer, warehouses, store):
    a, b = warehouses
    services.stock_adjust(offer=offer, warehouse=a, delta=3, reason="", kind="receipt", actor=ACTOR)
    services.stock_adjust(offer=offer, warehouse=b, delta=4, reason="", kind="receipt", actor=ACTOR)
    [res] = services.stock_reserve(store=store, order_id=7, lines=[LineRequest(70, offer.pk, 5)], actor=ACTOR)
    assert (res.reserved, res.status) == (5, "reserved")
    assert (level(offer, a).reserved, level(offer, b).reserved) == (3, 2)
    # Same call again: nothing doubles.
    [res] = services.stock_reserve(store=store, order_id=7, lines=[LineRequest(70, offer.pk, 5)], actor=ACTOR)
    assert level(offer, a).reserved + level(offer, b).reserved == 5
    # Reduce: the least preferred warehouse gives back first.
    services.stock_reserve(store=store, order_id=7, lines=[LineRequest(70, offer.pk, 3)], actor=ACTOR)
    assert (level(offer, a).reserved, level(offer, b).reserved) == (3, 0)
    # Ask for more than exists: partial, never raises.
    [res] = services.stock_reserve(
        store=store, order_id=7, lines=[LineRequest(70, offer.pk, 10)], actor=ACTOR
    )
    assert (res.requested, res.reserved, res.status) == (10, 7, "backordered")
    [res2] = services.stock_reserve(
        store=store, order_id=8, lines=[LineRequest(80, offer.pk, 1)], actor=ACTOR
    )
    assert (res2.reserved, res2.status) == (0, "out_of_stock")
    assert selectors.order_reservations(order_id=7)[70].reserved == 7
    assert_ledger_matches()


def test_most_available_strategy(offer, warehouses, store):
    a, b = warehouses
    store.reservation_strategy = ReservationStrategy.MOST_AVAILABLE
    store.save(update_fields=["reservation_strategy"])
    services.stock_adjust(offer=offer, warehouse=a, delta=3, reason="", kind="receipt", actor=ACTOR)
    services.stock_adjust(offer=offer, warehouse=b, delta=8, reason="", kind="receipt", actor=ACTOR)
    services.stock_reserve(store=store, order_id=1, lines=[LineRequest(1, offer.pk, 2)], actor=ACTOR)
    assert (level(offer, a).reserved, level(offer, b).reserved) == (0, 2)


def test_store_warehouse_links_limit_and_order_the_sources(offer, warehouses, store):
    a, b = warehouses
    services.store_set_warehouses(store=store, warehouses=[b], actor=ACTOR)
    services.stock_adjust(offer=offer, warehouse=a, delta=5, reason="", kind="receipt", actor=ACTOR)
    [res] = services.stock_reserve(store=store, order_id=1, lines=[LineRequest(1, offer.pk, 2)], actor=ACTOR)
    assert res.status == "out_of_stock"


def test_service_items_are_always_reserved(store, warehouses):
    delivery = make_offer("INSTALL", service=True)
    [res] = services.stock_reserve(
        store=store, order_id=1, lines=[LineRequest(1, delivery.pk, 3)], actor=ACTOR
    )
    assert (res.reserved, res.status) == (3, "reserved")
    assert not Movement.objects.exists()


def test_bad_line_quantity_raises_without_writing(offer, warehouses, store):
    services.stock_adjust(
        offer=offer, warehouse=warehouses[0], delta=5, reason="", kind="receipt", actor=ACTOR
    )
    with pytest.raises(ValidationError):
        services.stock_reserve(
            store=store,
            order_id=1,
            lines=[LineRequest(1, offer.pk, 1), LineRequest(2, offer.pk, -2)],
            actor=ACTOR,
        )
    assert level(offer, warehouses[0]).reserved == 0


def test_write_off_release_and_return(offer, warehouses, store):
    a, b = warehouses
    services.stock_adjust(offer=offer, warehouse=a, delta=5, reason="", kind="receipt", actor=ACTOR)
    other = make_offer("OTHER")
    services.stock_adjust(offer=other, warehouse=a, delta=5, reason="", kind="receipt", actor=ACTOR)
    lines = [LineRequest(1, offer.pk, 2), LineRequest(2, other.pk, 3)]
    services.stock_reserve(store=store, order_id=9, lines=lines, actor=ACTOR)
    services.stock_release(order_id=9, line_ids=[2], actor=ACTOR)
    assert level(other, a).reserved == 0
    services.stock_write_off(order_id=9, actor=ACTOR)
    assert (level(offer, a).on_hand, level(offer, a).reserved) == (3, 0)
    assert selectors.order_reservations(order_id=9)[1].shipped == 2
    services.stock_return(order_id=9, warehouse=b, actor=ACTOR)
    assert level(offer, b).on_hand == 2
    services.stock_return(order_id=9, actor=ACTOR)  # nothing left to return: no-op
    assert level(offer, b).on_hand == 2
    assert_ledger_matches()


def test_transfer_moves_only_free_stock(offer, warehouses, store):
    a, b = warehouses
    services.stock_adjust(offer=offer, warehouse=a, delta=5, reason="", kind="receipt", actor=ACTOR)
    services.stock_reserve(store=store, order_id=1, lines=[LineRequest(1, offer.pk, 3)], actor=ACTOR)
    with pytest.raises(ValidationError):
        services.stock_transfer(offer=offer, source=a, target=b, quantity=3, actor=ACTOR)
    services.stock_transfer(offer=offer, source=a, target=b, quantity=2, actor=ACTOR)
    assert (level(offer, a).on_hand, level(offer, b).on_hand) == (3, 2)
    assert_ledger_matches()
