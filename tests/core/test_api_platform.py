import json

import pytest
from openapi_spec_validator import validate

from shopkeeper.stores.models import Store

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:shopkeeper:problem:")
    assert body["title"] and body["detail"]
    return body


def test_missing_key_is_401_problem(api):
    body = assert_problem(api.get("/me"), 401)
    assert "Bearer" in body["detail"]


def test_invalid_key_is_401_and_logged(api):
    from shopkeeper.accounts.models import SecurityEvent

    api.key = "sk_deadbeef_nope"
    assert_problem(api.get("/me"), 401)
    assert SecurityEvent.objects.filter(kind="api_key_invalid").exists()


def test_valid_key_authenticates_and_records_last_use(api, make_key):
    api.key = make_key("orders:read")
    response = api.get("/me")
    assert response.status_code == 200
    assert response.json()["scopes"] == ["orders:read"]
    from shopkeeper.accounts.models import ApiKey

    assert ApiKey.objects.get().last_used_at is not None
    assert response["RateLimit-Limit"]


def test_revoked_key_is_401(api, make_key):
    from shopkeeper.accounts.models import ApiKey
    from shopkeeper.accounts.services import apikey_revoke
    from shopkeeper.core.changes import Actor

    api.key = make_key("orders:read")
    apikey_revoke(api_key=ApiKey.objects.get(), actor=Actor.system())
    assert_problem(api.get("/me"), 401)


def test_unknown_path_and_wrong_method_are_problems(api, make_key):
    api.key = make_key("orders:read")
    assert_problem(api.get("/no-such-thing"), 404)
    body = assert_problem(api.request("DELETE", "/me"), 405)
    assert "DELETE" in body["detail"]


def test_oversized_body_is_413(api, make_key, settings):
    settings.API_MAX_BODY_BYTES = 1000
    api.key = make_key("orders:read")
    assert_problem(api.post("/me", raw=b"x" * 2000), 413)


def test_rate_limit_is_429_with_retry_after(api, make_key, settings):
    settings.API_RATE_LIMIT = 3
    api.key = make_key("orders:read")
    for _ in range(3):
        assert api.get("/me").status_code == 200
    response = api.get("/me")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    assert response["RateLimit-Remaining"] == "0"


def test_store_restricted_key_sees_only_its_stores(api, make_key):
    main = Store.objects.create(code="main", name="Main")
    Store.objects.create(code="other", name="Other")
    api.key = make_key("orders:read", stores=[main])
    codes = [s["code"] for s in api.get("/stores").json()["items"]]
    assert codes == ["main"]


def test_store_list_has_a_fixed_query_count(api, make_key, django_assert_max_num_queries):
    api.key = make_key("orders:read")
    for i in range(20):
        Store.objects.create(code=f"s{i}", name=f"Store {i}")
    with django_assert_max_num_queries(4):  # key lookup, last-used update, stores restriction, list
        assert len(api.get("/stores").json()["items"]) == 20


def test_openapi_document_validates(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert "/api/v1/me" in spec["paths"]


def test_docs_page_is_served(client):
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.urls("tests.core.idem_urls")
class TestIdempotency:
    def test_same_key_same_body_replays_first_response(self, api, make_key):
        api.key = make_key("orders:write")
        headers = {"Idempotency-Key": "abc-1"}
        first = api.post("/things", {"code": "one"}, headers=headers)
        assert first.status_code == 201
        again = api.post("/things", {"code": "one"}, headers=headers)
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert Store.objects.count() == 1

    def test_same_key_other_body_is_409(self, api, make_key):
        api.key = make_key("orders:write")
        headers = {"Idempotency-Key": "abc-2"}
        assert api.post("/things", {"code": "one"}, headers=headers).status_code == 201
        assert_problem(api.post("/things", {"code": "two"}, headers=headers), 409)
        assert Store.objects.count() == 1

    def test_without_key_every_request_runs(self, api, make_key):
        api.key = make_key("orders:write")
        assert api.post("/things", {"code": "one"}).status_code == 201
        assert api.post("/things", {"code": "two"}).status_code == 201
        assert Store.objects.count() == 2

    def test_keys_are_scoped_per_api_key(self, api, make_key):
        headers = {"Idempotency-Key": "shared"}
        api.key = make_key("orders:write")
        assert api.post("/things", {"code": "one"}, headers=headers).status_code == 201
        api.key = make_key("orders:write")
        assert api.post("/things", {"code": "two"}, headers=headers).status_code == 201

    def test_malformed_json_is_400_and_invalid_fields_422(self, api, make_key):
        api.key = make_key("orders:write")
        assert_problem(api.post("/things", raw=b"{not json"), 400)
        body = assert_problem(api.post("/things", {"code": 5}), 422)
        assert body["errors"][0]["loc"] == ["code"]

    def test_scope_lacking_is_403(self, api, make_key):
        from shopkeeper.core.auth import ApiKeyAuth

        api.key = make_key("orders:read")
        auth = ApiKeyAuth("orders:write")
        from django.test import RequestFactory
        from ninja.errors import HttpError

        with pytest.raises(HttpError) as exc:
            auth.authenticate(RequestFactory().get("/"), api.key)
        assert exc.value.status_code == 403


def test_problem_bodies_are_json(api):
    json.loads(api.get("/me").content)


def test_values_the_database_cannot_store_are_422_not_500(api, make_key):
    Store.objects.create(code="main", name="Main")
    api.key = make_key("customers:write", "customers:read")
    response = api.post("/customers", {"store": "main", "first_name": "Nul\u0000Byte"})
    assert response.status_code < 500, response.content
