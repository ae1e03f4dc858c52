import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_switch_languages_and_sign_out(page, make_user, shot):
    from shopkeeper.accounts import roles

    make_user("admin", roles.ADMINISTRATOR, is_superuser=True, first_name="Ada", last_name="Admin")
    page.goto("/login/")
    expect(page.locator("h1")).to_have_text("Sign in")
    shot(page, "login-desktop")

    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong-password-here")
    page.click("button[type=submit]")
    expect(page.locator(".alert-danger")).to_contain_text("correct username and password")

    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Orders")
    page.click("[data-nav=users]")
    expect(page.locator("h1")).to_have_text("Team")
    shot(page, "shell-desktop")

    page.select_option("[data-testid=language]", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Команда")
    shot(page, "shell-desktop-ru")

    page.select_option("[data-testid=language]", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("团队")
    shot(page, "shell-desktop-zh")

    page.select_option("[data-testid=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    expect(page.locator("h1")).to_have_text("Sign in")
    assert not page.console_errors, page.console_errors


def test_phone_layout_has_a_menu(signed_in, shot):
    page = signed_in
    page.set_viewport_size(PHONE)
    page.goto("/settings/users/")
    shot(page, "shell-phone")
    sidebar_link = page.locator("#sk-sidebar [data-nav=users]")
    expect(sidebar_link).to_be_hidden()
    page.click("[aria-controls=sk-sidebar]")
    expect(sidebar_link).to_be_visible()
    shot(page, "shell-phone-menu")
    sidebar_link.click()
    expect(page.locator("h1")).to_have_text("Team")


def test_login_page_on_a_phone(page, shot):
    page.set_viewport_size(PHONE)
    page.goto("/login/")
    expect(page.locator("button[type=submit]")).to_be_visible()
    shot(page, "login-phone")


def test_create_api_key_in_the_profile(signed_in, shot):
    page = signed_in
    page.goto("/profile/")
    page.click("[data-testid=new-api-key]")
    page.fill("input[name=name]", "Site integration")
    page.check("input[value='orders:read']")
    page.click("[data-testid=create-key]")
    secret = page.locator("[data-testid=new-key-secret]").input_value()
    assert secret.startswith("sk_")
    shot(page, "api-key-created")
    response = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 200
    assert response.json()["name"] == "Site integration"
