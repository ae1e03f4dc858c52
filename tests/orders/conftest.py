from decimal import Decimal

import pytest

from shopkeeper.catalog import services as catalog
from shopkeeper.core.changes import Actor
from shopkeeper.inventory import services as inventory
from shopkeeper.orders.models import Status
from shopkeeper.stores.models import Store

SYSTEM = Actor.system("test")


@pytest.fixture
def store(db):
    return Store.objects.create(code="main", name="Main store", currency="USD")


@pytest.fixture
def warehouse(store):
    wh = inventory.warehouse_create(code="wh1", name="Warehouse 1", actor=SYSTEM)
    inventory.store_set_warehouses(store=store, warehouses=[wh], actor=SYSTEM)
    return wh


@pytest.fixture
def writer(api, make_key, offers):
    """The API client with a key that reads and writes orders (the catalog's offers in place)."""
    api.key = make_key("orders:read", "orders:write")
    return api


@pytest.fixture
def offers(warehouse):
    """TSHIRT-RED-M (10 in stock, 990.00), MUG (2 in stock, 300.00), SERVICE-GIFT (service, 50.00)."""
    product = catalog.product_create(
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
    )
    mug = catalog.product_create(
        name="Mug", actor=SYSTEM, offers=[{"sku": "MUG", "name": "Mug", "prices": {"retail": "300.00"}}]
    )
    gift = catalog.product_create(
        name="Gift wrap",
        actor=SYSTEM,
        is_service=True,
        offers=[{"sku": "SERVICE-GIFT", "name": "Gift wrap", "prices": {"retail": "50.00"}}],
    )
    tshirt = product.offers.get()
    inventory.stock_adjust(
        offer=tshirt, warehouse=warehouse, delta=10, reason="receipt", kind="receipt", actor=SYSTEM
    )
    inventory.stock_adjust(
        offer=mug.offers.get(), warehouse=warehouse, delta=2, reason="receipt", kind="receipt", actor=SYSTEM
    )
    return {"tshirt": tshirt, "mug": mug.offers.get(), "gift": gift.offers.get()}


@pytest.fixture
def statuses(db):
    return {s.code: s for s in Status.objects.select_related("group")}


@pytest.fixture
def make_order(store, offers):
    from shopkeeper.customers.services import CustomerInput
    from shopkeeper.orders import services

    def make(lines=(("TSHIRT-RED-M", 2),), **extra):
        data = services.OrderInput(
            store=store,
            customer=extra.pop(
                "customer",
                CustomerInput(
                    first_name="Anna", last_name="Ivanova", phone="+1 212 555 0101", email="anna@example.com"
                ),
            ),
            lines=[services.LineInput(sku=sku, quantity=Decimal(q)) for sku, q in lines],
            **extra,
        )
        return services.order_create(data=data, actor=SYSTEM)

    return make
