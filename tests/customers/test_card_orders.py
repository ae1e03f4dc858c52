"""Customer and company cards list their orders (newest first, visible ones only, pinned queries)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shopkeeper.customers import services
from shopkeeper.customers.models import CustomerVisibility

from .conftest import ACTOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def _link(order) -> str:
    return f'href="{reverse("orders:detail", args=[order.pk])}"'


def _rows(body: str) -> int:
    return body.count('data-testid="order-row"')


def test_customer_card_lists_orders_newest_first_with_pinned_queries(
    manager_client, make_customer, make_order, django_assert_max_num_queries
):
    customer = make_customer(phone="+79151234567")
    other = make_customer(first_name="Boris", phone="+79161234567")
    first = make_order(customer)
    second = make_order(customer, quantity=2)
    foreign = make_order(other)
    url = reverse("customers:detail", args=[customer.pk])
    with django_assert_max_num_queries(18) as captured:
        response = manager_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert _rows(body) == 2
    assert body.index(_link(second)) < body.index(_link(first))  # newest first
    assert _link(foreign) not in body
    assert "2000.00" in body and 'data-testid="new-order"' in body
    assert f"{reverse('orders:list')}?customer={customer.pk}" in body
    # More orders do not cost more queries.
    baseline = len(captured)
    for _ in range(5):
        make_order(customer)
    with django_assert_max_num_queries(baseline):
        response = manager_client.get(url)
    assert _rows(response.content.decode()) == 7


def test_company_card_lists_company_orders(
    manager_client, make_customer, make_order, store, django_assert_max_num_queries
):
    customer = make_customer()
    company = services.company_create(store=store, legal_name="<i>Acme</i> LLC", actor=ACTOR)
    order = make_order(customer, company=company)
    make_order(customer)  # not the company's
    for _ in range(3):
        make_order(make_customer(first_name="Other"), company=company)
    with django_assert_max_num_queries(17):  # 17th: the timeline's orders' numbers
        response = manager_client.get(reverse("customers:company_detail", args=[company.pk]))
    body = response.content.decode()
    assert _rows(body) == 4 and _link(order) in body
    assert "<i>Acme</i>" not in body
    assert f"company={company.pk}" in body


def test_card_shows_no_orders_block_without_orders_permission(client, make_customer, make_order):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(username="viewer", password="x-Long-pass-1")
    user.user_permissions.add(
        Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    )
    customer = make_customer()
    order = make_order(customer)
    client.force_login(user)
    body = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert _link(order) not in body and 'data-testid="orders"' not in body


def test_card_shows_only_orders_the_user_may_see(
    manager_client, manager, make_user, make_customer, make_order
):
    customer = make_customer()
    customer.manager = manager
    customer.save(update_fields=["manager"])
    CustomerVisibility.objects.create(user=manager, own_only=True)
    order = make_order(customer, manager_id=make_user("colleague").pk)
    mine = make_order(customer, manager_id=manager.pk)
    manager.own_orders_only = True
    manager.save(update_fields=["own_orders_only"])
    body = manager_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert _link(order) not in body and _link(mine) in body


def test_card_of_customer_without_orders(manager_client, make_customer):
    customer = make_customer()
    body = manager_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "No orders yet." in body


def test_card_timeline_names_the_orders_the_user_may_open_and_leaves_out_the_others(
    manager_client, manager, make_user, make_customer, make_order
):
    from shopkeeper.orders import services as orders
    from shopkeeper.orders.models import Status

    customer = make_customer()
    order = make_order(customer, manager_id=manager.pk)
    orders.order_set_status(order=order, status=Status.objects.get(code="confirmed"), actor=ACTOR)
    hidden = make_order(customer, manager_id=make_user("colleague").pk)
    manager.own_orders_only = True
    manager.save(update_fields=["own_orders_only"])
    body = manager_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    timeline = body[body.index('data-testid="timeline"') :]
    # "Order 1 created", "Order 1 status changed"; the colleague's order is not theirs to read.
    assert timeline.count(f'<a href="/orders/{order.pk}/">{order.number}</a>') == 2
    assert f"/orders/{hidden.pk}/" not in timeline
    assert timeline.count("Order</span>") == 2
    assert f"Number</span>: {order.number}<" not in timeline  # named above: not said again
    assert f"Number</span>: {hidden.number}<" not in timeline
