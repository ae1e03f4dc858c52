"""SQLite FTS5 name index: kept current by the table's triggers (create, rename, erase, merge)."""

from __future__ import annotations

import pytest
from django.db import connection

from shopkeeper.customers import selectors, services
from shopkeeper.customers.models import Customer

from .conftest import ACTOR

pytestmark = pytest.mark.django_db


def _found(q: str) -> set[int]:
    return set(Customer.objects.filter(selectors.search_q(q)).values_list("pk", flat=True))


def test_name_search_by_word_prefixes_follows_changes(make_customer):
    anna = make_customer(first_name="Anna", last_name="Ivanova")
    boris = make_customer(first_name="Boris", last_name="Ivanov")
    zhang = make_customer(first_name="伟", last_name="张")
    assert _found("ivan") == {anna.pk, boris.pk}
    assert _found("ivanova ann") == {anna.pk}
    assert _found("Анна") == set()
    assert _found("张") == {zhang.pk}
    assert _found('"') == set() and _found("a*b OR c") == set()  # FTS syntax is quoted, never an error
    services.customer_update(customer=boris, values={"last_name": "Petrov"}, actor=ACTOR)
    assert _found("ivan") == {anna.pk} and _found("petr") == {boris.pk}
    services.customer_erase(customer=anna, actor=ACTOR)
    assert _found("ivan") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index exists on SQLite only")
def test_fts_index_is_used_on_sqlite(make_customer):
    assert selectors.fts_available()
    assert selectors.fts_name_q(["ann"]) is not None
