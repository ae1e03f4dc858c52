from __future__ import annotations

import pytest

from shopkeeper.catalog.models import Offer, Product
from shopkeeper.inventory import services as stock
from tests.catalog.factories import ACTOR, make_product
from tests.orders import conftest as orders_conftest

# fixtures of the order tests, made visible to pytest here
store, warehouse = orders_conftest.store, orders_conftest.warehouse
offers, make_order = orders_conftest.offers, orders_conftest.make_order

pytestmark = pytest.mark.django_db


def test_catalog_list_search_htmx_and_query_count(admin_client, django_assert_max_num_queries):
    for i in range(20):
        make_product(f"Shirt {i}", offers=3)
    make_product("<script>alert(1)</script>")
    with django_assert_max_num_queries(14):
        response = admin_client.get("/catalog/")
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content
    sku = Offer.objects.filter(product__name="Shirt 7").first().sku
    fragment = admin_client.get("/catalog/", {"q": sku}, headers={"HX-Request": "true"})
    assert (
        b"Shirt 7" in fragment.content
        and b"Shirt 8" not in fragment.content
        and b"<html" not in fragment.content
    )


def test_product_card_shows_offers_stock_and_history(admin_client, django_assert_max_num_queries):
    product = make_product("Mug", offers=3)
    wh = stock.warehouse_create(code="a", name="Alpha", actor=ACTOR)
    for offer in product.offers.all():
        stock.stock_adjust(offer=offer, warehouse=wh, delta=4, reason="", kind="receipt", actor=ACTOR)
    with django_assert_max_num_queries(14):
        response = admin_client.get(f"/catalog/products/{product.pk}/")
    assert response.status_code == 200
    assert b"Alpha" in response.content and b"990.00" in response.content


def test_create_product_and_offer_through_forms(admin_client):
    response = admin_client.post("/catalog/products/new/", {"name": "Lamp", "is_active": "on"})
    assert response.status_code == 302
    product = Product.objects.get(name="Lamp")
    url = f"/catalog/products/{product.pk}/offers/new/"
    response = admin_client.post(
        url, {"sku": "LAMP-1", "unit": "pcs", "min_stock": "0", "price_retail": "12.50"}
    )
    assert response.status_code == 302, response.content
    assert Offer.objects.get(sku="LAMP-1").prices.get().amount == 12.5
    dup = admin_client.post(url, {"sku": "LAMP-1", "unit": "pcs", "min_stock": "0"})
    assert dup.status_code == 200 and Offer.objects.count() == 1
    bad = admin_client.post(url, {"sku": "LAMP-2", "unit": "pcs", "min_stock": "0", "properties": "[1]"})
    assert bad.status_code == 200 and not Offer.objects.filter(sku="LAMP-2").exists()


def test_views_need_permission(client, manager):
    client.force_login(manager)
    assert client.get("/catalog/").status_code == 200
    assert client.get("/catalog/products/new/").status_code == 403
    client.logout()
    assert client.get("/catalog/").status_code in (302, 403)


def test_product_card_movements_name_the_warehouse_and_link_the_order_by_number(
    admin_client, make_order, offers
):
    order = make_order()  # reserves 2 T-shirts
    page = admin_client.get(f"/catalog/products/{offers['tshirt'].product_id}/").content.decode()
    history = page.split("Movement history", 1)[1]
    assert f'<a href="/orders/{order.pk}/">{order.number}</a>' in history
    assert "Warehouse 1" in history and ">wh1<" not in history
    assert ">+10<" in history and ">+2<" in history  # the receipt on hand, the reservation reserved
