"""Browser tests of what a store manager meets every day outside the order card: the top bar on a
phone in every language, stock that runs low, an intake entry that needs a code mapped, the API key
form, and sessions that end when the password changes."""

import json

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e import orders_fixtures
from tests.e2e.conftest import PHONE

shop = orders_fixtures.shop  # fixture, made visible to pytest here
admin_page = orders_fixtures.admin_page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _timeout(page):
    page.set_default_timeout(8000)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


@pytest.mark.parametrize("language", ["en", "ru", "uk", "zh-hans"])
def test_the_top_bar_stays_one_line_on_a_phone(admin_page, shot, language):
    page = admin_page
    page.set_viewport_size(PHONE)
    page.goto("/inventory/")
    page.select_option("[data-testid=language]", language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    bar = page.locator(".sk-topbar").bounding_box()
    assert bar["height"] <= 57, bar
    menu = page.locator("[data-testid=user-menu]").bounding_box()
    assert menu["y"] < bar["height"] and menu["x"] + menu["width"] <= PHONE["width"], menu
    _no_sideways_scroll(page)
    shot(page, f"topbar-phone-{language}")


def test_low_stock_links_to_receiving_it(admin_page, shop, shot):
    from shopkeeper.catalog.services import offer_update

    offer_update(offer=shop.offers["mug"], min_stock=8, actor=orders_fixtures.SYSTEM)  # 5 in stock
    page = admin_page
    page.set_viewport_size(PHONE)
    page.goto("/inventory/low/")
    _no_sideways_scroll(page)  # the table scrolls, not the page
    shot(page, "inventory-low-stock-phone")
    page.click("[data-testid=receive-MUG]")
    expect(page.locator("input[name=offer]")).to_have_value("MUG")
    warehouse = page.locator("select[name=warehouse]")
    expect(warehouse.locator("option").first).to_have_text("Choose a warehouse")
    warehouse.select_option("wh1")
    page.fill("input[name=delta]", "10")
    page.fill("input[name=reason]", "Supplier delivery")
    shot(page, "inventory-receive-from-low-stock")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto("/inventory/low/")
    expect(page.locator("[data-testid=receive-MUG]")).to_have_count(0)
    # The stock filter offers every warehouse by name, not Django's "- Select an option -".
    page.goto("/inventory/")
    expect(page.locator("select[name=warehouse] option").first).to_have_text("All warehouses")
    assert not page.console_errors, page.console_errors


def test_a_flagged_intake_entry_reads_as_sentences_and_its_code_is_mapped_from_the_row(
    admin_page, shop, live_server, shot
):
    page = admin_page
    payload = orders_fixtures.order_payload(external_id="site-77")
    payload["delivery"]["type"] = "dhl-express"
    response = page.request.post(
        live_server.url + "/api/v1/intake/native",
        data=json.dumps(payload),
        headers={"Authorization": f"Bearer {shop.api_secret}", "Content-Type": "application/json"},
    )
    assert response.status == 201, response.text()

    page.goto("/intake/")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Main store")
    expect(row).to_contain_text("Delivery type “dhl-express” is not mapped to one of ours yet.")
    expect(row).not_to_contain_text("201")
    row.locator("a").first.click()
    flags = page.locator("[data-testid=intake-flags]")
    expect(flags).to_contain_text("is not mapped to one of ours yet")
    expect(page.locator("textarea[name=body]")).to_have_value(
        json.dumps(payload, indent=2, ensure_ascii=False)
    )
    shot(page, "intake-entry-flagged")

    flags.get_by_role("link").click()
    page.get_by_role("link", name="Map", exact=True).click()
    expect(page.locator("input[name=external_code]")).to_have_value("dhl-express")
    expect(page.locator("select[name=kind]")).to_have_value("delivery")
    page.fill("input[name=internal_code]", "courier")
    page.locator("#sk-map-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    mapped = page.locator("tbody tr", has_text="dhl-express")
    expect(mapped.locator("code").nth(1)).to_have_text("courier")
    assert not page.console_errors, page.console_errors


def test_api_key_scopes_are_checkboxes_that_read_as_words(admin_page, shot):
    page = admin_page
    page.goto("/profile/api-keys/new/")
    card = page.locator(".card").first.bounding_box()
    for box in page.locator("input[name=scopes]").all():
        b = box.bounding_box()
        assert card["x"] <= b["x"] and b["x"] + b["width"] <= card["x"] + card["width"], (b, card)
    page.fill("input[name=name]", "Warehouse app")
    page.get_by_label("Read orders").check()
    page.get_by_label("Main store").check()
    shot(page, "api-key-form")
    page.click("[data-testid=create-key]")
    page.click("text=Done")
    row = page.locator("tr", has_text="Warehouse app")
    expect(row).to_contain_text("Read orders")
    expect(row).to_contain_text("Main store")
    expect(row).not_to_contain_text("orders:read")


def test_changing_the_password_signs_out_the_other_browser(admin_page, browser, live_server):
    other = browser.new_context(base_url=live_server.url)
    try:
        elsewhere = other.new_page()
        orders_fixtures.sign_in(elsewhere, "admin")
        elsewhere.goto("/profile/")
        expect(elsewhere.locator("h1")).to_have_text("Profile")

        page = admin_page
        page.goto("/password/")
        page.fill("input[name=old_password]", PASSWORD)
        page.fill("input[name=new_password1]", "a-brand-new-passphrase")
        page.fill("input[name=new_password2]", "a-brand-new-passphrase")
        page.locator("main button[type=submit]").click()
        expect(page.locator(".alert-success")).to_be_visible()
        expect(page.locator("h1")).to_have_text("Profile")  # this browser stays signed in

        elsewhere.goto("/profile/")
        expect(elsewhere.locator("h1")).to_have_text("Sign in")
    finally:
        other.close()


def test_a_company_contact_is_found_by_phone_and_picked(admin_page, shop, shot):
    from shopkeeper.customers import services as customers

    company = customers.company_create(
        store=shop.store, legal_name="Acme Trading", actor=orders_fixtures.SYSTEM
    )
    orders_fixtures.create_order(shop, phone="+1 917 555 0123", first_name="Olga")
    page = admin_page
    page.goto(f"/customers/companies/{company.pk}/")
    page.get_by_test_id("contact-search").fill("555 01")
    candidates = page.get_by_test_id("contact-candidates")
    expect(candidates).to_contain_text("Olga")
    expect(candidates).to_contain_text("+1 917-555-0123")
    expect(candidates.locator("input[type=radio]")).to_be_checked()  # the one match is picked
    page.fill("input[name=position]", "Buyer")
    shot(page, "company-contact-picker")
    page.get_by_test_id("contact-form").locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("contact person")
    expect(page.get_by_test_id("contacts")).to_contain_text("Olga")
    expect(page.get_by_test_id("contacts")).to_contain_text("Buyer")
    assert not page.console_errors, page.console_errors


def test_a_duplicate_is_merged_from_the_customer_card(admin_page, shop, shot):
    orders_fixtures.create_order(shop, phone="+1 917 555 0123", first_name="Olga")
    orders_fixtures.create_order(shop, phone="+1 917 555 0199", first_name="Olya")
    from shopkeeper.customers.models import Customer

    olga, olya = (Customer.objects.get(first_name=name) for name in ("Olga", "Olya"))
    page = admin_page
    page.goto(f"/customers/{olga.pk}/")
    page.get_by_test_id("merge-box").locator("summary").click()
    page.get_by_test_id("merge-search").fill("555 0199")
    expect(page.get_by_test_id("merge-candidates")).to_contain_text("Olya")
    shot(page, "customer-merge-picker")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("merge-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("Merged into")
    expect(page.get_by_test_id("metrics")).to_contain_text("2")  # both orders are hers now
    olya.refresh_from_db()
    assert olya.merged_into_id == olga.pk
    assert not page.console_errors, page.console_errors


def test_status_badges_wear_their_colours_wherever_they_show(admin_page, shop):
    """The settings list and the customer card paint statuses as the order list does; a light colour
    (Awaiting payment's yellow) gets dark text, a dark one white."""
    page = admin_page
    page.goto("/orders/settings/")
    badges = page.locator(".sk-status")
    expect(badges.first).to_have_css("background-color", "rgb(13, 110, 253)")  # New, #0d6efd
    expect(badges.first).to_have_css("color", "rgb(255, 255, 255)")
    yellow = page.locator(".sk-status[data-color='#ffc107']")
    expect(yellow).to_have_css("color", "rgb(33, 37, 41)")
    order = orders_fixtures.create_order(shop, phone="+1 212 555 0190", first_name="Ruth")
    page.goto(f"/customers/{order.customer_id}/")
    card = page.locator("[data-testid=order-row] .sk-status").first
    expect(card).to_have_css("background-color", "rgb(13, 110, 253)")


def test_a_long_timeline_shows_earlier_entries_on_request(admin_page, shop):
    from shopkeeper.core.selectors import TIMELINE_PAGE
    from shopkeeper.customers.services import note_add

    order = orders_fixtures.create_order(shop, phone="+1 212 555 0191", first_name="Nora")
    for i in range(TIMELINE_PAGE + 2):
        note_add(customer=order.customer, text=f"Call log {i:02d}", actor=orders_fixtures.SYSTEM)
    page = admin_page
    page.goto(f"/customers/{order.customer_id}/")
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline.get_by_text(f"Call log {TIMELINE_PAGE + 1:02d}")).to_be_visible()
    expect(timeline.get_by_text("Call log 00")).to_have_count(0)
    page.click("[data-testid=timeline-earlier]")
    expect(timeline.get_by_text("Call log 00")).to_be_visible()
    expect(page.locator("[data-testid=timeline-earlier]")).to_have_count(0)
