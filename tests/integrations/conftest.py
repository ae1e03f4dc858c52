from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shopkeeper.integrations import dispatcher
from shopkeeper.integrations.models import WebhookDelivery, WebhookStatus


class Receiver:
    """A local HTTP receiver: answers `fail_first` requests with `fail_status`, then 200 (dedupes by
    `Shopkeeper-Delivery`, like a well-behaved integrator)."""

    def __init__(self, fail_first: int = 0, fail_status: int = 500) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.requests: list[dict] = []
        self.processed: dict[str, dict] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                    n = len(receiver.requests)
                    status = receiver.fail_status if n <= receiver.fail_first else 200
                    if status == 200:
                        receiver.processed.setdefault(self.headers["Shopkeeper-Delivery"], json.loads(body))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"nope")

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the sender opens up to 16 connections at once

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory(settings):
    settings.SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE = True
    settings.SHOPKEEPER_WEBHOOK_BACKOFF_SCALE = 0
    settings.SHOPKEEPER_WEBHOOK_TIMEOUT = 2.0
    made: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        r = Receiver(**kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def drain(rounds: int = 20) -> None:
    """Send every pending webhook delivery now, retries included (their backoff moved into the past)."""
    for _ in range(rounds):
        WebhookDelivery.objects.filter(status=WebhookStatus.PENDING).update(
            next_attempt_at="2000-01-01T00:00Z"
        )
        if not dispatcher.dispatch_due():
            break
