"""Reads: the change feed, webhook endpoints and deliveries (shared by the API and the pages)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from shopkeeper.core.models import Change
from shopkeeper.core.selectors import changes_after

from .models import WebhookDelivery, WebhookEndpoint


def change_feed(
    *,
    after: int,
    entities: list[str] | None,
    limit: int,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[dict]:
    qs: QuerySet[Change] = changes_after(after=after, entities=entities or None)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    rows = list(qs[:limit])
    merged: dict[int, int] = {}
    customer_ids = {c.entity_id for c in rows if c.entity == "customer"}
    if customer_ids:
        from shopkeeper.customers.models import Customer

        merged = dict(
            Customer.objects.filter(pk__in=customer_ids, merged_into__isnull=False).values_list(
                "pk", "merged_into_id"
            )
        )
    return [
        {
            "id": c.id,
            "at": c.at,
            "entity": c.entity,
            "entity_id": c.entity_id,
            "action": c.action,
            "changes": c.changes,
            "actor": {"type": c.actor_type, "id": c.actor_id, "label": c.actor_label},
            "source": c.source,
            "merged_into": merged.get(c.entity_id) if c.entity == "customer" else None,
        }
        for c in rows
    ]


def endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("id")


def deliveries(*, endpoint_id: int | None = None, status: str = "") -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.select_related("endpoint").defer("body")
    if endpoint_id is not None:
        qs = qs.filter(endpoint_id=endpoint_id)
    if status:
        qs = qs.filter(status=status)
    return qs
