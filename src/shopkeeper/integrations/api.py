"""The change feed and outbound webhook management."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from shopkeeper.core.auth import ApiKeyAuth, allowed_store_ids
from shopkeeper.core.changes import Actor
from shopkeeper.core.pagination import paginate

from . import selectors, services
from .models import WebhookDelivery, WebhookEndpoint, WebhookStatus

router = Router(tags=["integrations"])
CHANGES = ApiKeyAuth("changes:read")
MANAGE = ApiKeyAuth("webhooks:manage")


# --- change feed ----------------------------------------------------------------------------


class ChangeParams(Schema):
    after: int = Field(0, ge=0, le=2**62)
    cursor: str | None = Field(None, max_length=30)
    entity: str = Field("", max_length=500)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = Field(50, ge=1, le=500)


class ActorOut(Schema):
    type: str
    id: int | None
    label: str


class ChangeOut(Schema):
    id: int
    at: dt.datetime
    entity: str
    entity_id: int
    action: str
    changes: dict[str, Any]
    actor: ActorOut
    source: str
    merged_into: int | None = None


class ChangePage(Schema):
    items: list[ChangeOut]
    next_cursor: str | None = None


@router.get("/changes", response=ChangePage, auth=CHANGES, summary="The change feed")
def list_changes(request: HttpRequest, params: Query[ChangeParams]) -> dict:
    """Changes with an id greater than `after` (or `cursor`), oldest first; `entity` is a comma-separated
    list (`order,customer`); `since`/`until` bound the time. `next_cursor` is the last id of the page:
    store it and pass it as `after` next time (null when the page is empty). Ids only grow. Entries of
    customers merged into another carry `merged_into` (the survivor's id)."""
    if allowed_store_ids(request) is not None:
        raise HttpError(403, "The change feed spans all stores; use a key not limited to stores.")
    after = params.after
    if params.cursor:
        if not params.cursor.isdigit():
            raise HttpError(422, "The cursor is not one this API issued; start again without it.")
        after = max(after, int(params.cursor))
    entities = [e.strip() for e in params.entity.split(",") if e.strip()]
    items = selectors.change_feed(
        after=after, entities=entities, limit=params.limit, since=params.since, until=params.until
    )
    return {"items": items, "next_cursor": str(items[-1]["id"]) if items else None}


# --- webhooks -------------------------------------------------------------------------------


class EndpointIn(Schema):
    url: str = Field(..., max_length=500)
    events: list[str] = Field(..., min_length=1, max_length=50)
    secret: str = Field("", max_length=255)
    description: str = Field("", max_length=200)


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    disabled_reason: str
    created_at: dt.datetime


class EndpointCreated(EndpointOut):
    secret: str


class EndpointPage(Schema):
    items: list[EndpointOut]
    next_cursor: str | None = None


class DeliveryOut(Schema):
    id: int
    delivery_id: uuid.UUID
    event: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_status_code: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = None


class ListParams(Schema):
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=100)


class DeliveryParams(ListParams):
    status: WebhookStatus | None = None


class SecretOut(Schema):
    secret: str


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise HttpError(404, "No such webhook endpoint.")
    return endpoint


def _delivery_out(d: WebhookDelivery) -> dict:
    return {
        "id": d.pk,
        "delivery_id": d.uid,
        "event": d.event_name,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
    }


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_api_key(request.api_key)


@router.get("/webhooks", response=EndpointPage, auth=MANAGE, summary="List webhook endpoints")
def list_webhooks(request: HttpRequest, params: Query[ListParams]) -> dict:
    page = paginate(selectors.endpoints(), cursor=params.cursor, limit=params.limit, descending=False)
    return {"items": page["items"], "next_cursor": page["next_cursor"]}


@router.post("/webhooks", response={201: EndpointCreated}, auth=MANAGE, summary="Add a webhook endpoint")
def create_webhook(request: HttpRequest, payload: EndpointIn):
    """The answer shows the signing secret (generated when not given); later reads do not."""
    endpoint = services.endpoint_create(
        url=payload.url,
        events=payload.events,
        secret=payload.secret,
        description=payload.description,
        actor=_actor(request),
    )
    return Status(201, endpoint)


@router.get("/webhooks/{int:endpoint_id}", response=EndpointOut, auth=MANAGE, summary="A webhook endpoint")
def get_webhook(request: HttpRequest, endpoint_id: int):
    return _endpoint(endpoint_id)


@router.delete("/webhooks/{int:endpoint_id}", response={204: None}, auth=MANAGE, summary="Remove an endpoint")
def delete_webhook(request: HttpRequest, endpoint_id: int):
    services.endpoint_delete(endpoint=_endpoint(endpoint_id), actor=_actor(request))
    return Status(204, None)


@router.post(
    "/webhooks/{int:endpoint_id}/rotate-secret", response=SecretOut, auth=MANAGE, summary="Rotate the secret"
)
def rotate_secret(request: HttpRequest, endpoint_id: int) -> dict:
    """A new secret; for 24 hours deliveries carry two `v1=` signatures (new and old)."""
    return {"secret": services.endpoint_rotate_secret(endpoint=_endpoint(endpoint_id), actor=_actor(request))}


@router.get(
    "/webhooks/{int:endpoint_id}/deliveries", response=DeliveryPage, auth=MANAGE, summary="Deliveries"
)
def list_deliveries(request: HttpRequest, endpoint_id: int, params: Query[DeliveryParams]) -> dict:
    """Newest first; `status=dead` lists the dead letters."""
    endpoint = _endpoint(endpoint_id)
    qs = selectors.deliveries(endpoint_id=endpoint.pk, status=params.status or "")
    page = paginate(qs, cursor=params.cursor, limit=params.limit)
    return {"items": [_delivery_out(d) for d in page["items"]], "next_cursor": page["next_cursor"]}


@router.post(
    "/webhooks/{int:endpoint_id}/deliveries/{delivery_id}/replay",
    response=DeliveryOut,
    auth=MANAGE,
    summary="Replay a delivery",
)
def replay_delivery(request: HttpRequest, endpoint_id: int, delivery_id: str) -> dict:
    """`delivery_id` is the `Shopkeeper-Delivery` id (or the numeric id). The delivery is sent again with
    the same id and body."""
    endpoint = _endpoint(endpoint_id)
    qs = WebhookDelivery.objects.filter(endpoint=endpoint)
    if delivery_id.isdigit() and len(delivery_id) < 19:
        delivery = qs.filter(pk=int(delivery_id)).first()
    else:
        try:
            delivery = qs.filter(uid=uuid.UUID(delivery_id)).first()
        except ValueError:
            delivery = None
    if delivery is None:
        raise HttpError(404, "No such delivery for this endpoint.")
    return _delivery_out(services.delivery_replay(delivery=delivery, actor=_actor(request)))
