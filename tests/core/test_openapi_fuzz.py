"""Schemathesis over our own OpenAPI document: whatever it generates, the API never answers 500.

The WSGI app is called in-process against the test database with a key holding every scope; a few
examples per operation keep it fast enough for every run (the CLI can run it longer: docs/api.md).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from shopkeeper.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

ALL_SCOPES = (
    "orders:read",
    "orders:write",
    "customers:read",
    "customers:write",
    "catalog:read",
    "catalog:write",
    "inventory:write",
    "webhooks:manage",
    "changes:read",
)


@pytest.fixture
def _keep_test_connection():
    """Called directly (not through Django's test client), the WSGI handler would close the test's
    database connection at the end of each request; the test client disconnects this too."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def key(make_key, store, offers, settings, _keep_test_connection):
    settings.API_RATE_LIMIT = 1_000_000
    return make_key(*ALL_SCOPES)


@pytest.fixture
def store(db):
    from shopkeeper.stores.models import Store

    return Store.objects.create(code="main", name="Main")


@pytest.fixture
def offers(store):
    from shopkeeper.catalog import services as catalog
    from shopkeeper.core.changes import Actor

    catalog.product_create(
        name="Mug", actor=Actor.system(), offers=[{"sku": "MUG", "name": "Mug", "prices": {"retail": "3.00"}}]
    )


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_answers_500(case, key):
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
