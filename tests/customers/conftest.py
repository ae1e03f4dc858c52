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
