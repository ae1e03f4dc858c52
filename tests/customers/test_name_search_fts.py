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


def test_a_short_word_matches_the_start_of_a_name_word_on_either_database(make_customer):
    # Under three letters no trigram index serves a substring: PostgreSQL matches word starts through
    # its word index (migration 0007), as SQLite's FTS5 index does.
    anna = make_customer(first_name="Anna", last_name="Ivanova")
    make_customer(first_name="Boris", last_name="Ivanov")
    wei = make_customer(first_name="伟", last_name="韦")
    long = make_customer(first_name="伟", last_name="韦小")
    assert _found("an") == {anna.pk}
    assert _found("韦") == {wei.pk, long.pk}
    assert _found("韦 伟") == {wei.pk, long.pk}
    assert _found("an iv") == {anna.pk}
    assert _found("a'") <= {anna.pk}  # not a word: never an error


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index exists on SQLite only")
def test_fts_index_is_used_on_sqlite(make_customer):
    assert selectors.fts_available()
    assert selectors.fts_name_q(["ann"]) is not None


def test_phone_fragment_search_follows_changes(make_customer):
    """Phone digits have their trigram index on SQLite (migration 0006): fragments in any format find
    the customer, and a changed or erased phone is no longer found."""
    anna = make_customer(phone="+7 915 123-45-67")
    boris = make_customer(first_name="Boris", phone="+7 916 555-01-02")
    assert _found("915 123") == {anna.pk}
    assert _found("8 (915) 123-45-67") == {anna.pk}
    assert _found("55 01") == {boris.pk}
    services.customer_set_contacts(customer=anna, phones=["+7 917 000-11-22"], actor=ACTOR)
    assert _found("915 123") == set() and _found("917 000") == {anna.pk}
    services.customer_erase(customer=boris, actor=ACTOR)
    assert _found("55 01") == set()
    if connection.vendor == "sqlite":
        assert selectors.fts_available(selectors.PHONE_FTS_TABLE)
