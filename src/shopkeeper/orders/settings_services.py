"""Writes of the order workflow's dictionaries and transition matrix (Settings)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from shopkeeper.core.changes import Actor, record_change
from shopkeeper.core.scope import reference_changed

from .dictionaries import dictionaries_changed
from .models import Order, OrderType, StoreOrderSettings, Transition


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
    transaction.on_commit(reference_changed)  # the cards' matrix (bulk_create sends no signal)
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


@transaction.atomic
def store_order_settings_save(
    *,
    store,
    number_prefix: str,
    default_price_type: str,
    customers_keep_manager: bool | None = None,
    actor: Actor,
) -> StoreOrderSettings:
    """A store's order-number prefix, default price type and whether its customers keep their first
    manager (Settings -> Stores; None leaves that as it is); the row is created when missing. The
    counter row is locked, so no order takes a number while the prefix changes."""
    from shopkeeper.catalog.models import PriceType

    number_prefix = number_prefix.strip()
    settings = StoreOrderSettings.objects.select_for_update().filter(store=store).first()
    if settings is None:
        settings, _created = StoreOrderSettings.objects.get_or_create(store=store)
    errors: dict[str, str] = {}
    max_prefix = StoreOrderSettings._meta.get_field("number_prefix").max_length
    if len(number_prefix) > max_prefix:
        errors["number_prefix"] = _("Use at most %(max)d characters.") % {"max": max_prefix}
    elif number_prefix != settings.number_prefix and _prefix_collides(store, number_prefix, settings):
        errors["number_prefix"] = _(
            "Orders of this store already have numbers that this prefix would give again."
        )
    if default_price_type != settings.default_price_type and not (
        PriceType.objects.filter(code=default_price_type).exists()
    ):
        errors["default_price_type"] = _("“%(code)s” is not a known price type.") % {
            "code": default_price_type
        }
    if errors:
        raise ValidationError(errors)
    values = {"number_prefix": number_prefix, "default_price_type": default_price_type}
    if customers_keep_manager is not None:
        values["customers_keep_manager"] = customers_keep_manager
    changed = {
        field: [getattr(settings, field), value]
        for field, value in values.items()
        if getattr(settings, field) != value
    }
    if changed:
        for field, (_old, new) in changed.items():
            setattr(settings, field, new)
        settings.save(update_fields=list(changed))
        record_change(
            entity="store",
            entity_id=store.pk,
            action="updated",
            actor=actor,
            changes=changed,
            event="store.updated",
            payload={"code": store.code},
        )
    return settings


def _prefix_collides(store, prefix: str, settings: StoreOrderSettings) -> bool:
    """Whether a number the counter will give with `prefix` (prefix + a number above the counter) is
    already taken by an order of the store: numbers are unique per store."""
    shortest = len(prefix) + len(str(settings.last_number + 1))
    numbers = (
        Order.objects.filter(store=store, number__startswith=prefix)
        .annotate(number_length=Length("number"))
        .filter(number_length__gte=shortest)
        .values_list("number", flat=True)
    )
    for number in numbers.iterator(chunk_size=2000):
        rest = number[len(prefix) :]
        if not number.startswith(prefix) or not (rest.isascii() and rest.isdigit()) or rest[0] == "0":
            continue  # startswith is case-insensitive on SQLite; only digits the counter writes count
        if int(rest) > settings.last_number:
            return True
    return False
