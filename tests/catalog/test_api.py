from __future__ import annotations

import pytest

from shopkeeper.catalog import services
from shopkeeper.catalog.models import Offer, Product
from tests.catalog.factories import ACTOR, make_product

pytestmark = pytest.mark.django_db

PRODUCT = {
    "name": "T-shirt",
    "group": "apparel",
    "offers": [
        {
            "sku": "TSHIRT-RED-M",
            "name": "T-shirt red M",
            "prices": {"retail": "990.00"},
            "purchase_price": "400.00",
            "properties": {"size": "M", "colour": "red"},
        },
    ],
}


@pytest.fixture
def apparel(db):
    return services.group_create(name="Apparel", code="apparel", actor=ACTOR)


def test_create_product_with_offers_and_idempotency(api, make_key, apparel):
    api.key = make_key("catalog:write", "catalog:read")
    headers = {"Idempotency-Key": "p-1"}
    response = api.post("/products", PRODUCT, headers=headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["group"] == "apparel"
    assert body["offers"][0]["prices"] == {"retail": "990.00"}
    assert body["offers"][0]["purchase_price"] == "400.00"
    again = api.post("/products", PRODUCT, headers=headers)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Product.objects.count() == 1


def test_duplicate_sku_and_unknown_codes_are_422_naming_the_field(api, make_key, apparel):
    api.key = make_key("catalog:write")
    assert api.post("/products", PRODUCT).status_code == 201
    response = api.post("/products", PRODUCT)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["offers", 0, "sku"]
    assert Product.objects.count() == 1  # nothing half-written
    bad = {**PRODUCT, "group": "nope", "offers": []}
    assert api.post("/products", bad).json()["errors"][0]["loc"] == ["group"]
    bad = {"name": "X", "offers": [{"sku": "X-1", "prices": {"vip": "1.00"}}]}
    assert api.post("/products", bad).json()["errors"][0]["loc"] == ["offers", 0, "prices", "vip"]
    bad = {"name": "X", "offers": [{"sku": "X-1", "prices": {"retail": "-1"}}]}
    assert api.post("/products", bad).status_code == 422
    assert api.post("/products", raw=b"{nope").status_code == 400
    assert Product.objects.count() == 1


def test_scopes(api, make_key, apparel):
    api.key = make_key("catalog:read")
    assert api.post("/products", PRODUCT).status_code == 403
    api.key = make_key("orders:read")
    assert api.get("/products").status_code == 403


def test_list_filters_and_pagination(api, make_key, django_assert_max_num_queries):
    for i in range(5):
        make_product(f"Shirt {i}", offers=2, price=f"{(i + 1) * 100}.00")
    make_product("Mug", price="50.00")
    api.key = make_key("catalog:read")
    with django_assert_max_num_queries(8):
        page = api.get("/products", limit=3).json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = api.get("/products", limit=3, cursor=page["next_cursor"]).json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None
    assert [p["name"] for p in api.get("/products", q="mug").json()["items"]] == ["Mug"]
    sku = Offer.objects.get(product__name="Shirt 2", sku__endswith="-1").sku
    assert [p["name"] for p in api.get("/products", q=sku).json()["items"]] == ["Shirt 2"]
    names = {p["name"] for p in api.get("/products", price_min="200", price_max="300").json()["items"]}
    assert names == {"Shirt 1", "Shirt 2"}
    assert api.get("/products", price_min="abc").status_code == 422
    assert api.get("/products", cursor="garbage").status_code == 422


def test_list_query_count_does_not_grow(api, make_key, django_assert_max_num_queries):
    api.key = make_key("catalog:read")
    for i in range(30):
        make_product(f"P{i}", offers=3)
    with django_assert_max_num_queries(8):
        assert len(api.get("/products", limit=100).json()["items"]) == 30


def test_get_patch_product(api, make_key, apparel, django_assert_max_num_queries):
    product = make_product("Mug")
    api.key = make_key("catalog:read", "catalog:write")
    with django_assert_max_num_queries(8):
        assert api.get(f"/products/{product.pk}").json()["name"] == "Mug"
    response = api.request("PATCH", f"/products/{product.pk}", {"name": "Big mug", "group": "apparel"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Big mug" and response.json()["group"] == "apparel"
    assert api.request("PATCH", f"/products/{product.pk}", {"name": None}).status_code == 422
    assert api.request("PATCH", "/products/999999", {"name": "x"}).status_code == 404
    assert api.get("/products/999999").status_code == 404


def test_offers_by_sku_and_price_types(api, make_key):
    product = make_product("Mug")
    sku = product.offers.get().sku
    api.key = make_key("catalog:read")
    items = api.get("/offers", sku=sku).json()["items"]
    assert [(o["sku"], o["product_id"], o["prices"]) for o in items] == [
        (sku, product.pk, {"retail": "990.00"})
    ]
    assert api.get("/offers", sku="none").json()["items"] == []
    assert [t["code"] for t in api.get("/price-types").json()["items"]] == ["retail"]
