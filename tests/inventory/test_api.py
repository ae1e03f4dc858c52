from __future__ import annotations

import pytest

from shopkeeper.inventory.models import Movement, StockLevel
from tests.catalog.factories import make_offer

pytestmark = pytest.mark.django_db


def test_warehouses_create_and_list(api, make_key):
    api.key = make_key("inventory:write", "catalog:read")
    response = api.post("/warehouses", {"code": "msk", "name": "Moscow"})
    assert response.status_code == 201, response.content
    assert api.post("/warehouses", {"code": "msk", "name": "Again"}).json()["errors"][0]["loc"] == ["code"]
    assert api.post("/warehouses", {"code": "Bad Code", "name": "x"}).status_code == 422
    assert [w["code"] for w in api.get("/warehouses").json()["items"]] == ["msk"]


def test_adjust_and_read_stock(api, make_key, django_assert_max_num_queries):
    offer = make_offer("TSHIRT-RED-M")
    api.key = make_key("inventory:write", "catalog:read")
    api.post("/warehouses", {"code": "msk", "name": "Moscow"})
    body = {"sku": "TSHIRT-RED-M", "warehouse": "msk", "delta": 10, "reason": "receipt", "kind": "receipt"}
    response = api.post("/stock/adjust", body, headers={"Idempotency-Key": "r1"})
    assert response.status_code == 201, response.content
    assert api.post("/stock/adjust", body, headers={"Idempotency-Key": "r1"})["Idempotent-Replayed"] == "true"
    assert StockLevel.objects.get(offer=offer).on_hand == 10
    with django_assert_max_num_queries(6):
        items = api.get("/stock", sku="TSHIRT-RED-M").json()["items"]
    assert items == [
        {"sku": "TSHIRT-RED-M", "warehouse": "msk", "on_hand": "10", "reserved": "0", "available": "10"}
    ]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"sku": "NOPE", "warehouse": "msk", "delta": 1, "reason": "x"}, ["sku"]),
        ({"sku": "S1", "warehouse": "nope", "delta": 1, "reason": "x"}, ["warehouse"]),
        ({"sku": "S1", "warehouse": "msk", "delta": 1.5, "reason": "x"}, ["delta"]),
        ({"sku": "S1", "warehouse": "msk", "delta": -5, "reason": "x"}, ["delta"]),
        ({"sku": "S1", "warehouse": "msk", "delta": "abc", "reason": "x"}, ["delta"]),
        ({"sku": "S1", "warehouse": "msk", "delta": -1, "reason": "x", "kind": "receipt"}, ["delta"]),
        ({"sku": "S1", "warehouse": "msk", "delta": 1, "reason": ""}, ["reason"]),
    ],
)
def test_adjust_bad_input_is_422_naming_the_field(api, make_key, body, loc):
    make_offer("S1")
    api.key = make_key("inventory:write")
    api.post("/warehouses", {"code": "msk", "name": "Moscow"})
    response = api.post("/stock/adjust", body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["loc"] == loc
    assert not Movement.objects.exists()


def test_adjust_needs_inventory_scope(api, make_key):
    api.key = make_key("catalog:write")
    assert (
        api.post("/stock/adjust", {"sku": "x", "warehouse": "y", "delta": 1, "reason": "r"}).status_code
        == 403
    )
