"""Writes of the integrations app: webhook endpoints, fan-out of events to deliveries, replays."""

from __future__ import annotations

import fnmatch
import json
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shopkeeper.core.changes import Actor, apply_changes, record_change
from shopkeeper.core.models import Event

from .models import WebhookDelivery, WebhookEndpoint, WebhookStatus

# The business events integrators can subscribe to (platform events such as user.* and store.* are not
# offered). Endpoint patterns are matched within these.
WEBHOOK_EVENT_PATTERNS = [
    "order.*",
    "payment.*",
    "customer.*",
    "company.*",
    "product.*",
    "offer.*",
    "stock.*",
    "catalog.*",
]


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _clean(url: str, events: list[str]) -> tuple[str, list[str]]:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError({"url": _("Use an http:// or https:// address.")})
    events = [e.strip() for e in events if isinstance(e, str) and e.strip()]
    if not events:
        raise ValidationError({"events": _("Name at least one event type (or “*” for all).")})
    if any(len(e) > 60 for e in events):
        raise ValidationError({"events": _("An event pattern is at most 60 characters.")})
    return url, sorted(set(events))


@transaction.atomic
def endpoint_create(
    *, url: str, events: list[str], actor: Actor, secret: str = "", description: str = ""
) -> WebhookEndpoint:
    url, events = _clean(url, events)
    endpoint = WebhookEndpoint.objects.create(
        url=url, events=events, secret=secret.strip() or new_secret(), description=description[:200]
    )
    record_change(
        entity="webhook_endpoint",
        entity_id=endpoint.pk,
        action="created",
        actor=actor,
        changes={"url": [None, url], "events": [None, events]},
    )
    return endpoint


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, actor: Actor, **values) -> WebhookEndpoint:
    if "url" in values or "events" in values:
        values["url"], values["events"] = _clean(
            values.get("url", endpoint.url), values.get("events", endpoint.events)
        )
    if values.get("is_active"):
        values["disabled_reason"] = ""
    changed = apply_changes(endpoint, values)
    if changed:
        endpoint.save(update_fields=[*changed, "updated_at"])
        record_change(
            entity="webhook_endpoint", entity_id=endpoint.pk, action="updated", actor=actor, changes=changed
        )
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: Actor, overlap_hours: int = 24) -> str:
    """A new secret; the old one keeps signing too (a second `v1=`) until the overlap ends."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(hours=overlap_hours)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    record_change(
        entity="webhook_endpoint",
        entity_id=endpoint.pk,
        action="secret_rotated",
        actor=actor,
        changes={"secret": ["***", "***"]},
    )
    return endpoint.secret


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor: Actor) -> None:
    record_change(
        entity="webhook_endpoint",
        entity_id=endpoint.pk,
        action="deleted",
        actor=actor,
        changes={"url": [endpoint.url, None]},
    )
    endpoint.delete()


@transaction.atomic
def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str, actor: Actor) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason=reason[:300])
    record_change(
        entity="webhook_endpoint",
        entity_id=endpoint.pk,
        action="disabled",
        actor=actor,
        changes={"is_active": [True, False], "disabled_reason": ["", reason[:300]]},
    )


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a delivery again, with the same `Shopkeeper-Delivery` id and body, and a fresh retry budget."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    old = delivery.status
    delivery.status = WebhookStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    record_change(
        entity="webhook_delivery",
        entity_id=delivery.pk,
        action="replayed",
        actor=actor,
        changes={"status": [old, WebhookStatus.PENDING]},
    )
    return delivery


def event_body(event: Event, uid: uuid.UUID) -> bytes:
    return json.dumps(
        {
            "id": str(uid),
            "event": event.name,
            "created_at": event.at.isoformat(),
            "entity": event.entity,
            "entity_id": event.entity_id,
            "data": event.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def webhooks_fan_out(event: Event) -> None:
    """Outbox consumer: one delivery per active endpoint subscribed to the event (idempotent)."""
    webhooks_fan_out_many([event])


def webhooks_fan_out_many(events: list[Event]) -> None:
    """The same for a chunk of events: one query for the endpoints, one insert for all the deliveries
    (the unique (endpoint, event) pair skips those made by an earlier, interrupted run)."""
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).only("pk", "events"))
    if not endpoints:
        return
    now = timezone.now()
    rows = []
    for event in events:
        for endpoint in endpoints:
            if not any(fnmatch.fnmatchcase(event.name, p) for p in endpoint.events):
                continue
            uid = uuid.uuid4()
            rows.append(
                WebhookDelivery(
                    uid=uid,
                    endpoint=endpoint,
                    event=event,
                    event_name=event.name,
                    body=event_body(event, uid),
                    next_attempt_at=now,
                )
            )
    if not rows:
        return
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    from .dispatcher import notify_new_deliveries

    transaction.on_commit(notify_new_deliveries)  # wakes the sender at once instead of its polling
