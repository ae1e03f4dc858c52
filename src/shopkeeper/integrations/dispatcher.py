"""Delivering webhooks: claim due deliveries, POST them signed, log each attempt, retry with backoff.

Run by the worker's integrations loop (`integrations.worker.run_integrations`). A claim leases a
delivery (moves its `next_attempt_at` ahead) in a short transaction, so the HTTP call happens outside any
transaction and a crashed worker's deliveries are simply retried when the lease ends. Receivers dedupe by
`Shopkeeper-Delivery` (at-least-once delivery).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shopkeeper.core.changes import Actor
from shopkeeper.core.db import bulk_update

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookStatus

log = logging.getLogger(__name__)

# Seconds before retry n (1-based); about 26 hours in all, then the delivery is dead-lettered.
SCHEDULE = [30, 60, 300, 900, 1800, 3600, 7200, 14400, 21600, 21600, 21600]
LEASE = timedelta(minutes=5)
MAX_REDIRECTS = 3


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_attempts() -> int:
    return _setting("SHOPKEEPER_WEBHOOK_MAX_ATTEMPTS", len(SCHEDULE) + 1)


def backoff(attempts: int) -> timedelta:
    """Delay after the `attempts`-th failure: the schedule, scaled, with ±20% jitter."""
    base = SCHEDULE[min(attempts, len(SCHEDULE)) - 1] * _setting("SHOPKEEPER_WEBHOOK_BACKOFF_SCALE", 1.0)
    return timedelta(seconds=base * (0.8 + random.random() * 0.4))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(endpoint: WebhookEndpoint, timestamp: int, body: bytes) -> str:
    parts = [f"t={timestamp}", f"v1={sign(endpoint.secret, timestamp, body)}"]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > timezone.now():
        parts.append(f"v1={sign(endpoint.previous_secret, timestamp, body)}")
    return ",".join(parts)


class TargetRefused(Exception):
    pass


def check_target(url: str) -> None:
    """Refuse private, loopback, link-local and other non-public targets unless allowed by settings."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TargetRefused(f"not an http(s) URL: {url[:200]}")
    if _setting("SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE", False):
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise TargetRefused(f"cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise TargetRefused(f"{parts.hostname} resolves to a non-public address ({address})")


@dataclass
class Result:
    status_code: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(delivery: WebhookDelivery, client: httpx.Client) -> Result:
    endpoint = delivery.endpoint
    body = bytes(delivery.body)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Shopkeeper-Webhooks/1",
        "Shopkeeper-Event": delivery.event_name,
        "Shopkeeper-Delivery": str(delivery.uid),
        "Shopkeeper-Signature": signature_header(endpoint, timestamp, body),
    }
    url = endpoint.url
    started = time.monotonic()
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            check_target(url)
            response = client.post(url, content=body, headers=headers)
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            break
        else:
            raise TargetRefused("too many redirects")
    except TargetRefused as exc:
        return Result(None, int((time.monotonic() - started) * 1000), error=f"refused: {exc}"[:500])
    except httpx.HTTPError as exc:
        return Result(
            None, int((time.monotonic() - started) * 1000), error=f"{type(exc).__name__}: {exc}"[:500]
        )
    return Result(
        response.status_code,
        int((time.monotonic() - started) * 1000),
        excerpt=response.text[:1000] if response.content else "",
    )


def claim(batch: int) -> list[WebhookDelivery]:
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        status=WebhookStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
    )
    skip_locked = connection.features.has_select_for_update_skip_locked
    if not skip_locked and not due.exists():
        return []  # SQLite: an idle poll reads, and leaves the write lock to the requests
    with transaction.atomic():
        qs = due.order_by("next_attempt_at", "id").values_list("id", flat=True)
        if skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs[:batch])
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return list(WebhookDelivery.objects.filter(pk__in=ids).select_related("endpoint").order_by("id"))


FIELDS = ["attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"]
FINISHED_FIELDS = ["attempts", "last_status_code", "last_error", "status", "delivered_at"]


def record(delivery: WebhookDelivery, result: Result) -> None:
    record_many([(delivery, result)])


@transaction.atomic
def record_many(pairs: list[tuple[WebhookDelivery, Result]]) -> None:
    """Log the attempts and move each delivery on: delivered, retried later, dead; 410 disables."""
    from .services import endpoint_disable

    now = timezone.now()
    WebhookAttempt.objects.bulk_create(
        [
            WebhookAttempt(
                delivery=d,
                at=now,
                status_code=r.status_code,
                duration_ms=r.duration_ms,
                response_excerpt=r.excerpt,
                error=r.error,
            )
            for d, r in pairs
        ]
    )
    gone: dict[int, WebhookEndpoint] = {}
    finished: dict[tuple, list[int]] = {}  # delivered or dead, grouped by the values they get
    retried: list[WebhookDelivery] = []
    for delivery, result in pairs:
        delivery.attempts += 1
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error or ("" if result.ok else f"HTTP {result.status_code}")
        if result.ok:
            delivery.status = WebhookStatus.DELIVERED
            delivery.delivered_at = now
        elif result.status_code == 410:
            delivery.status = WebhookStatus.DEAD
            gone[delivery.endpoint_id] = delivery.endpoint
        elif delivery.attempts >= max_attempts():
            delivery.status = WebhookStatus.DEAD
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            retried.append(delivery)
            continue
        key = tuple(getattr(delivery, f) for f in FINISHED_FIELDS)
        finished.setdefault(key, []).append(delivery.pk)
    # One UPDATE per group of equal values (a batch of successes is one statement); the retried ones,
    # each with its own jittered time, in one UPDATE ... FROM VALUES.
    for key, ids in finished.items():
        WebhookDelivery.objects.filter(pk__in=ids).update(**dict(zip(FINISHED_FIELDS, key, strict=True)))
    if retried:
        bulk_update(retried, FIELDS)
    for endpoint in gone.values():
        endpoint_disable(
            endpoint=endpoint, reason="The receiver answered 410 Gone.", actor=Actor.system("webhooks")
        )


# Set when the outbox's fan-out commits new deliveries: the sender waits on it instead of sleeping
# through its idle interval. A thread event within one process; the worker's supervisor hands every
# process it starts one shared `multiprocessing` event instead (`use_wake`), so the fan-out in the
# outbox process wakes the senders in theirs.
wake: Any = threading.Event()


def use_wake(event: Any) -> None:
    """Share this event (anything with set/wait/clear) between the fan-out and the sender."""
    global wake
    wake = event


def notify_new_deliveries() -> None:
    wake.set()


_client: httpx.Client | None = None
_pool: ThreadPoolExecutor | None = None


def client() -> httpx.Client:
    global _client
    if _client is None:
        _client = httpx.Client(
            timeout=httpx.Timeout(_setting("SHOPKEEPER_WEBHOOK_TIMEOUT", 10.0)),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )
    return _client


def pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(
            max_workers=_setting("SHOPKEEPER_WEBHOOK_CONCURRENCY", 16), thread_name_prefix="webhook"
        )
    return _pool


def dispatch_due(batch: int = 200) -> int:
    """Send due deliveries once (in parallel threads, no database access there); record each result as
    it arrives; return how many were attempted."""
    deliveries = claim(batch)
    if not deliveries:
        return 0
    http = client()
    if len(deliveries) == 1:
        pairs = [(deliveries[0], send(deliveries[0], http))]
    else:
        futures = {pool().submit(send, d, http): d for d in deliveries}
        pairs = [(futures[f], f.result()) for f in as_completed(futures)]
    try:
        record_many(pairs)
    except Exception:  # the leases expire and the deliveries are retried
        log.exception("recording %s webhook results failed", len(pairs))
    return len(deliveries)
