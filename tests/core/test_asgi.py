"""The ASGI entry point (core/asgi.py), driven in-process with ASGI messages as granian sends them."""

import asyncio
import json
import threading

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from shopkeeper.accounts.models import User
from shopkeeper.core.asgi import Handler

pytestmark = pytest.mark.django_db(transaction=True)


def _call(app, path, *, method="GET", body=b"", headers=(), disconnect_after_body=False):
    """One request; returns (status, headers, body chunks). With disconnect_after_body the client goes
    away once the first body chunk has arrived (how a browser leaves a stream)."""
    sent, first_body = [], asyncio.Event()

    async def run():
        delivered = False

        async def receive():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            if disconnect_after_body:
                await first_body.wait()
                return {"type": "http.disconnect"}
            await asyncio.Event().wait()

        async def send(message):
            sent.append(message)
            if message["type"] == "http.response.body" and message.get("body"):
                first_body.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        await asyncio.wait_for(app(scope, receive, send), timeout=10)

    asyncio.run(run())
    start = sent[0]
    return start["status"], dict(start["headers"]), [m.get("body", b"") for m in sent[1:]]


@pytest.fixture
def app():
    handler = Handler(threads=2)
    yield handler
    handler.pool.shutdown()


def test_page_and_api_answers(app):
    status, _headers, body = _call(app, "/healthz")
    assert status == 200
    assert json.loads(b"".join(body)) == {"status": "ok"}

    status, headers, body = _call(
        app,
        "/api/v1/orders",
        method="POST",
        body=b'{"store": "x"}',
        headers=[(b"content-type", b"application/json")],
    )
    assert status == 401
    assert headers[b"Content-Type"] == b"application/problem+json"
    assert json.loads(b"".join(body))["status"] == 401


def test_requests_run_on_the_pool_and_keep_their_connection(app):
    """The synchronous part runs on the handler's lasting threads, and a thread's database connection
    outlives its request (CONN_MAX_AGE), instead of a new thread and connection per request."""
    from django.db import connection

    seen = []

    def probe():
        connection.ensure_connection()
        seen.append((threading.current_thread().name, id(connection.connection)))

    for _ in range(4):
        app.pool.submit(probe).result()
        _call(app, "/healthz")
    assert all(name.startswith("request") for name, _conn in seen)
    if connection.settings_dict["CONN_MAX_AGE"]:  # not PostgreSQL's pool, which lends any of its own
        assert len({conn for _name, conn in seen}) <= 2


def test_a_stream_is_served_and_left_cleanly(app):
    user = User.objects.create_user(username="watcher", password="x" * 12)
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    status, headers, body = _call(
        app, "/orders/live/", headers=[(b"cookie", cookie)], disconnect_after_body=True
    )
    assert status == 200
    assert headers[b"Content-Type"].startswith(b"text/event-stream")
    assert body[0] == b"retry: 3000\n\n"  # the async stream: no thread held while it waits


def test_a_client_gone_before_the_answer_loses_nothing(app):
    """A disconnect while the view runs ends the request without an error."""

    async def run():
        async def receive():
            return {"type": "http.disconnect"}

        async def send(message):
            raise AssertionError("nothing is sent to a client that left")

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/healthz",
            "query_string": b"",
            "headers": [],
        }
        await app(scope, receive, send)

    asyncio.run(run())
