"""Settings -> Stores: the list, the create/edit form (store row, shipping, order numbering, requisites)."""

from __future__ import annotations

import re

import pytest

from shopkeeper.accounts import roles
from shopkeeper.core.models import Change
from shopkeeper.inventory.services import store_warehouses
from shopkeeper.orders.models import StoreOrderSettings
from shopkeeper.stores.models import Store

pytestmark = pytest.mark.django_db

LIST = "/settings/stores/"
NEW = "/settings/stores/new/"


def form_data(**values) -> dict:
    data = {
        "code": "north",
        "name": "North shop",
        "currency": "eur",
        "timezone": "Europe/Berlin",
        "is_active": "on",
        "name_order": "last_first",
        "number_prefix": "",
        "default_price_type": "retail",
        "reservation_strategy": "priority",
        "legal_name": "",
        "address": "",
        "tax_id": "",
        "bank_details": "",
        "phone": "",
        "email": "",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_list_shows_stores_and_the_settings_entry(admin_client, store, django_assert_max_num_queries):
    for i in range(5):
        Store.objects.create(code=f"s{i}", name=f"Store <{i}>", currency="RUB", timezone="Europe/Moscow")
    with django_assert_max_num_queries(8):
        page = admin_client.get(LIST)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Store &lt;3&gt;" in html and "Europe/Moscow" in html and "America/New_York" in html
    assert f'href="/settings/stores/{store.pk}/"' in html and f'href="{NEW}"' in html
    assert 'data-nav="stores"' in html


def test_administrator_role_without_superuser_may_use_it(client, make_user, store):
    client.force_login(make_user("siteadmin", roles.ADMINISTRATOR))
    assert client.get(LIST).status_code == 200
    assert client.get(NEW).status_code == 200
    assert client.get(f"/settings/stores/{store.pk}/").status_code == 200


def test_manager_gets_403_and_no_menu_entry(client, manager, store):
    client.force_login(manager)
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.get(f"/settings/stores/{store.pk}/").status_code == 403
    assert (
        client.post(f"/settings/stores/{store.pk}/", form_data(code="main", name="Hacked")).status_code == 403
    )
    assert client.post(NEW, form_data()).status_code == 403
    store.refresh_from_db()
    assert store.name == "Main store" and Store.objects.count() == 1
    assert 'data-nav="stores"' not in client.get("/orders/").content.decode()


def test_create_through_the_page(admin_client, warehouses, wholesale):
    east, west = warehouses
    form = admin_client.get(NEW)
    html = form.content.decode()
    assert form.status_code == 200
    assert '<option value="Europe/Kyiv">' in html and f'name="wh_{east.pk}"' in html
    assert '<option value="wholesale">' in html and '<option value="first_last">' in html

    response = admin_client.post(
        NEW,
        form_data(
            name_order="first_last",
            number_prefix="NS-",
            default_price_type="wholesale",
            reservation_strategy="most_available",
            legal_name="North Shop LLC",
            address="1 Main St\nSpringfield",
            tax_id="7701234567",
            bank_details="IBAN DE00 1234",
            phone="+49 30 123456",
            email="billing@north.example",
            **{f"wh_{west.pk}": "1", f"wh_{east.pk}": "2"},
        ),
    )
    assert response.status_code == 302 and response["Location"] == LIST
    store = Store.objects.get(code="north")
    assert (store.name, store.currency, store.timezone, store.is_active) == (
        "North shop",
        "EUR",
        "Europe/Berlin",
        True,
    )
    assert store.name_order == "first_last" and store.reservation_strategy == "most_available"
    assert (store.legal_name, store.tax_id, store.email) == (
        "North Shop LLC",
        "7701234567",
        "billing@north.example",
    )
    assert store.address == "1 Main St\nSpringfield" and store.bank_details == "IBAN DE00 1234"
    assert store_warehouses(store) == [west, east]
    settings = StoreOrderSettings.objects.get(store=store)
    assert (settings.number_prefix, settings.default_price_type) == ("NS-", "wholesale")
    created = Change.objects.get(entity="store", entity_id=store.pk, action="created")
    assert created.actor_label == "boss" and created.source == "ui"
    assert created.changes["code"] == [None, "north"] and created.changes["legal_name"] == [
        None,
        "North Shop LLC",
    ]
    assert "North shop" in admin_client.get(LIST).content.decode()


def test_edit_through_the_page_and_the_change_log(admin_client, store, warehouses, wholesale):
    east, _west = warehouses
    url = f"/settings/stores/{store.pk}/"
    form = admin_client.get(url)
    html = form.content.decode()
    assert form.status_code == 200
    assert 'name="code"' in html and "disabled" in html.split('name="code"')[1].split(">")[0]
    assert '<option value="America/New_York" selected>' in html

    response = admin_client.post(
        url,
        form_data(
            code="renamed",  # disabled on edit: ignored
            name="Main store (new)",
            currency="usd",
            timezone="America/Chicago",
            is_active=None,
            number_prefix="M-",
            default_price_type="wholesale",
            customers_keep_manager="on",
            legal_name="Main Store Inc.",
            tax_id="12-3456789",
            **{f"wh_{east.pk}": "1"},
        ),
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.code, store.name, store.currency, store.timezone) == (
        "main",
        "Main store (new)",
        "USD",
        "America/Chicago",
    )
    assert store.is_active is False and store.legal_name == "Main Store Inc." and store.tax_id == "12-3456789"
    assert store_warehouses(store) == [east]
    settings = StoreOrderSettings.objects.get(store=store)
    assert (settings.number_prefix, settings.default_price_type) == ("M-", "wholesale")
    assert settings.customers_keep_manager is True
    checkbox = re.search(
        r'<input[^>]*name="customers_keep_manager"[^>]*>', admin_client.get(url).content.decode()
    )
    assert checkbox and " checked" in checkbox.group(0)

    edits = Change.objects.filter(entity="store", entity_id=store.pk, action="updated")
    changed = {field: values for c in edits for field, values in c.changes.items()}
    assert changed["name"] == ["Main store", "Main store (new)"]
    assert changed["timezone"] == ["America/New_York", "America/Chicago"]
    assert changed["is_active"] == [True, False]
    assert changed["legal_name"] == ["", "Main Store Inc."]
    assert changed["warehouses"] == [[], ["east"]]
    assert changed["number_prefix"] == ["", "M-"]
    assert changed["default_price_type"] == ["retail", "wholesale"]
    assert "code" not in changed
    assert {c.actor_label for c in edits} == {"boss"}

    again = admin_client.get(url).content.decode()
    assert 'value="M-"' in again and '<option value="wholesale" selected>' in again
    assert f'name="wh_{east.pk}" value="1"' in again

    # Saving the same values again changes nothing and records nothing.
    before = Change.objects.count()
    same = form_data(
        code="main",
        name="Main store (new)",
        currency="USD",
        timezone="America/Chicago",
        is_active=None,
        number_prefix="M-",
        default_price_type="wholesale",
        customers_keep_manager="on",
        legal_name="Main Store Inc.",
        tax_id="12-3456789",
        **{f"wh_{east.pk}": "1"},
    )
    assert admin_client.post(url, same).status_code == 302
    assert Change.objects.count() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"currency": "dollars"}, "currency"),
        ({"currency": "U1D"}, "currency"),
        ({"code": "Main Site"}, "code"),
        ({"code": ""}, "code"),
        ({"name": ""}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"email": "not an email"}, "email"),
        ({"default_price_type": "nope"}, "default_price_type"),
        ({"number_prefix": "X" * 11}, "number_prefix"),
        ({"name_order": "middle"}, "name_order"),
    ],
)
def test_field_errors_write_nothing(admin_client, values, field):
    before = Change.objects.count()
    response = admin_client.post(NEW, form_data(**values))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    assert not Store.objects.filter(code="north").exists() and Change.objects.count() == before


def test_duplicate_code_is_a_field_error(admin_client, store):
    response = admin_client.post(NEW, form_data(code="main"))
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert Store.objects.count() == 1


def test_shipping_errors_are_shown(admin_client, store, warehouses):
    east, west = warehouses
    response = admin_client.post(
        f"/settings/stores/{store.pk}/",
        form_data(code="main", name="Main store", **{f"wh_{east.pk}": "1", f"wh_{west.pk}": "1"}),
    )
    assert response.status_code == 200 and response.context["shipping"].non_field_errors()
    bad = admin_client.post(
        f"/settings/stores/{store.pk}/", form_data(code="main", reservation_strategy="random")
    )
    assert bad.status_code == 200 and "reservation_strategy" in bad.context["shipping"].errors
    store.refresh_from_db()
    assert store.name == "Main store" and store.currency == "USD"


def test_unknown_store_is_404(admin_client):
    assert admin_client.get("/settings/stores/999999/").status_code == 404


def test_an_error_found_by_the_services_is_a_field_error_and_saves_nothing(admin_client, store, make_order):
    from shopkeeper.orders.settings_services import store_order_settings_save

    from .conftest import ACTOR

    store_order_settings_save(store=store, number_prefix="A1", default_price_type="retail", actor=ACTOR)
    for _ in range(2):
        make_order()  # A11, A12: the prefix "A" would give them again
    response = admin_client.post(
        f"/settings/stores/{store.pk}/", form_data(code="main", name="Renamed", number_prefix="A")
    )
    assert response.status_code == 200 and "number_prefix" in response.context["form"].errors
    assert "<title>Main store" in response.content.decode()
    store.refresh_from_db()
    assert store.name == "Main store" and store.currency == "USD"
    assert StoreOrderSettings.objects.get(store=store).number_prefix == "A1"
