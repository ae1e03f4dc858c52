"""Browser test of Settings -> Stores: an administrator creates a store through the page."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_a_store_through_settings(signed_in, shot):
    from shopkeeper.core.changes import Actor
    from shopkeeper.inventory.services import store_warehouses, warehouse_create
    from shopkeeper.orders.models import StoreOrderSettings
    from shopkeeper.stores.models import Store

    east = warehouse_create(code="east", name="East warehouse", actor=Actor.system("test"))
    page = signed_in
    page.set_default_timeout(8000)
    page.click("[data-nav=stores]")
    expect(page.locator("h1")).to_have_text("Stores")
    page.click("[data-testid=store-new]")
    expect(page.locator("h1")).to_have_text("New store")

    page.fill("input[name=code]", "berlin")
    page.fill("input[name=name]", "Berlin shop")
    page.fill("input[name=currency]", "eur")
    page.select_option("select[name=timezone]", "Europe/Berlin")
    page.select_option("select[name=name_order]", "first_last")
    page.fill("input[name=number_prefix]", "BE-")
    page.fill(f"input[name=wh_{east.pk}]", "1")
    page.fill("input[name=legal_name]", "Berlin Shop GmbH")
    page.fill("textarea[name=address]", "Hauptstraße 1\n10115 Berlin")
    page.fill("input[name=tax_id]", "DE123456789")
    shot(page, "stores-settings-desktop")
    page.click("[data-testid=store-save]")

    expect(page.locator(".alert-success")).to_contain_text("Berlin shop")
    row = page.locator("[data-testid=store-row]", has_text="berlin")
    expect(row).to_contain_text("EUR")
    expect(row).to_contain_text("Europe/Berlin")
    store = Store.objects.get(code="berlin")
    assert store.name_order == "first_last" and store.legal_name == "Berlin Shop GmbH"
    assert store_warehouses(store) == [east]
    assert StoreOrderSettings.objects.get(store=store).number_prefix == "BE-"
    assert not page.console_errors, page.console_errors
    page.goto("about:blank")
