from __future__ import annotations

from django.db import transaction

from shopkeeper.core.changes import Actor, record_change, update_recorded

from .models import Store


@transaction.atomic
def store_create(*, code: str, name: str, currency: str, timezone: str, actor: Actor) -> Store:
    store = Store(code=code, name=name, currency=currency.upper(), timezone=timezone)
    store.full_clean()
    store.save()
    record_change(
        entity="store",
        entity_id=store.pk,
        action="created",
        actor=actor,
        changes={"code": [None, code], "name": [None, name], "currency": [None, store.currency]},
        event="store.created",
        payload={"code": code},
    )
    return store


@transaction.atomic
def store_update(*, store: Store, actor: Actor, **values: object) -> Store:
    update_recorded(
        store, values, entity="store", actor=actor, event="store.updated", payload={"code": store.code}
    )
    return store
