"""Writers of the customer settings: RFM thresholds, custom field definitions, duplicate policies.

Each validates its input (raising ValidationError with per-field messages) and records the change.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shopkeeper.core.changes import Actor, apply_changes, record_change

from .models import CustomFieldDefinition, DedupePolicy, FieldType, RfmSettings


@transaction.atomic
def rfm_settings_save(
    *, recency_days: list[int], frequency: list[int], monetary: list[Decimal], actor: Actor
) -> RfmSettings:
    """Thresholds: recency [good, fair] days with good < fair; frequency and monetary [fair, good]
    with fair < good; all positive."""
    errors = {}
    good, fair = recency_days
    if not 0 < good < fair:
        errors["recency_days"] = _("The “recent” limit must be positive and below the “fair” limit.")
    f_fair, f_good = frequency
    if not 0 < f_fair < f_good:
        errors["frequency"] = _("The “fair” number of orders must be positive and below the “good” one.")
    m_fair, m_good = monetary
    if not 0 < m_fair < m_good:
        errors["monetary"] = _("The “fair” amount must be positive and below the “good” one.")
    if errors:
        raise ValidationError(errors)
    row = RfmSettings.objects.select_for_update().order_by("pk").first() or RfmSettings()
    values = {
        "recency_days": [int(good), int(fair)],
        "frequency": [int(f_fair), int(f_good)],
        "monetary": [str(m_fair.quantize(Decimal("0.01"))), str(m_good.quantize(Decimal("0.01")))],
    }
    changes = apply_changes(row, values)
    if changes or row.pk is None:
        row.save()
        record_change(
            entity="customer_settings", entity_id=row.pk, action="rfm_changed", actor=actor, changes=changes
        )
        from .tasks import refresh_time_metrics

        # Every customer's class under the new thresholds, in the background.
        transaction.on_commit(refresh_time_metrics.enqueue)
    return row


def _clean_choices(lines: list[str]) -> list[dict[str, str]]:
    """`code: label` or `label` per line -> [{"code", "label"}]; codes unique."""
    from django.utils.text import slugify

    choices, seen = [], set()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        code, sep, label = line.partition(":")
        code, label = (code.strip(), label.strip()) if sep else (slugify(line)[:50], line)
        code = slugify(code)[:50] or str(len(choices) + 1)
        if code in seen:
            raise ValidationError({"choices": _("The choice code “%(code)s” repeats.") % {"code": code}})
        seen.add(code)
        choices.append({"code": code, "label": (label or code)[:100]})
    return choices


@transaction.atomic
def custom_field_save(
    *,
    definition: CustomFieldDefinition | None,
    entity: str,
    code: str,
    label: str,
    type: str,
    choices: list[str],
    required: bool,
    position: int,
    actor: Actor,
) -> CustomFieldDefinition:
    """Create or change a definition. The entity and code of an existing field do not change (values
    are stored under the code); a choice field needs at least one choice."""
    if type not in FieldType.values:
        raise ValidationError({"type": _("Unknown field type.")})
    clean = _clean_choices(choices) if type == FieldType.CHOICE else []
    if type == FieldType.CHOICE and not clean:
        raise ValidationError({"choices": _("A choice field needs at least one choice.")})
    if definition is None:
        if CustomFieldDefinition.objects.filter(entity=entity, code=code).exists():
            raise ValidationError({"code": _("A field with this code already exists.")})
        definition = CustomFieldDefinition.objects.create(
            entity=entity,
            code=code,
            label=label,
            type=type,
            choices=clean,
            required=required,
            position=position,
        )
        changes = {
            "entity": [None, entity],
            "code": [None, code],
            "label": [None, label],
            "type": [None, type],
        }
        action = "custom_field_created"
    else:
        changes = apply_changes(
            definition,
            {"label": label, "type": type, "choices": clean, "required": required, "position": position},
        )
        if changes:
            definition.save(update_fields=list(changes))
        action = "custom_field_changed"
    if changes:
        record_change(
            entity="custom_field", entity_id=definition.pk, action=action, actor=actor, changes=changes
        )
    return definition


@transaction.atomic
def custom_field_delete(*, definition: CustomFieldDefinition, actor: Actor) -> None:
    """Remove a definition; stored values stay in the customers' JSON (nothing is lost)."""
    record_change(
        entity="custom_field",
        entity_id=definition.pk,
        action="custom_field_deleted",
        actor=actor,
        changes={"code": [definition.code, None], "entity": [definition.entity, None]},
    )
    definition.delete()


@transaction.atomic
def dedupe_policy_save(*, store, reuse_on_phone: bool, reuse_on_email: bool, actor: Actor) -> DedupePolicy:
    policy = DedupePolicy.objects.select_for_update().filter(store=store).first() or DedupePolicy(store=store)
    created = policy.pk is None
    changes = apply_changes(policy, {"reuse_on_phone": reuse_on_phone, "reuse_on_email": reuse_on_email})
    if changes or created:
        policy.save()
        record_change(
            entity="store",
            entity_id=store.pk,
            action="dedupe_policy_changed",
            actor=actor,
            changes=changes,
        )
    return policy
