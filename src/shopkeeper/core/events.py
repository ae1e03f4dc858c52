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


def dispatch_pending(batch: int = 100) -> int:
    """Run due deliveries once; return how many were attempted.

    Each delivery runs in its own transaction holding its row lock (on PostgreSQL, other workers skip
    it), so a consumer's writes and the 'done' mark commit together.
    """
    attempted = 0
    while attempted < batch:
        with transaction.atomic():
            claimed = _claim(1)
            if not claimed:
                break
            delivery = claimed[0]
            attempted += 1
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
                delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            else:
                delivery.status = DeliveryStatus.DONE
                delivery.done_at = timezone.now()
                delivery.last_error = ""
                delivery.save(update_fields=["attempts", "status", "done_at", "last_error"])
    return attempted
