from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from shopkeeper.catalog import services as catalog
from shopkeeper.core.changes import Actor
from shopkeeper.intake import services as intake
from shopkeeper.inventory import services as inventory
from shopkeeper.stores.models import Store

SYSTEM = Actor.system("test")
FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def native(**extra) -> dict:
    payload = {
        "store": "main",
        "external_id": "100234",
        "channel": "web",
        "customer": {
            "first_name": "Anna",
            "last_name": "Ivanova",
            "phone": "+1 212 555 0101",
            "email": "anna@example.com",
        },
        "lines": [{"sku": "TSHIRT-RED-M", "quantity": 2, "price": "990.00"}],
        "delivery": {
            "type": "courier",
            "cost": "300.00",
            "address": {"city": "Moscow", "text": "Tverskaya 1"},
        },
        "payments": [{"type": "card", "amount": "2280.00", "status": "paid"}],
    }
    payload.update(extra)
    return payload


@pytest.fixture
def store(db):
    return Store.objects.create(code="main", name="Main store", currency="USD")


@pytest.fixture
def offers(store):
    wh = inventory.warehouse_create(code="wh1", name="Warehouse 1", actor=SYSTEM)
    inventory.store_set_warehouses(store=store, warehouses=[wh], actor=SYSTEM)
    tshirt = catalog.product_create(
        name="T-shirt",
        actor=SYSTEM,
        offers=[{"sku": "TSHIRT-RED-M", "name": "T-shirt red M", "prices": {"retail": "990.00"}}],
    ).offers.get()
    mug = catalog.product_create(
        name="Mug", actor=SYSTEM, offers=[{"sku": "MUG", "name": "Mug", "prices": {"retail": "300.00"}}]
    ).offers.get()
    for offer in (tshirt, mug):
        inventory.stock_adjust(
            offer=offer, warehouse=wh, delta=50, reason="receipt", kind="receipt", actor=SYSTEM
        )
    return {"tshirt": tshirt, "mug": mug}


@pytest.fixture
def writer(api, make_key, offers):
    api.key = make_key("orders:write", "orders:read")
    return api


@pytest.fixture
def secrets(store):
    intake.credential_set(store=store, source="woocommerce", secret="wc-secret", actor=SYSTEM)
    intake.credential_set(store=store, source="shopify", secret="shop-secret", actor=SYSTEM)
    return {"woocommerce": "wc-secret", "shopify": "shop-secret"}


def dumps(data) -> bytes:
    return json.dumps(data).encode()
