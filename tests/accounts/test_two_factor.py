"""The optional TOTP second factor: enrolment, sign-in with a code or a recovery code, turning it off
and the administrator's reset."""

import datetime as dt

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopkeeper.accounts import services
from shopkeeper.accounts.models import SecurityEvent
from shopkeeper.core.changes import Actor
from shopkeeper.core.models import Change
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# A start on a throttle-window boundary, so shifting the clock by minutes stays in one window.
START = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(time_machine):
    """A frozen clock; ask for it before fixtures that sign in, or their session is from the past."""
    time_machine.move_to(START, tick=False)
    return time_machine


def code_for(device: TOTPDevice) -> str:
    """What the authenticator app shows now for this device's key."""
    device.refresh_from_db()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    right = int(code_for(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


def enable(user, clock) -> tuple[TOTPDevice, tuple[str, ...]]:
    device = services.two_factor_start(user=user)
    check = services.two_factor_confirm(user=user, code=code_for(device), actor=Actor.system("test"))
    assert check.ok
    clock.shift(30)  # the enrolment code is spent; sign-ins use the next one
    return TOTPDevice.objects.get(pk=device.pk), check.recovery_codes


def password_step(client, username="manager", password=PASSWORD, next_url=""):
    url = f"/login/?next={next_url}" if next_url else "/login/"
    return client.post(url, {"username": username, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_enrol_refuses_a_wrong_code_then_confirms_and_shows_recovery_codes_once(client, manager, clock):
    client.force_login(manager)
    page = client.get("/profile/").content.decode()
    assert 'data-testid="two-factor-enable"' in page

    response = client.post("/profile/two-factor/start/")
    assert response["Location"] == "/profile/two-factor/enable/"
    device = TOTPDevice.objects.get(user=manager)
    assert not device.confirmed
    page = client.get("/profile/two-factor/enable/").content.decode()
    assert "<svg" in page
    secret = client.get("/profile/two-factor/enable/").context["secret"]
    assert secret in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]

    response = client.post("/profile/two-factor/enable/", {"code": wrong_code(device)})
    assert response.status_code == 200
    assert "This code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not Change.objects.filter(entity_id=manager.pk, action="two_factor_enabled").exists()

    clock.shift(5)  # django-otp makes a device wait a second after a wrong code
    response = client.post("/profile/two-factor/enable/", {"code": code_for(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    page = response.content.decode()
    assert all(code in page for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=manager).count() == 10
    change = Change.objects.get(entity="user", entity_id=manager.pk, action="two_factor_enabled")
    assert change.changes == {"two_factor": [False, True]}
    assert SecurityEvent.objects.filter(kind="two_factor_enabled", user=manager).exists()
    # This session proved the second factor just now.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    # Shown once: the profile tells how many are left, never the codes.
    page = client.get("/profile/").content.decode()
    assert "10 recovery codes left" in page
    assert not any(code in page for code in codes)
    assert client.get("/profile/two-factor/enable/")["Location"] == "/profile/"
    assert client.post("/profile/two-factor/start/")["Location"] == "/profile/"
    assert TOTPDevice.objects.filter(user=manager).count() == 1


def test_enrol_page_needs_a_started_device_and_a_signed_in_user(client, manager):
    assert client.get("/profile/two-factor/enable/")["Location"].startswith("/login/")
    client.force_login(manager)
    assert client.get("/profile/two-factor/enable/")["Location"] == "/profile/"
    assert client.get("/profile/two-factor/start/").status_code == 405


def test_sign_in_with_password_and_code(client, manager, clock):
    device, _codes = enable(manager, clock)

    response = password_step(client, next_url="/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"
    assert not signed_in(client)  # the password alone does not sign in
    assert client.get("/profile/").status_code == 302
    page = client.get("/login/code/").content.decode()
    assert 'autocomplete="one-time-code"' in page

    response = client.post("/login/code/", {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    assert signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/profile/").status_code == 200
    event = SecurityEvent.objects.filter(kind="login", user=manager).latest("id")
    assert event.detail == "authenticator app"

    # A code works once: the same code cannot sign in again.
    client.post("/logout/")
    password_step(client)
    response = client.post("/login/code/", {"code": code_for(device)})
    assert response.status_code == 200
    assert not signed_in(client)


def test_codes_with_spaces_are_taken(client, manager, clock):
    device, _codes = enable(manager, clock)
    password_step(client)
    code = code_for(device)
    assert client.post("/login/code/", {"code": f" {code[:3]} {code[3:]} "}).status_code == 302
    assert signed_in(client)


def test_wrong_codes_are_refused_logged_and_throttled_with_passwords(client, manager, clock, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    device, _codes = enable(manager, clock)
    password_step(client)
    for _ in range(3):
        response = client.post("/login/code/", {"code": wrong_code(device)})
        assert response.status_code == 200
        assert "This code is not right" in response.content.decode()
        clock.shift(10)  # past django-otp's own back-off, so only our throttle is left
    assert SecurityEvent.objects.filter(kind="login_code_failed", user=manager).count() == 3
    assert not signed_in(client)

    response = client.post("/login/code/", {"code": code_for(device)})  # even the right code waits
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not signed_in(client)
    # The same counter guards the password step.
    response = password_step(client)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert SecurityEvent.objects.filter(kind="login_throttled").exists()


def test_a_code_right_after_a_wrong_one_is_asked_to_wait(client, manager, clock):
    device, _codes = enable(manager, clock)
    password_step(client)
    client.post("/login/code/", {"code": wrong_code(device)})
    response = client.post("/login/code/", {"code": code_for(device)})
    assert "Wait a few seconds" in response.content.decode()
    clock.shift(2)
    assert client.post("/login/code/", {"code": code_for(device)}).status_code == 302


def test_a_recovery_code_works_once(client, manager, clock):
    _device, codes = enable(manager, clock)
    password_step(client)
    response = client.post("/login/code/", {"code": codes[0]}, follow=True)
    assert signed_in(client)
    assert "9 codes are left" in response.content.decode()
    assert StaticToken.objects.filter(device__user=manager).count() == 9
    assert SecurityEvent.objects.filter(kind="recovery_code_used", user=manager, detail="9 left").exists()
    assert SecurityEvent.objects.filter(kind="login", user=manager, detail="recovery code").exists()

    client.post("/logout/")
    password_step(client)
    response = client.post("/login/code/", {"code": codes[0]})
    assert response.status_code == 200
    assert "This code is not right" in response.content.decode()
    assert not signed_in(client)
    clock.shift(5)
    typed = f"{codes[1][:4]}-{codes[1][4:]}".upper()  # as a person may copy it from paper
    assert client.post("/login/code/", {"code": typed}).status_code == 302
    assert signed_in(client)


def test_the_code_step_expires(client, manager, clock):
    device, _codes = enable(manager, clock)
    password_step(client)
    clock.shift(301)
    response = client.post("/login/code/", {"code": code_for(device)}, follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "took too long" in response.content.decode()
    assert not signed_in(client)
    assert client.get("/login/code/")["Location"] == "/login/"  # nothing pending any more


def test_the_code_step_without_a_password_goes_back_to_sign_in(client, manager):
    assert client.get("/login/code/")["Location"] == "/login/"
    assert client.post("/login/code/", {"code": "123456"})["Location"] == "/login/"
    assert not signed_in(client)


def test_a_user_without_a_device_signs_in_as_before(client, manager):
    response = password_step(client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in(client)
    assert SecurityEvent.objects.get(kind="login", user=manager).detail == ""


def test_turning_off_needs_the_password(client, manager, clock):
    enable(manager, clock)
    client.force_login(manager)
    assert client.get("/profile/two-factor/disable/").status_code == 200
    response = client.post("/profile/two-factor/disable/", {"password": "not-my-password"})
    assert response.status_code == 200
    assert "The password is not right" in response.content.decode()
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()

    response = client.post("/profile/two-factor/disable/", {"password": PASSWORD})
    assert response["Location"] == "/profile/"
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert not StaticToken.objects.filter(device__user=manager).exists()
    assert Change.objects.filter(entity_id=manager.pk, action="two_factor_disabled").exists()
    assert SecurityEvent.objects.filter(kind="two_factor_disabled", user=manager).exists()

    client.post("/logout/")
    assert password_step(client)["Location"] == "/"
    assert signed_in(client)


def test_new_recovery_codes_need_the_password_and_replace_the_old(client, manager, clock):
    _device, old = enable(manager, clock)
    client.force_login(manager)
    response = client.post("/profile/two-factor/recovery-codes/", {"password": "not-my-password"})
    assert response.status_code == 200
    assert "codes" not in response.context
    response = client.post("/profile/two-factor/recovery-codes/", {"password": PASSWORD})
    new = response.context["codes"]
    assert len(new) == 10
    assert set(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True)) == set(new)
    assert not set(old) & set(new)
    assert Change.objects.filter(entity_id=manager.pk, action="recovery_codes_regenerated").exists()
    assert SecurityEvent.objects.filter(kind="recovery_codes_regenerated", user=manager).exists()


def test_admin_sees_and_resets_a_users_second_factor(clock, admin_client, admin, manager):
    enable(manager, clock)
    page = admin_client.get("/settings/users/").content.decode()
    cell = page.split(f'data-testid="two-factor-{manager.pk}"', 1)[1].split("</td>", 1)[0]
    assert ">on<" in cell
    cell = page.split(f'data-testid="two-factor-{admin.pk}"', 1)[1].split("</td>", 1)[0]
    assert ">off<" in cell

    response = admin_client.post(f"/settings/users/{manager.pk}/two-factor/reset/")
    assert response["Location"] == "/settings/users/"
    assert not TOTPDevice.objects.filter(user=manager).exists()
    change = Change.objects.get(entity="user", entity_id=manager.pk, action="two_factor_reset")
    assert change.actor_id == admin.pk
    event = SecurityEvent.objects.get(kind="two_factor_reset", user=manager)
    assert event.detail == "by boss"


def test_only_user_admins_can_reset(client, manager, make_user, clock):
    other = make_user("other")
    enable(other, clock)
    client.force_login(manager)
    assert client.post(f"/settings/users/{other.pk}/two-factor/reset/").status_code == 403
    assert TOTPDevice.objects.filter(user=other, confirmed=True).exists()


def test_team_list_query_count_does_not_grow_with_second_factors(
    clock, admin_client, make_user, django_assert_max_num_queries
):
    for i in range(8):
        enable(make_user(f"u{i}"), clock)
    with django_assert_max_num_queries(12):
        assert admin_client.get("/settings/users/").status_code == 200


def test_api_keys_are_unaffected(api, manager, clock):
    enable(manager, clock)
    api.key = services.apikey_create(
        name="site", scopes=["orders:read"], created_by=manager, actor=Actor.system("test")
    ).secret
    assert api.get("/me").status_code == 200


@pytest.mark.parametrize("url", ["/profile/two-factor/disable/", "/profile/two-factor/recovery-codes/"])
def test_wrong_passwords_on_second_factor_pages_are_logged_and_throttled_with_sign_ins(
    client, manager, clock, settings, url
):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    _device, codes = enable(manager, clock)
    client.force_login(manager)
    for _ in range(3):
        response = client.post(url, {"password": "not-my-password"})
        assert "The password is not right" in response.content.decode()
    event = SecurityEvent.objects.filter(kind="password_failed", user=manager).latest("id")
    assert event.path == url and event.username == "manager"
    assert SecurityEvent.objects.filter(kind="password_failed").count() == 3

    response = client.post(url, {"password": PASSWORD})  # even the right password waits
    assert response.status_code == 200
    assert "Too many wrong passwords. Try again in 4 minutes." in response.content.decode()  # 270 s left
    assert SecurityEvent.objects.filter(kind="login_throttled", user=None, username="manager").exists()
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()
    assert set(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True)) == set(codes)
    # One budget with the sign-in page: the guesses made here count there too.
    assert (
        "Too many failed sign-in attempts"
        in Client().post("/login/", {"username": "manager", "password": PASSWORD}).content.decode()
    )

    clock.shift(301)  # the window is over
    response = client.post(url, {"password": PASSWORD})
    assert response.status_code in (200, 302)
    assert "Too many" not in response.content.decode()


def test_turning_on_signs_out_the_other_sessions_and_keeps_this_one(client, manager, clock):
    other = Client()  # e.g. a browser on another computer, signed in with the password alone
    assert password_step(other)["Location"] == "/"
    client.force_login(manager)
    client.post("/profile/two-factor/start/")
    device = TOTPDevice.objects.get(user=manager)
    response = client.post("/profile/two-factor/enable/", {"code": code_for(device)})
    assert response.context["codes"]

    assert client.get("/profile/").status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    response = other.get("/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in other.session


def test_turning_on_again_after_a_reset_signs_out_the_sessions_left(clock, admin_client, manager):
    enable(manager, clock)
    other = Client()
    other.force_login(manager)  # a session from before the reset
    admin_client.post(f"/settings/users/{manager.pk}/two-factor/reset/")
    assert other.get("/profile/").status_code == 200  # a reset alone does not sign anybody out
    clock.shift(30)
    enable(manager, clock)
    assert other.get("/profile/").status_code == 302
