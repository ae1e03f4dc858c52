"""Data and helpers for the order browser tests, built through the services like production does.

Browser tests run with `transaction=True`: the database is flushed after each test, which also wipes
the rows data migrations install (statuses, channels, price types). `shop` puts them back first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest

from shopkeeper.core.changes import Actor
from tests.conftest import PASSWORD

SYSTEM = Actor.system("e2e")
MANAGER_NAME = ("Mia", "Manager")


@dataclass
class Shop:
    store: object
    warehouse: object
    offers: dict
    api_secret: str


def ensure_dictionaries() -> None:
    """Re-create what the data migrations install (idempotent)."""
    from django.apps import apps

    from shopkeeper.catalog.models import PriceType
    from shopkeeper.orders.defaults import install_defaults

    PriceType.objects.get_or_create(code="retail", defaults={"name": "Retail", "is_default": True})
    install_defaults(apps)


@pytest.fixture
def shop(transactional_db) -> Shop:
    """Store `main` (USD) shipping from `wh1`: TSHIRT-RED-M (10 in stock, 990.00) and MUG (5, 300.00),
    and an API key with orders:read/write."""
    from shopkeeper.accounts.services import apikey_create
    from shopkeeper.catalog import services as catalog
    from shopkeeper.inventory import services as inventory
    from shopkeeper.stores.models import Store

    ensure_dictionaries()
    store = Store.objects.create(code="main", name="Main store", currency="USD")
    wh = inventory.warehouse_create(code="wh1", name="Warehouse 1", actor=SYSTEM)
    inventory.store_set_warehouses(store=store, warehouses=[wh], actor=SYSTEM)
    tshirt = catalog.product_create(
        name="T-shirt",
        actor=SYSTEM,
        offers=[
            {
                "sku": "TSHIRT-RED-M",
                "name": "T-shirt red M",
                "prices": {"retail": "990.00"},
                "purchase_price": "400.00",
            }
        ],
    ).offers.get()
    mug = catalog.product_create(
        name="Mug", actor=SYSTEM, offers=[{"sku": "MUG", "name": "Mug", "prices": {"retail": "300.00"}}]
    ).offers.get()
    for offer, qty in ((tshirt, 10), (mug, 5)):
        inventory.stock_adjust(
            offer=offer, warehouse=wh, delta=qty, reason="receipt", kind="receipt", actor=SYSTEM
        )
    key = apikey_create(name="Website", scopes=["orders:read", "orders:write"], actor=SYSTEM)
    return Shop(store=store, warehouse=wh, offers={"tshirt": tshirt, "mug": mug}, api_secret=key.secret)


def order_payload(
    *, external_id: str, phone: str = "+1 212 555 0147", first_name: str = "Olivia", qty: int = 2
) -> dict:
    return {
        "store": "main",
        "external_id": external_id,
        "channel": "web",
        "customer": {
            "first_name": first_name,
            "last_name": "Parker",
            "phone": phone,
            "email": "olivia@example.com",
        },
        "lines": [{"sku": "TSHIRT-RED-M", "quantity": str(qty)}],
        "delivery": {
            "type": "courier",
            "address": {"city": "New York", "street": "5th Avenue", "building": "1"},
        },
        "comment": "Please call before delivery",
    }


def post_order(page, live_server, shop: Shop, payload: dict) -> dict:
    """Create an order through the real HTTP API, as a website would."""
    response = page.request.post(
        live_server.url + "/api/v1/orders",
        data=json.dumps(payload),
        headers={"Authorization": f"Bearer {shop.api_secret}", "Content-Type": "application/json"},
    )
    assert response.status == 201, (response.status, response.text())
    return response.json()


def create_order(shop: Shop, *, phone: str, first_name: str, qty: int = 1, sku: str = "TSHIRT-RED-M"):
    """An order made directly through the service (for lists that need several orders quickly)."""
    from shopkeeper.customers.services import CustomerInput
    from shopkeeper.orders import services

    data = services.OrderInput(
        store=shop.store,
        customer=CustomerInput(first_name=first_name, last_name="Test", phone=phone),
        lines=[services.LineInput(sku=sku, quantity=Decimal(qty))],
    )
    return services.order_create(data=data, actor=SYSTEM)


@pytest.fixture
def manager_page(page, make_user, shop):
    """The page signed in as a sales manager (role Manager, sees all stores' orders)."""
    from shopkeeper.accounts import roles

    make_user("mia", roles.MANAGER, first_name=MANAGER_NAME[0], last_name=MANAGER_NAME[1])
    sign_in(page, "mia")
    return page


@pytest.fixture
def admin_page(page, make_user, shop):
    from shopkeeper.accounts import roles

    make_user("admin", roles.ADMINISTRATOR, is_superuser=True, first_name="Ada", last_name="Admin")
    sign_in(page, "admin")
    return page


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, "sign-in failed"
