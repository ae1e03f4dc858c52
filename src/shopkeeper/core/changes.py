"""Recording changes and events: the one helper every service calls after it writes."""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    status's translated name); a list value is read item by item. Apps register theirs in
    `AppConfig.ready()`."""
    _value_labels[(entity, field)] = label


def value_label(entity: str, field: str) -> Callable[[Any], str] | None:
    return _value_labels.get((entity, field))


type RecordNames = Callable[[set[int], Any], dict[int, tuple[str, str]]]
_record_names: dict[str, RecordNames] = {}


def register_record_names(entity: str, names: RecordNames) -> None:
    """How another record's entries on a card's timeline name it ("Order KV-1021 status changed" on the
    customer's card): `names(ids, user)` gives {id: (text, url)} of the records the user may open, read
    in one query for a page of entries (the others stay unnamed, as before). Apps register theirs in
    `AppConfig.ready()`."""
    _record_names[entity] = names


def record_names(entity: str) -> RecordNames | None:
    return _record_names.get(entity)


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


@dataclass
class _Record:
    change: Change
    related: dict[str, int]
    event: Event | None


@dataclass
class Deferred:
    """Change-log rows, links and events recorded inside `deferred()`, written in one go at its end."""

    records: list[_Record] = dataclasses.field(default_factory=list)

    def mark(self) -> int:
        return len(self.records)

    def discard(self, mark: int) -> None:
        """Forget what was recorded since `mark` (its writes were rolled back to a savepoint)."""
        del self.records[mark:]

    def flush(self) -> None:
        from .events import consumers_for

        records, self.records = self.records, []
        if not records:
            return
        Change.objects.bulk_create([r.change for r in records])
        links = [
            ChangeLink(change=r.change, entity=e, entity_id=i) for r in records for e, i in r.related.items()
        ]
        ChangeLink.objects.bulk_create(links)
        events = [r.event for r in records if r.event is not None]
        for event in events:
            event.change_id = event.change.pk
        Event.objects.bulk_create(events)
        EventDelivery.objects.bulk_create(
            [
                EventDelivery(event=e, consumer=c, next_attempt_at=e.at)
                for e in events
                for c in consumers_for(e.name)
            ]
        )


_deferred: contextvars.ContextVar[Deferred | None] = contextvars.ContextVar("deferred_changes", default=None)


@contextmanager
def deferred() -> Iterator[Deferred]:
    """Collect what `record_change` writes and write it as four bulk inserts when the
    block ends (inside the caller's transaction). A service that records several changes, or a batch
    of them, saves a round trip per row. Nested blocks join the outermost one."""
    current = _deferred.get()
    if current is not None:
        yield current
        return
    pending = Deferred()
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)
    pending.flush()


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
    """Write the change-log row and (optionally) the domain event, inside the caller's transaction
    (at the end of the enclosing `deferred()` block, if there is one).

    `related` names other entities whose timelines show this change, e.g. `{"customer": 42}`.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_change() must run inside the service's transaction.atomic block")
    now = timezone.now()
    change = Change(
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
    links = {e: i for e, i in (related or {}).items() if i is not None}
    pending = _deferred.get()
    if pending is None:
        change.save(force_insert=True)
        if links:
            ChangeLink.objects.bulk_create(
                [ChangeLink(change=change, entity=e, entity_id=i) for e, i in links.items()]
            )
        if event:
            emit_event(name=event, entity=entity, entity_id=entity_id, payload=payload or {}, change=change)
        return change
    record = _Record(change=change, related=links, event=None)
    if event:
        record.event = Event(
            at=now,
            name=event,
            entity=entity,
            entity_id=entity_id,
            payload=to_jsonable(payload or {}),
            change=change,
        )
    pending.records.append(record)
    return change


def emit_event(
    *, name: str, entity: str, entity_id: int, payload: dict[str, Any], change: Change | None = None
) -> Event:
    from .events import consumers_for

    now = timezone.now()
    event = Event.objects.create(
        at=now, name=name, entity=entity, entity_id=entity_id, payload=to_jsonable(payload), change=change
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
