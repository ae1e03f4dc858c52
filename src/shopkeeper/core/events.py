"""Consumers of domain events and the dispatcher that feeds them from the outbox.

Apps register consumers in their `AppConfig.ready()`:

    register_consumer("customers.metrics", ["order.*"], update_customer_metrics)

A consumer receives the `Event` row. It must be idempotent: delivery is at least once (a worker that
crashes after the consumer ran but before marking it done delivers it again).
"""

from __future__ import annotations

import fnmatch
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import DeliveryStatus, Event, EventDelivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Consumer:
    name: str
    patterns: tuple[str, ...]
    handler: Callable[[Event], None]


_consumers: dict[str, Consumer] = {}


def register_consumer(name: str, patterns: list[str], handler: Callable[[Event], None]) -> None:
    _consumers[name] = Consumer(name=name, patterns=tuple(patterns), handler=handler)


def unregister_consumer(name: str) -> None:
    _consumers.pop(name, None)


def consumers_for(event_name: str) -> list[str]:
    return [
        c.name for c in _consumers.values() if any(fnmatch.fnmatchcase(event_name, p) for p in c.patterns)
    ]


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: 2, 4, 8 ... seconds, capped."""
    base = min(2**attempts, settings.SHOPKEEPER_EVENT_BACKOFF_CAP)
    return timedelta(seconds=base * (0.75 + random.random() / 2))


def _claim(batch: int) -> list[EventDelivery]:
    qs = (
        EventDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .select_related("event")
        .order_by("next_attempt_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:batch])


def dispatch_pending(batch: int = 200) -> int:
    """Run due deliveries once; return how many were attempted.

    Deliveries are claimed in chunks, each chunk in one transaction holding its rows' locks (on
    PostgreSQL other workers skip them), so a consumer's writes and the 'done' marks commit together.
    Each delivery runs under its own savepoint: a failing consumer rolls back only its own writes and is
    retried with backoff, never holding up the rest of the chunk. Chunks are small on SQLite, where a
    transaction that writes holds the one write lock every request waits for.
    """
    chunk = 50 if connection.vendor == "postgresql" else 10
    attempted = 0
    while attempted < batch:
        with transaction.atomic():
            claimed = _claim(min(chunk, batch - attempted))
            if not claimed:
                break
            attempted += len(claimed)
            done: list[EventDelivery] = []
            failed: list[EventDelivery] = []
            for delivery in claimed:
                consumer = _consumers.get(delivery.consumer)
                delivery.attempts += 1
                try:
                    if consumer is None:
                        raise LookupError(f"no consumer registered as {delivery.consumer!r}")
                    with transaction.atomic():
                        consumer.handler(delivery.event)
                except Exception as exc:
                    log.warning("event %s to %s failed: %s", delivery.event_id, delivery.consumer, exc)
                    delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    if delivery.attempts >= settings.SHOPKEEPER_EVENT_MAX_ATTEMPTS:
                        delivery.status = DeliveryStatus.DEAD
                    else:
                        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
                    failed.append(delivery)
                else:
                    done.append(delivery)
            if done:
                EventDelivery.objects.filter(pk__in=[d.pk for d in done]).update(
                    status=DeliveryStatus.DONE,
                    done_at=timezone.now(),
                    last_error="",
                    attempts=F("attempts") + 1,
                )
            if failed:
                EventDelivery.objects.bulk_update(
                    failed, ["attempts", "last_error", "status", "next_attempt_at"]
                )
    return attempted
