"""A customer's full name follows the store's name order, and lists load the store with the rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shopkeeper.customers.services import CustomerInput, customer_create
from shopkeeper.stores.services import store_create, store_update

from .conftest import ACTOR

pytestmark = pytest.mark.django_db


def make_customer(store, first="Ivan", last="Ivanov", patronymic="Ivanovich"):
    customer, _problems = customer_create(
        store=store,
        data=CustomerInput(first_name=first, last_name=last, patronymic=patronymic),
        actor=ACTOR,
    )
    return customer


def test_full_name_follows_the_store(store):
    russian = make_customer(store)
    english = make_customer(store, first="John", last="Smith", patronymic="")
    assert store.name_order == "last_first"
    assert (russian.full_name, english.full_name) == ("Ivanov Ivan Ivanovich", "Smith John")
    store_update(store=store, name_order="first_last", actor=ACTOR)
    russian.refresh_from_db()
    english.refresh_from_db()
    assert (russian.full_name, english.full_name) == ("Ivan Ivanovich Ivanov", "John Smith")
    assert str(english) == "John Smith"
    assert make_customer(store, first="", last="Solo", patronymic="").full_name == "Solo"


def test_customers_list_shows_each_store_order_without_a_query_per_row(
    admin_client, store, django_assert_max_num_queries
):
    other = store_create(
        code="msk",
        name="Moscow",
        currency="RUB",
        timezone="Europe/Moscow",
        name_order="first_last",
        actor=ACTOR,
    )
    make_customer(store, first="Anna", last="Ivanova", patronymic="")
    make_customer(other, first="Petr", last="Petrov", patronymic="Sergeevich")
    url = reverse("customers:list")
    admin_client.get(url)  # warm per-process caches
    with django_assert_max_num_queries(100) as few:
        body = admin_client.get(url).content.decode()
    assert "Ivanova Anna" in body and "Petr Sergeevich Petrov" in body
    for i in range(8):
        make_customer(store if i % 2 else other, first=f"First{i}", last=f"Last{i}", patronymic="")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = admin_client.get(url).content.decode()
    assert "Last1 First1" in body and "First2 Last2" in body
