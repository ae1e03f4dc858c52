from __future__ import annotations

import pytest

from shopkeeper.inventory import services
from shopkeeper.inventory.models import StockLevel, Warehouse
from tests.catalog.factories import ACTOR, make_offer

pytestmark = pytest.mark.django_db


def test_stock_pages_and_forms(admin_client, django_assert_max_num_queries):
    a = services.warehouse_create(code="a", name="Alpha", actor=ACTOR)
    services.warehouse_create(code="b", name="Beta", actor=ACTOR)
    offers = [make_offer(f"S-{i}", min_stock=5) for i in range(10)]
    response = admin_client.post(
        "/inventory/adjust/", {"offer": "S-1", "warehouse": "a", "kind": "receipt", "delta": "7"}
    )
    assert response.status_code == 302
    assert StockLevel.objects.get(offer=offers[1], warehouse=a).on_hand == 7
    bad = admin_client.post(
        "/inventory/adjust/", {"offer": "NOPE", "warehouse": "a", "kind": "receipt", "delta": "1"}
    )
    assert bad.status_code == 200 and "offer" in bad.context["form"].errors
    frac = admin_client.post(
        "/inventory/adjust/", {"offer": "S-1", "warehouse": "a", "kind": "receipt", "delta": "1.5"}
    )
    assert frac.status_code == 200 and frac.context["form"].errors
    response = admin_client.post(
        "/inventory/transfer/", {"offer": "S-1", "source": "a", "target": "b", "quantity": "3"}
    )
    assert response.status_code == 302
    too_much = admin_client.post(
        "/inventory/transfer/", {"offer": "S-1", "source": "a", "target": "b", "quantity": "30"}
    )
    assert too_much.status_code == 200 and too_much.context["form"].errors
    for i in range(2, 10):
        services.stock_adjust(offer=offers[i], warehouse=a, delta=i, reason="", kind="receipt", actor=ACTOR)
    with django_assert_max_num_queries(12):
        assert admin_client.get("/inventory/").status_code == 200
    with django_assert_max_num_queries(12):
        low = admin_client.get("/inventory/low/")
    assert [o.sku for o in low.context["offers"]] == [
        "S-0",
        "S-2",
        "S-3",
        "S-4",
    ]  # S-1 has 4 + 3 after the transfer
    with django_assert_max_num_queries(12):
        assert admin_client.get("/inventory/warehouses/").status_code == 200
    response = admin_client.post(
        "/inventory/warehouses/new/", {"code": "c", "name": "Gamma", "priority": "5"}
    )
    assert response.status_code == 302 and Warehouse.objects.filter(code="c").exists()
