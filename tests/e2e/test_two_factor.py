"""Turning on the TOTP second factor in the profile and signing in with it, as a person does."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def app_code(secret: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding `secret` shows (`steps_ahead` 30-second steps later)."""
    return f"{TOTP(b32decode(secret), drift=steps_ahead).token():06d}"


def test_enrol_sign_out_and_sign_in_with_a_code(signed_in, shot):
    page = signed_in
    page.goto("/profile/")
    expect(page.locator("[data-testid=two-factor-status]")).to_have_text("off")
    page.click("[data-testid=two-factor-enable]")

    expect(page.locator("h1")).to_have_text("Turn on two-factor authentication")
    expect(page.locator("[data-testid=totp-qr] svg")).to_be_visible()
    secret = page.locator("[data-testid=totp-secret]").input_value()
    assert len(secret) == 32
    page.fill("input[name=code]", app_code(secret))
    shot(page, "two-factor-enrol-desktop")
    page.click("[data-testid=totp-confirm-form] button[type=submit]")

    expect(page.locator("h1")).to_have_text("Recovery codes")
    codes = page.locator("[data-testid=recovery-codes] li")
    expect(codes).to_have_count(10)
    page.click("text=Done")
    expect(page.locator("[data-testid=two-factor-status]")).to_have_text("on")

    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    expect(page.locator("h1")).to_have_text("Sign in")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    expect(page.locator("h1")).to_have_text("Two-factor authentication")
    # The enrolment's code is spent (each code works once): the app's next code signs in.
    page.fill("input[name=code]", app_code(secret, steps_ahead=1))
    shot(page, "two-factor-login-desktop")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Orders")
    assert not page.console_errors, page.console_errors
