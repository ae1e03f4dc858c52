"""The store services: create/update with requisites and name order, the one-transaction settings save,
the order settings (prefix, default price type)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from shopkeeper.core.models import Change
from shopkeeper.orders.models import StoreOrderSettings
from shopkeeper.orders.settings_services import store_order_settings_save
from shopkeeper.stores.models import Store
from shopkeeper.stores.services import store_create, store_settings_save, store_update

from .conftest import ACTOR

pytestmark = pytest.mark.django_db


def test_create_validates_and_records(db):
    store = store_create(
        code="kyiv", name="Kyiv", currency=" uah ", timezone="Europe/Kyiv", tax_id="12345678", actor=ACTOR
    )
    assert store.currency == "UAH" and store.name_order == "last_first" and store.legal_name == ""
    change = Change.objects.get(entity="store", entity_id=store.pk)
    assert change.changes["tax_id"] == [None, "12345678"] and "legal_name" not in change.changes
    for kwargs, field in [
        ({"code": "x1", "currency": "US"}, "currency"),
        ({"code": "x2", "timezone": "Nowhere/City"}, "timezone"),
        ({"code": "kyiv"}, "code"),
        ({"code": "x3", "email": "nope"}, "email"),
        ({"code": "x4", "name_order": "random"}, "name_order"),
    ]:
        values = {"name": "X", "currency": "USD", "timezone": "UTC", **kwargs}
        with pytest.raises(ValidationError) as exc:
            store_create(actor=ACTOR, **values)
        assert field in exc.value.message_dict
    assert Store.objects.count() == 1


def test_update_keeps_the_code(store):
    store_update(store=store, code="main", name="Renamed", actor=ACTOR)  # the same code is fine
    with pytest.raises(ValidationError) as exc:
        store_update(store=store, code="other", actor=ACTOR)
    assert "code" in exc.value.message_dict
    with pytest.raises(TypeError):
        store_update(store=store, created_at=None, actor=ACTOR)
    store.refresh_from_db()
    assert (store.code, store.name) == ("main", "Renamed")


def test_settings_save_is_one_transaction(store, warehouses):
    east, _west = warehouses
    with pytest.raises(ValidationError) as exc:
        store_settings_save(
            store=store,
            values={"name": "Half saved?"},
            warehouses=[east],
            reservation_strategy="most_available",
            number_prefix="M-",
            default_price_type="no-such-type",
            actor=ACTOR,
        )
    assert "default_price_type" in exc.value.message_dict
    store.refresh_from_db()
    assert store.name == "Main store" and store.reservation_strategy == "priority"
    assert (
        not store.warehouse_links.exists()
        and not StoreOrderSettings.objects.filter(number_prefix="M-").exists()
    )
    assert not Change.objects.filter(entity="store", action="updated").exists()


def test_order_settings_row_is_created_when_missing(store, wholesale):
    StoreOrderSettings.objects.filter(store=store).delete()
    store_order_settings_save(store=store, number_prefix=" W- ", default_price_type="wholesale", actor=ACTOR)
    settings = StoreOrderSettings.objects.get(store=store)
    assert (settings.number_prefix, settings.default_price_type, settings.last_number) == (
        "W-",
        "wholesale",
        0,
    )
    change = Change.objects.filter(entity="store", entity_id=store.pk).latest("id")
    assert change.changes == {"number_prefix": ["", "W-"], "default_price_type": ["retail", "wholesale"]}
    before = Change.objects.count()
    store_order_settings_save(store=store, number_prefix="W-", default_price_type="wholesale", actor=ACTOR)
    assert Change.objects.count() == before


def test_new_prefix_may_not_give_a_number_again(store, make_order):
    store_order_settings_save(store=store, number_prefix="A1", default_price_type="retail", actor=ACTOR)
    assert [make_order().number for _ in range(2)] == ["A11", "A12"]
    # With "A" the counter (at 2) would give A3 ... A11, A12: taken.
    with pytest.raises(ValidationError) as exc:
        store_order_settings_save(store=store, number_prefix="A", default_price_type="retail", actor=ACTOR)
    assert "number_prefix" in exc.value.message_dict
    store_order_settings_save(store=store, number_prefix="B-", default_price_type="retail", actor=ACTOR)
    assert make_order().number == "B-3"


def test_store_ids_of_codes_follow_new_and_unknown_codes(store):
    from shopkeeper.stores.selectors import store_ids_of_codes

    assert store_ids_of_codes(["main", "nope"]) == [store.pk]
    assert store_ids_of_codes(["nope"]) == []
    # A store created by another process: this process's cached codes lack it, so it is looked up.
    (other,) = Store.objects.bulk_create([Store(code="other", name="Other", currency="USD", timezone="UTC")])
    assert store_ids_of_codes(["other", "main", "main"]) in ([other.pk, store.pk], [store.pk, other.pk])
