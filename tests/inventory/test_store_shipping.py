"""Which warehouses each store ships from, in order, and its reservation strategy (UI and service)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from shopkeeper.core.models import Change
from shopkeeper.inventory import services
from shopkeeper.inventory.services import LineRequest
from shopkeeper.stores.models import Store
from tests.catalog.factories import ACTOR

pytestmark = pytest.mark.django_db


def test_service_sets_order_and_strategy_in_one_change_log(store, warehouses, offer):
    a, b = warehouses
    services.stock_adjust(offer=offer, warehouse=a, delta=2, reason="", kind="receipt", actor=ACTOR)
    services.stock_adjust(offer=offer, warehouse=b, delta=5, reason="", kind="receipt", actor=ACTOR)
    services.store_set_shipping(store=store, warehouses=[b, a], reservation_strategy="priority", actor=ACTOR)
    assert services.store_warehouses(store) == [b, a]
    services.store_set_shipping(
        store=store, warehouses=[a, b], reservation_strategy="most_available", actor=ACTOR
    )
    store.refresh_from_db()
    assert store.reservation_strategy == "most_available"
    [res] = services.stock_reserve(store=store, order_id=1, lines=[LineRequest(11, offer.pk, 3)], actor=ACTOR)
    assert res.status == "reserved"
    assert offer.stock_levels.get(warehouse=b).reserved == 3  # most available, though a is first
    changes = Change.objects.filter(entity="store", entity_id=store.pk)
    assert {tuple(c.changes) for c in changes} >= {("warehouses",), ("reservation_strategy",)}


def test_service_refuses_bad_input_and_writes_nothing(store, warehouses):
    a, b = warehouses
    services.warehouse_update(warehouse=b, is_active=False, actor=ACTOR)
    for kwargs, field in [
        ({"warehouses": [a], "reservation_strategy": "random"}, "reservation_strategy"),
        ({"warehouses": [a, a], "reservation_strategy": "priority"}, "warehouses"),
        ({"warehouses": [b], "reservation_strategy": "most_available"}, "warehouses"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.store_set_shipping(store=store, actor=ACTOR, **kwargs)
        assert field in exc.value.message_dict
    store.refresh_from_db()
    assert store.reservation_strategy == "priority" and not store.warehouse_links.exists()


def test_shipping_pages(admin_client, store, warehouses, django_assert_max_num_queries):
    a, b = warehouses
    for i in range(5):
        other = Store.objects.create(code=f"s{i}", name=f"Store <{i}>")
        services.store_set_warehouses(store=other, warehouses=[a, b], actor=ACTOR)
    with django_assert_max_num_queries(8):
        page = admin_client.get("/inventory/stores/")
    assert page.status_code == 200
    assert b"Store &lt;3&gt;" in page.content and b"all active warehouses" in page.content

    form = admin_client.get(f"/inventory/stores/{store.pk}/")
    assert form.status_code == 200 and f'name="wh_{a.pk}"'.encode() in form.content
    response = admin_client.post(
        f"/inventory/stores/{store.pk}/",
        {"reservation_strategy": "most_available", f"wh_{a.pk}": "2", f"wh_{b.pk}": "1"},
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.reservation_strategy == "most_available"
    assert services.store_warehouses(store) == [b, a]

    same = admin_client.post(
        f"/inventory/stores/{store.pk}/",
        {"reservation_strategy": "priority", f"wh_{a.pk}": "1", f"wh_{b.pk}": "1"},
    )
    assert same.status_code == 200 and same.context["form"].non_field_errors()
    only_a = admin_client.post(
        f"/inventory/stores/{store.pk}/", {"reservation_strategy": "priority", f"wh_{a.pk}": "1"}
    )
    assert only_a.status_code == 302 and services.store_warehouses(store) == [a]
    bad = admin_client.post(
        f"/inventory/stores/{store.pk}/", {"reservation_strategy": "x", f"wh_{a.pk}": "-1"}
    )
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {
        "reservation_strategy",
        f"wh_{a.pk}",
    }


def test_shipping_pages_need_permissions(client, make_user, store):
    client.force_login(make_user("manager"))
    assert client.get("/inventory/stores/").status_code == 200
    assert client.get(f"/inventory/stores/{store.pk}/").status_code == 403
    client.force_login(make_user("keeper", role="Warehouse"))
    assert client.get(f"/inventory/stores/{store.pk}/").status_code == 200
    assert client.get("/inventory/stores/999999/").status_code == 404
