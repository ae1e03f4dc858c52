from __future__ import annotations

import pytest
from django.db.models import Sum
from faker import Faker

from shopkeeper.catalog import demo
from shopkeeper.catalog.models import Offer, Price
from shopkeeper.core.demo import DemoContext
from shopkeeper.inventory.models import Movement, StockLevel, StoreWarehouse
from shopkeeper.stores import demo as stores_demo

pytestmark = pytest.mark.django_db


def test_demo_catalog_is_realistic_consistent_and_idempotent():
    ctx = DemoContext(size="S", faker=Faker(["en_US"]), seed=1, log=lambda _m: None)
    stores_demo.load(ctx)
    demo.load(ctx)
    offers = Offer.objects.count()
    assert offers >= 300
    assert Price.objects.filter(price_type__code="wholesale").count() == offers
    assert StoreWarehouse.objects.filter(store__code="moscow").count() == 2
    totals = Movement.objects.aggregate(m=Sum("on_hand_delta"))["m"]
    assert totals == StockLevel.objects.aggregate(s=Sum("on_hand"))["s"] > 0
    demo.load(ctx)
    assert Offer.objects.count() == offers
    assert Movement.objects.aggregate(m=Sum("on_hand_delta"))["m"] == totals
