from __future__ import annotations

import pytest

from shopkeeper.core.changes import Actor
from shopkeeper.customers.services import CustomerInput, customer_create
from shopkeeper.stores.models import Store

ACTOR = Actor.system("test")


@pytest.fixture
def store(db):
    return Store.objects.create(code="moscow", name="Moscow", currency="RUB", timezone="Europe/Moscow")


@pytest.fixture
def us_store(db):
    return Store.objects.create(code="main", name="Main", currency="USD")


@pytest.fixture
def make_customer(store):
    def make(first_name="Anna", last_name="Ivanova", phone="", email="", target=None, **extra):
        customer, _problems = customer_create(
            store=target or store,
            data=CustomerInput(first_name=first_name, last_name=last_name, phone=phone, email=email, **extra),
            actor=ACTOR,
        )
        return customer

    return make


@pytest.fixture
def offer(store):
    """An offer "SKU-1" at 1000.00 with plenty of stock in a warehouse serving `store`."""
    from shopkeeper.catalog import services as catalog
    from shopkeeper.inventory import services as inventory

    warehouse = inventory.warehouse_create(code="cwh", name="Customers warehouse", actor=ACTOR)
    inventory.store_set_warehouses(store=store, warehouses=[warehouse], actor=ACTOR)
    product = catalog.product_create(
        name="Thing", actor=ACTOR, offers=[{"sku": "SKU-1", "name": "Thing", "prices": {"retail": "1000.00"}}]
    )
    offer = product.offers.get()
    inventory.stock_adjust(
        offer=offer, warehouse=warehouse, delta=1000, reason="receipt", kind="receipt", actor=ACTOR
    )
    return offer


@pytest.fixture
def statuses(db):
    from shopkeeper.orders.models import Status

    return {s.code: s for s in Status.objects.select_related("group")}


@pytest.fixture
def make_order(store, offer):
    """Create a real order through the orders service: `make_order(customer, quantity=1, company=None)`."""
    from decimal import Decimal

    from shopkeeper.orders import services

    def make(customer=None, quantity=1, company=None, target=None, created_at=None, **extra):
        data = services.OrderInput(
            store=target or store,
            customer_id=customer.pk if customer is not None else None,
            company_id=company.pk if company is not None else None,
            customer=None if customer is not None else CustomerInput(first_name="Walk", last_name="In"),
            lines=[services.LineInput(sku="SKU-1", quantity=Decimal(quantity))],
            created_at=created_at,
            **extra,
        )
        return services.order_create(data=data, actor=ACTOR)

    return make
