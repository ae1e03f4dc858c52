"""Someone signed out (or whose session timed out) who opens a page is asked to sign in, then brought back."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/orders/", "/customers/", "/catalog/", "/orders/settings/?kind=statuses"])
def test_signed_out_user_is_sent_to_sign_in(client, db, path):
    r = client.get(path)
    assert r.status_code == 302
    assert r["Location"].startswith("/login/") and "next=" in r["Location"]


def test_signed_in_user_without_permission_gets_403(client, django_user_model, db):
    user = django_user_model.objects.create_user(username="nobody", password="x-long-passphrase")
    client.force_login(user)
    assert client.get("/orders/").status_code == 403


def test_api_keeps_its_problem_answer(client, db):
    r = client.get("/api/v1/orders")
    assert r.status_code == 401 and r["Content-Type"].startswith("application/problem+json")
