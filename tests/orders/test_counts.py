"""The per-store, per-status counts the services keep agree with counting the orders."""

import pytest

from shopkeeper.accounts import roles
from shopkeeper.orders import counts, services
from shopkeeper.orders.models import Order
from shopkeeper.orders.selectors import group_counters, status_counts

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


def _by_group(rows):
    return {c["group"].code: c["count"] for c in rows if c["count"]}


def test_create_and_status_changes_keep_the_counts(make_order, statuses):
    orders = [make_order(lines=[("SERVICE-GIFT", 1)]) for _ in range(3)]
    services.order_set_status(order=orders[0], status=statuses["confirmed"], actor=SYSTEM)
    services.order_set_status(order=orders[1], status=statuses["cancelled"], actor=SYSTEM)
    assert counts.drift() == 0
    kept = counts.per_status(None)
    assert kept[statuses["new"].pk] == 1
    assert kept[statuses["confirmed"].pk] == 1
    assert kept[statuses["cancelled"].pk] == 1


def test_recount_rebuilds_from_the_orders(make_order, statuses):
    make_order(lines=[("SERVICE-GIFT", 1)])
    Order.objects.update(status=statuses["assembling"])  # a bulk write behind the services' back
    assert counts.drift() == 2
    counts.recount()
    assert counts.drift() == 0


def test_list_counters_from_kept_counts_equal_a_real_count(client, make_user, make_order, statuses, store):
    for _ in range(2):
        make_order(lines=[("SERVICE-GIFT", 1)])
    services.order_set_status(
        order=make_order(lines=[("SERVICE-GIFT", 1)]), status=statuses["cancelled"], actor=SYSTEM
    )
    user = make_user("head", roles.HEAD_OF_SALES)
    client.force_login(user)
    real = _by_group(group_counters(status_counts(Order.objects.all())))
    assert real == {"new": 2, "cancelled": 1}
    for query in ({}, {"store": store.code}, {"group": "new"}):
        shown = _by_group(client.get("/orders/", query).context["counters"])
        assert shown == real
    assert _by_group(client.get("/orders/", {"store": "elsewhere"}).context["counters"]) == {}


def test_a_rare_status_of_a_store_lists_the_same_orders(make_order, statuses, store):
    """On SQLite the filter fetches rare statuses' ids first (selectors._rare); the answer is the same."""
    from shopkeeper.orders.selectors import OrderFilter, _rare

    orders = [make_order(lines=[("SERVICE-GIFT", 1)]) for _ in range(22)]
    services.order_set_status(order=orders[3], status=statuses["confirmed"], actor=SYSTEM)
    flt = OrderFilter.from_query({"store": store.code, "status": "confirmed"})
    assert [o.pk for o in flt.apply(Order.objects.all())] == [orders[3].pk]
    from django.db import connection

    assert _rare([store.pk], {statuses["confirmed"].pk}) is (connection.vendor == "sqlite")
    assert not flt.apply(Order.objects.filter(pk=orders[0].pk)).exists()  # other filters still apply


def test_a_filtered_list_does_not_wait_for_its_counts(client, make_user, make_order, statuses):
    """Under filters other than stores the counts are a grouped count (seconds at a million orders on
    SQLite): the list answers at once and asks for them on its own."""
    make_order(lines=[("SERVICE-GIFT", 1)])
    services.order_set_status(
        order=make_order(lines=[("SERVICE-GIFT", 1)]), status=statuses["cancelled"], actor=SYSTEM
    )
    client.force_login(make_user("head", roles.HEAD_OF_SALES))
    page = client.get("/orders/", {"status": "new"})
    assert page.context["counters"] is None
    html = page.content.decode()
    assert 'data-testid="counters-loading"' in html and "/orders/counters/?status=new" in html
    buttons = client.get("/orders/counters/", {"status": "new", "group": "new"})
    assert _by_group(buttons.context["counters"]) == {"new": 1}
    text = buttons.content.decode()
    assert 'data-group="new"' in text and "btn-dark" in text  # the chosen group stays marked
    assert client.get("/orders/", {"group": "new"}).context["counters"] is not None  # kept counts: inline
    client.logout()
    assert client.get("/orders/counters/").status_code in (302, 403)
