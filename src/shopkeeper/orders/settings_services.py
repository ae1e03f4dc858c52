"""Writes of the order workflow's dictionaries and transition matrix (Settings)."""

from __future__ import annotations

from django.db import transaction

from shopkeeper.core.changes import Actor, record_change

from .dictionaries import dictionaries_changed
from .models import OrderType, Transition


@transaction.atomic
def dictionary_save(*, form, actor: Actor):
    creating = form.instance.pk is None
    changed = {name: [form.initial.get(name), form.cleaned_data.get(name)] for name in form.changed_data}
    obj = form.save()
    transaction.on_commit(dictionaries_changed)
    record_change(
        entity=obj._meta.model_name,
        entity_id=obj.pk,
        action="created" if creating else "updated",
        actor=actor,
        changes=changed,
        event="settings.changed",
        payload={"model": obj._meta.model_name},
    )
    return obj


@transaction.atomic
def transitions_set(*, order_type: OrderType, pairs: set[tuple[int, int]], actor: Actor) -> None:
    existing = set(Transition.objects.filter(order_type=order_type).values_list("source_id", "target_id"))
    removed = existing - pairs
    added = pairs - existing
    for source, target in removed:
        Transition.objects.filter(order_type=order_type, source_id=source, target_id=target).delete()
    Transition.objects.bulk_create(
        [Transition(order_type=order_type, source_id=s, target_id=t) for s, t in added]
    )
    if added or removed:
        record_change(
            entity="order_type",
            entity_id=order_type.pk,
            action="transitions_changed",
            actor=actor,
            changes={"transitions": [sorted(existing), sorted(pairs)]},
        )


@transaction.atomic
def assignment_rule_create(*, form, actor: Actor):
    rule = form.save()
    record_change(
        entity="assignment_rule",
        entity_id=rule.pk,
        action="created",
        actor=actor,
        changes={"rule": [None, str(rule)]},
    )
    return rule


@transaction.atomic
def assignment_rule_delete(*, rule, actor: Actor) -> None:
    record_change(
        entity="assignment_rule",
        entity_id=rule.pk,
        action="deleted",
        actor=actor,
        changes={"rule": [str(rule), None]},
    )
    rule.delete()


@transaction.atomic
def transition_set_roles(*, transition: Transition, roles: list, actor: Actor) -> None:
    before = sorted(transition.roles.values_list("name", flat=True))
    after = sorted(r.name for r in roles)
    if before != after:
        transition.roles.set(roles)
        record_change(
            entity="order_type",
            entity_id=transition.order_type_id,
            action="transition_roles_changed",
            actor=actor,
            changes={f"{transition.source.code} -> {transition.target.code}": [before, after]},
        )
