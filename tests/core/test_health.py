import pytest


@pytest.mark.django_db
def test_readyz_reports_database_and_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "pending_migrations": 0}


def test_healthz_needs_no_database(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert b"<script>" not in response.content


def test_sqlite_runs_in_wal_with_immediate_transactions(settings):
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "shopkeeper.core.sqlite":
        pytest.skip("SQLite only")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["timeout"] >= 5
