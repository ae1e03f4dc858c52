"""Recording changes and events: the one helper every service calls after it writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import ActorType, Change, ChangeLink, Event, EventDelivery


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change and through what: a user in the UI, an API key, a rule, the system."""

    type: str
    id: int | None = None
    label: str = ""
    source: str = ""

    @classmethod
    def system(cls, source: str = "system") -> Actor:
        return cls(type=ActorType.SYSTEM, label="system", source=source)

    @classmethod
    def for_user(cls, user: Any, source: str = "ui") -> Actor:
        return cls(type=ActorType.USER, id=user.pk, label=user.get_username(), source=source)

    @classmethod
    def for_api_key(cls, api_key: Any, source: str = "api") -> Actor:
        return cls(type=ActorType.API_KEY, id=api_key.pk, label=api_key.name, source=source)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "label": self.label}


_value_labels: dict[tuple[str, str], Callable[[Any], str]] = {}


def register_value_label(entity: str, field: str, label: Callable[[Any], str]) -> None:
    """How a stored value of `entity`'s `field` reads in timelines (e.g. an order's status code -> the
    status's translated name). Apps register theirs in `AppConfig.ready()`."""
    _value_labels[(entity, field)] = label


def value_label(entity: str, field: str) -> Callable[[Any], str] | None:
    return _value_labels.get((entity, field))


def to_jsonable(value: Any) -> Any:
    """Field values as the change log stores them: plain JSON, money as strings."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def apply_changes(instance: models.Model, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `instance`; return `{field: [old, new]}` for those that really changed."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(instance, field)
        if old != new:
            setattr(instance, field, new)
            changed[field] = [to_jsonable(old), to_jsonable(new)]
    return changed


def record_change(
    *,
    entity: str,
    entity_id: int,
    action: str,
    actor: Actor,
    changes: dict[str, Any] | None = None,
    event: str | None = None,
    payload: dict[str, Any] | None = None,
    related: dict[str, int | None] | None = None,
) -> Change:
    """Write the change-log row and (optionally) the domain event, inside the caller's transaction.

    `related` names other entities whose timelines show this change, e.g. `{"customer": 42}`.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_change() must run inside the service's transaction.atomic block")
    now = timezone.now()
    change = Change.objects.create(
        at=now,
        entity=entity,
        entity_id=entity_id,
        action=action,
        changes=to_jsonable(changes or {}),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label[:150],
        source=actor.source,
    )
    if related:
        ChangeLink.objects.bulk_create(
            [ChangeLink(change=change, entity=e, entity_id=i) for e, i in related.items() if i is not None]
        )
    if event:
        emit_event(name=event, entity=entity, entity_id=entity_id, payload=payload or {}, change=change)
    return change


def emit_event(
    *, name: str, entity: str, entity_id: int, payload: dict[str, Any], change: Change | None = None
) -> Event:
    from .events import consumers_for

    now = timezone.now()
    event = Event.objects.create(
        at=now,
        name=name,
        entity=entity,
        entity_id=entity_id,
        payload=to_jsonable(payload),
        change=change,
    )
    EventDelivery.objects.bulk_create(
        [EventDelivery(event=event, consumer=c, next_attempt_at=now) for c in consumers_for(name)]
    )
    return event


def update_recorded(
    instance: models.Model,
    values: dict[str, Any],
    *,
    entity: str,
    actor: Actor,
    event: str | None = None,
    payload: dict[str, Any] | None = None,
    validate: bool = True,
) -> dict[str, list[Any]]:
    """The usual update service body: set `values`, validate, save only what changed, record it.

    Returns `{field: [old, new]}` (empty when nothing changed: nothing is saved or recorded then).
    """
    changed = apply_changes(instance, values)
    if changed:
        if validate:
            instance.full_clean()
        instance.save(update_fields=list(changed))
        record_change(
            entity=entity,
            entity_id=instance.pk,
            action="updated",
            actor=actor,
            changes=changed,
            event=event,
            payload=payload,
        )
    return changed
