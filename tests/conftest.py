from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from shopkeeper.accounts import roles
from shopkeeper.accounts.models import User
from shopkeeper.accounts.services import apikey_create, user_create
from shopkeeper.core.changes import Actor

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def install_reference_data() -> None:
    """Data that migrations install (default price type, order dictionaries); a transactional test's
    flush removes it, so those tests put it back."""
    from django.apps import apps

    from shopkeeper.catalog.services import price_type_default
    from shopkeeper.orders.defaults import install_defaults

    price_type_default()
    install_defaults(apps)


@pytest.fixture(autouse=True)
def _fresh_dictionary_cache():
    """Every test starts with no cached dictionaries and reference rows (a rolled-back test's ids are
    given out again)."""
    from shopkeeper.core.scope import reference_changed
    from shopkeeper.orders.dictionaries import dictionaries_changed

    dictionaries_changed()
    reference_changed()
    yield
    dictionaries_changed()
    reference_changed()


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("live_server", "transactional_db")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        install_reference_data()


@pytest.fixture
def make_user(db):
    def make(username: str = "user", role: str = roles.MANAGER, **extra) -> User:
        roles.roles_sync()
        return user_create(
            username=username,
            password=PASSWORD,
            role=Group.objects.get(name=role),
            email=f"{username}@example.com",
            actor=Actor.system("test"),
            **extra,
        )

    return make


@pytest.fixture
def admin(make_user) -> User:
    return make_user("boss", roles.ADMINISTRATOR, is_superuser=True)


@pytest.fixture
def manager(make_user) -> User:
    return make_user("manager", roles.MANAGER)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def make_key(db):
    def make(*scopes: str, stores=()) -> str:
        return apikey_create(name="test key", scopes=scopes, stores=stores, actor=Actor.system("test")).secret

    return make


@pytest.fixture
def api(client):
    """A test client speaking JSON to /api/v1/ with an optional key."""

    class Api:
        def __init__(self) -> None:
            self.key: str | None = None

        def _headers(self, headers):
            h = dict(headers or {})
            if self.key:
                h.setdefault("Authorization", f"Bearer {self.key}")
            return h

        def get(self, path, headers=None, **params):
            return client.get(f"/api/v1{path}", params, headers=self._headers(headers))

        def post(self, path, data=None, raw: bytes | None = None, headers=None):
            import json

            body = raw if raw is not None else json.dumps(data)
            return client.post(
                f"/api/v1{path}",
                body,
                content_type="application/json",
                headers=self._headers(headers),
            )

        def request(self, method, path, data=None, headers=None):
            import json

            return client.generic(
                method,
                f"/api/v1{path}",
                json.dumps(data) if data is not None else "",
                content_type="application/json",
                headers=self._headers(headers),
            )

    return Api()
