from __future__ import annotations

from decimal import Decimal

import pytest

from shopkeeper.core.changes import Actor
from shopkeeper.inventory import services as inventory
from shopkeeper.stores.services import store_create

ACTOR = Actor.system("test")


@pytest.fixture
def store(db):
    return store_create(
        code="main", name="Main store", currency="USD", timezone="America/New_York", actor=ACTOR
    )


@pytest.fixture
def warehouses(db):
    return [
        inventory.warehouse_create(code="east", name="East", priority=10, actor=ACTOR),
        inventory.warehouse_create(code="west", name="West", priority=20, actor=ACTOR),
    ]


@pytest.fixture
def wholesale(db):
    from shopkeeper.catalog import services as catalog

    return catalog.price_type_create(code="wholesale", name="Wholesale", actor=ACTOR)


@pytest.fixture
def make_order(store, warehouses):
    """An order of `store` for one T-shirt, made through the order service."""
    from shopkeeper.catalog import services as catalog
    from shopkeeper.customers.services import CustomerInput
    from shopkeeper.orders import services as orders

    inventory.store_set_warehouses(store=store, warehouses=warehouses[:1], actor=ACTOR)
    product = catalog.product_create(
        name="T-shirt",
        actor=ACTOR,
        offers=[{"sku": "TSHIRT", "name": "T-shirt", "prices": {"retail": "990.00"}}],
    )
    inventory.stock_adjust(
        offer=product.offers.get(), warehouse=warehouses[0], delta=10, reason="", kind="receipt", actor=ACTOR
    )

    def make(**extra):
        data = orders.OrderInput(
            store=store,
            customer=CustomerInput(first_name="Anna", last_name="Ivanova", phone="+1 212 555 0101"),
            lines=[orders.LineInput(sku="TSHIRT", quantity=Decimal(1))],
            **extra,
        )
        return orders.order_create(data=data, actor=ACTOR)

    return make
