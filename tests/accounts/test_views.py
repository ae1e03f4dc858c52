import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client

from shopkeeper.accounts.models import SecurityEvent, User
from shopkeeper.core.models import Change
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_login_and_logout(client, manager):
    response = login(client, "manager", PASSWORD)
    assert response.status_code == 302
    assert client.get("/profile/").status_code == 200
    assert SecurityEvent.objects.filter(kind="login", user=manager).exists()
    client.post("/logout/")
    assert client.get("/profile/").status_code == 302


def test_wrong_password_gets_a_clear_message_and_is_logged(client, manager):
    response = login(client, "manager", "nope-nope-nope")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert SecurityEvent.objects.filter(kind="login_failed", username="manager").exists()


def test_login_is_throttled_after_repeated_failures(client, manager, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(3):
        login(client, "manager", "wrong-password-1")
    response = login(client, "manager", PASSWORD)  # even the right password waits
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert SecurityEvent.objects.filter(kind="login_throttled").exists()


def test_pages_need_login(client):
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_home_redirects_to_first_visible_section(admin_client):
    response = admin_client.get("/")
    assert response.status_code == 302


NEW_PASSWORD = {"new_password1": "a-much-better-pass", "new_password2": "a-much-better-pass"}


def _change_password(client, old: str):
    return client.post("/password/", {"old_password": old, **NEW_PASSWORD})


def test_password_change_records_the_change(client, manager):
    client.force_login(manager)
    response = _change_password(client, PASSWORD)
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("a-much-better-pass")
    assert Change.objects.filter(entity="user", entity_id=manager.pk, action="password_changed").exists()


def test_common_password_is_rejected(client, manager):
    client.force_login(manager)
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "password123", "new_password2": "password123"},
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()


def test_language_switch_is_kept_in_the_profile(client, manager):
    client.force_login(manager)
    response = client.post("/language", {"language": "ru", "next": "/profile/"})
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.language == "ru"
    page = client.get("/profile/").content.decode()
    assert "Профиль" in page or 'lang="ru"' in page


def test_language_switch_rejects_foreign_redirects(client):
    response = client.post("/language", {"language": "uk", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_user_timezone_is_activated(client, manager):
    manager.timezone = "Asia/Shanghai"
    manager.save(update_fields=["timezone"])
    client.force_login(manager)
    response = client.get("/profile/")
    assert response.context["TIME_ZONE"] == "Asia/Shanghai"


def test_manager_cannot_open_user_admin(client, manager):
    client.force_login(manager)
    assert client.get("/settings/users/").status_code == 403


def test_admin_invites_a_user_who_sets_a_password(admin_client, client):
    response = admin_client.post(
        "/settings/users/invite/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "first_name": "New",
            "last_name": "Person",
            "role": _role_id("Manager"),
            "language": "uk",
            "timezone": "",
        },
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(username="newbie")
    assert not user.has_usable_password()
    assert user.role.name == "Manager"
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password/set/\S+)", mail.outbox[0].body).group(1)
    admin_client.post("/logout/")
    page = client.get(link, follow=True)
    assert page.status_code == 200
    set_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    response = client.post(
        set_url, {"new_password1": "fresh-and-long-pw", "new_password2": "fresh-and-long-pw"}
    )
    assert response.status_code == 302
    assert client.post("/login/", {"username": "newbie", "password": "fresh-and-long-pw"}).status_code == 302


def test_admin_changes_role_and_deactivates(admin_client, manager):
    response = admin_client.post(
        f"/settings/users/{manager.pk}/",
        {
            "first_name": "M",
            "last_name": "",
            "email": "m@example.com",
            "language": "",
            "timezone": "",
            "role": _role_id("Warehouse"),
        },  # is_active unchecked -> deactivated
    )
    assert response.status_code == 302, response.content
    manager.refresh_from_db()
    assert not manager.is_active
    assert manager.role.name == "Warehouse"
    change = Change.objects.filter(entity="user", entity_id=manager.pk, action="updated").latest("id")
    assert change.changes["role"] == ["Manager", "Warehouse"]
    assert change.changes["is_active"] == [True, False]


def test_admin_cannot_deactivate_self(admin_client, admin):
    response = admin_client.post(
        f"/settings/users/{admin.pk}/",
        {
            "first_name": "",
            "last_name": "",
            "email": "a@example.com",
            "language": "",
            "timezone": "",
            "role": _role_id("Administrator"),
        },
    )
    assert response.status_code == 200
    admin.refresh_from_db()
    assert admin.is_active


def test_users_list_query_count_does_not_grow(admin_client, make_user, django_assert_max_num_queries):
    for i in range(15):
        make_user(f"u{i}")
    with django_assert_max_num_queries(12):
        assert admin_client.get("/settings/users/").status_code == 200


def test_api_key_created_in_the_ui_is_shown_once_and_works(client, manager, api):
    client.force_login(manager)
    response = client.post("/profile/api-keys/new/", {"name": "Site", "scopes": ["orders:read"]})
    assert response.status_code == 200
    secret = response.context["issued"].secret
    api.key = secret
    assert api.get("/me").json()["name"] == "Site"
    assert secret not in client.get("/profile/").content.decode()


def test_user_cannot_revoke_someone_elses_key(client, manager, make_user, make_key):
    from shopkeeper.accounts.models import ApiKey
    from shopkeeper.accounts.services import apikey_create
    from shopkeeper.core.changes import Actor

    other = make_user("other")
    key = apikey_create(name="theirs", scopes=["orders:read"], created_by=other, actor=Actor.system()).api_key
    client.force_login(manager)
    assert client.post(f"/profile/api-keys/{key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_escaping_user_names(admin_client, make_user):
    make_user("xss", first_name="<script>alert(1)</script>")
    page = admin_client.get("/settings/users/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def _role_id(name):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=name).pk


def test_password_change_signs_out_the_other_sessions_and_keeps_this_one(client, manager):
    other = Client()
    assert login(other, "manager", PASSWORD).status_code == 302
    client.force_login(manager)
    response = _change_password(client, PASSWORD)
    assert response["Location"] == "/profile/"
    assert client.get("/profile/").status_code == 200
    response = other.get("/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_password_change_throttles_wrong_current_passwords(client, manager, settings, time_machine):
    time_machine.move_to(dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC), tick=False)  # one throttle window
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    client.force_login(manager)
    for _ in range(3):
        response = _change_password(client, "wrong-password-1")
        assert response.status_code == 200
        assert "old password was entered incorrectly" in response.content.decode()
    assert SecurityEvent.objects.filter(kind="password_failed", user=manager, path="/password/").count() == 3

    response = _change_password(client, PASSWORD)
    assert response.status_code == 200
    assert "Too many wrong passwords" in response.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    time_machine.shift(301)
    assert _change_password(client, PASSWORD)["Location"] == "/profile/"


def test_profile_names_key_scopes_and_the_defaults(client, manager):
    from shopkeeper.accounts.services import apikey_create
    from shopkeeper.core.changes import Actor

    apikey_create(name="Site", scopes=["orders:read"], created_by=manager, actor=Actor.system("test"))
    client.force_login(manager)
    page = client.get("/profile/").content.decode()
    assert "Read orders" in page and "orders:read" not in page
    assert "Select an option" not in page
    assert '<option value="" selected>Default (UTC)</option>' in page
    assert '<option value="" selected>As the browser asks</option>' in page


def test_team_lists_people_by_name_and_edits_stores_as_checkboxes(admin_client, make_user):
    from shopkeeper.stores.models import Store

    Store.objects.create(code="main", name="Main store", currency="USD")
    user = make_user("jdoe", first_name="Jane", last_name="Doe")
    page = admin_client.get("/settings/users/").content.decode()
    assert f'<a href="/settings/users/{user.pk}/">Jane Doe</a>' in page
    assert "jdoe · jdoe@example.com" in page
    page = admin_client.get(f"/settings/users/{user.pk}/").content.decode()
    assert 'type="checkbox" name="stores"' in page and "<fieldset" in page
    assert page.index('id="id_role"') < page.index('id="id_language"')  # the role comes first
