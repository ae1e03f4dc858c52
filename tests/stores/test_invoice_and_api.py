"""The store's requisites on the printed invoice and in the API."""

from __future__ import annotations

import pytest

from shopkeeper.stores.services import store_update

from .conftest import ACTOR

pytestmark = pytest.mark.django_db


def test_invoice_shows_requisites_when_set(admin_client, store, make_order):
    order = make_order()
    url = f"/orders/{order.pk}/invoice/"
    plain = admin_client.get(url).content.decode()
    assert "Main store" in plain and 'data-testid="store-requisites"' not in plain

    store_update(
        store=store,
        legal_name="Main Store <Inc.>",
        address="1 Main St\nSpringfield",
        tax_id="12-3456789",
        bank_details="First Bank\nIBAN US00 1111",
        phone="+1 212 555 0100",
        email="billing@main.example",
        actor=ACTOR,
    )
    body = admin_client.get(url).content.decode()
    block = body.split('data-testid="store-requisites"')[1].split("</div>\n    </div>")[0]
    assert "Main Store &lt;Inc.&gt;" in block and "<Inc.>" not in body
    assert "1 Main St<br>Springfield" in block and "First Bank<br>IBAN US00 1111" in block
    assert "Tax ID: 12-3456789" in block and "+1 212 555 0100" in block and "billing@main.example" in block


def test_invoice_shows_only_the_requisites_given(admin_client, store, make_order):
    store_update(store=store, tax_id="998877", actor=ACTOR)
    body = admin_client.get(f"/orders/{make_order().pk}/invoice/").content.decode()
    assert 'data-testid="store-requisites"' in body and "Tax ID: 998877" in body


def test_api_lists_the_new_fields_read_only(api, make_key, store):
    store_update(store=store, legal_name="Main Store Inc.", name_order="first_last", actor=ACTOR)
    api.key = make_key("orders:read")
    response = api.get("/stores")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["legal_name"] == "Main Store Inc." and item["name_order"] == "first_last"
    assert {"address", "tax_id", "bank_details", "phone", "email"} <= set(item)
