"""The process's cache of reference rows (core.scope.reference): kept across requests, forgotten on change."""

import pytest

from shopkeeper.accounts.models import ApiKey
from shopkeeper.accounts.services import apikey_create
from shopkeeper.core import scope
from shopkeeper.core.changes import Actor
from shopkeeper.customers.models import DedupePolicy, Tag
from shopkeeper.stores.models import Store

pytestmark = pytest.mark.django_db


def _counting():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return calls, compute


def test_kept_across_units_of_work_until_the_ttl(monkeypatch):
    calls, compute = _counting()
    assert scope.reference("k", compute) == 1
    with scope.memo_scope():
        assert scope.reference("k", compute) == 1
    assert scope.reference("k", compute) == 1
    monkeypatch.setattr(scope, "REFERENCE_TTL", 0.0)
    assert scope.reference("k", compute) == 2
    assert len(calls) == 2


def test_a_change_to_a_reference_model_forgets_everything():
    store = Store.objects.create(code="main", name="Main", currency="USD")
    calls, compute = _counting()
    scope.reference("k", compute)
    Tag.objects.create(name="vip")  # not reference data
    scope.reference("k", compute)
    assert len(calls) == 1
    DedupePolicy.objects.create(store=store, reuse_on_phone=False)
    scope.reference("k", compute)
    assert len(calls) == 2
    store.name = "Main store"
    store.save()
    scope.reference("k", compute)
    assert len(calls) == 3


def test_an_api_keys_stores_follow_a_change_at_once():
    main = Store.objects.create(code="main", name="Main", currency="USD")
    other = Store.objects.create(code="other", name="Other", currency="USD")
    created = apikey_create(name="site", scopes=["orders:write"], stores=[main], actor=Actor.system("test"))
    key = ApiKey.objects.get(pk=created.api_key.pk)
    assert key.store_ids() == [main.pk]
    key.stores.add(other)
    assert sorted(ApiKey.objects.get(pk=key.pk).store_ids()) == sorted([main.pk, other.pk])
    key.stores.clear()
    assert ApiKey.objects.get(pk=key.pk).store_ids() is None


def test_lists_offer_a_new_user_and_a_new_store_at_once(django_user_model):
    from shopkeeper.accounts.selectors import active_users
    from shopkeeper.stores.selectors import active_stores

    before = {u.username for u in active_users()}, {s.code for s in active_stores()}
    django_user_model.objects.create_user(username="newcomer", password="x-long-enough-1")
    Store.objects.create(code="eu", name="EU", currency="EUR")
    assert {u.username for u in active_users()} == before[0] | {"newcomer"}
    assert {s.code for s in active_stores()} == before[1] | {"eu"}
