from __future__ import annotations

import pytest

from shopkeeper.inventory import services
from shopkeeper.stores.models import Store
from tests.catalog.factories import ACTOR, make_offer


@pytest.fixture
def store(db):
    return Store.objects.create(code="main", name="Main", currency="USD")


@pytest.fixture
def warehouses(db):
    return [
        services.warehouse_create(code="a", name="A", priority=10, actor=ACTOR),
        services.warehouse_create(code="b", name="B", priority=20, actor=ACTOR),
    ]


@pytest.fixture
def offer(db):
    return make_offer("TEE-M")
