"""Metrics kept by the `customers.metrics` consumer from real orders (created, cancelled, moved)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from shopkeeper.core.events import dispatch_pending
from shopkeeper.customers import services
from shopkeeper.customers.metrics import customer_metrics_recompute
from shopkeeper.customers.models import Company, Customer, RfmSettings
from shopkeeper.orders import services as orders

from .conftest import ACTOR

pytestmark = pytest.mark.django_db

METRICS = ("orders_count", "total_spent", "average_order", "first_order_at", "last_order_at", "rfm_class")


def _metrics(obj) -> dict:
    obj.refresh_from_db()
    return {f: getattr(obj, f) for f in METRICS if hasattr(obj, f)}


def _drain() -> None:
    while dispatch_pending():
        pass


def test_created_orders_update_the_customer(make_customer, make_order):
    customer = make_customer()
    now = timezone.now()
    old = make_order(customer, quantity=1, created_at=now - dt.timedelta(days=100))
    new = make_order(customer, quantity=2, created_at=now - dt.timedelta(days=10))
    assert Customer.objects.get(pk=customer.pk).orders_count == 0  # not yet: the consumer has not run
    _drain()
    m = _metrics(customer)
    assert m["orders_count"] == 2
    assert m["total_spent"] == Decimal("3000.00") and m["average_order"] == Decimal("1500.00")
    assert m["first_order_at"] == old.created_at and m["last_order_at"] == new.created_at
    # Defaults: 10 days <= 30 -> R3; 2 orders >= 2 -> F2; 3000 < 5000 -> M1.
    assert m["rfm_class"] == "321"
    assert customer.lifetime_days >= 100


def test_cancelled_order_stops_counting(make_customer, make_order, statuses):
    customer = make_customer()
    make_order(customer, quantity=1)
    second = make_order(customer, quantity=3)
    _drain()
    assert _metrics(customer)["total_spent"] == Decimal("4000.00")
    orders.order_set_status(order=second, status=statuses["cancelled"], actor=ACTOR)
    _drain()
    m = _metrics(customer)
    assert m["orders_count"] == 1 and m["total_spent"] == Decimal("1000.00")
    assert m["average_order"] == Decimal("1000.00")


def test_order_moved_to_another_customer_updates_both(make_customer, make_order):
    anna = make_customer()
    boris = make_customer(first_name="Boris", last_name="Petrov")
    order = make_order(anna, quantity=2)
    make_order(anna, quantity=1)
    _drain()
    assert _metrics(anna)["orders_count"] == 2
    orders.order_update(order=order, customer=boris, actor=ACTOR)
    _drain()
    a, b = _metrics(anna), _metrics(boris)
    assert a["orders_count"] == 1 and a["total_spent"] == Decimal("1000.00")
    assert b["orders_count"] == 1 and b["total_spent"] == Decimal("2000.00")
    assert b["first_order_at"] == order.created_at


def test_last_order_moved_away_resets_metrics(make_customer, make_order):
    anna = make_customer()
    boris = make_customer(first_name="Boris", last_name="Petrov")
    order = make_order(anna)
    _drain()
    orders.order_update(order=order, customer=boris, actor=ACTOR)
    _drain()
    m = _metrics(anna)
    assert m == {
        "orders_count": 0,
        "total_spent": Decimal("0.00"),
        "average_order": Decimal("0.00"),
        "first_order_at": None,
        "last_order_at": None,
        "rfm_class": "",
    }


def test_company_metrics_follow_created_cancelled_and_moved_orders(
    make_customer, make_order, store, statuses
):
    customer = make_customer()
    acme = services.company_create(store=store, legal_name="Acme", actor=ACTOR)
    globex = services.company_create(store=store, legal_name="Globex", actor=ACTOR)
    first = make_order(customer, company=acme, quantity=1)
    second = make_order(customer, company=acme, quantity=4)
    _drain()
    m = _metrics(acme)
    assert m["orders_count"] == 2 and m["total_spent"] == Decimal("5000.00")
    assert m["average_order"] == Decimal("2500.00")
    # The order moves to another company: the event carries no previous company, the change log does.
    orders.order_update(order=second, company=globex, actor=ACTOR)
    _drain()
    assert _metrics(acme)["total_spent"] == Decimal("1000.00")
    assert _metrics(globex)["total_spent"] == Decimal("4000.00")
    orders.order_set_status(order=first, status=statuses["cancelled"], actor=ACTOR)
    _drain()
    assert _metrics(acme)["orders_count"] == 0 and _metrics(acme)["last_order_at"] is None


def test_consumer_is_idempotent_and_matches_full_recompute(make_customer, make_order):
    from shopkeeper.core.models import Event
    from shopkeeper.customers.metrics import on_order_event

    customer = make_customer()
    make_order(customer, quantity=2)
    make_order(customer, quantity=1)
    _drain()
    after_events = _metrics(customer)
    for event in Event.objects.filter(name__startswith="order."):
        on_order_event(event)  # a redelivery changes nothing
    assert _metrics(customer) == after_events
    Customer.objects.filter(pk=customer.pk).update(orders_count=0, total_spent=0, rfm_class="")
    call_command("recompute_metrics", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _metrics(customer) == after_events


def test_rfm_uses_configured_thresholds(make_customer, make_order):
    RfmSettings.objects.create(recency_days=[5, 10], frequency=[1, 2], monetary=["500", "900"])
    customer = make_customer()
    make_order(customer, quantity=1, created_at=timezone.now() - dt.timedelta(days=7))
    _drain()
    assert _metrics(customer)["rfm_class"] == "223"  # 7 days: R2; 1 order >= 1: F2; 1000 >= 900: M3


def test_recompute_ignores_unknown_and_merged_ids(make_customer):
    customer = make_customer()
    customer_metrics_recompute(customer_ids=[customer.pk, 999999, 0])
    assert _metrics(customer)["orders_count"] == 0
    assert not Company.objects.exists()


def test_daily_refresh_moves_rfm_and_lifetime_with_time(
    make_customer, make_order, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from shopkeeper.customers import settings_services
    from shopkeeper.customers.metrics import refresh_time_metrics

    customer = make_customer()
    make_order(customer, quantity=1, created_at=timezone.now() - dt.timedelta(days=10))
    _drain()
    fresh = Customer.objects.get(pk=customer.pk)
    assert fresh.rfm_class.startswith("3")  # ordered recently
    assert refresh_time_metrics() == 0  # nothing moved since the event
    # A year passes without orders: the recency digit and the lifetime must follow the calendar.
    year_ago = timezone.now() - dt.timedelta(days=365)
    Customer.objects.filter(pk=customer.pk).update(
        last_order_at=year_ago, first_order_at=year_ago, created_at=year_ago
    )
    assert refresh_time_metrics() == 1
    aged = Customer.objects.get(pk=customer.pk)
    assert aged.rfm_class.startswith("1") and aged.lifetime_days == 365
    # New thresholds queue a refresh of every customer's class.
    before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        settings_services.rfm_settings_save(
            recency_days=[400, 500], frequency=[2, 5], monetary=[Decimal(1000), Decimal(5000)], actor=ACTOR
        )
    assert DBTaskResult.objects.count() == before + 1
