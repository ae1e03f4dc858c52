"""Dynamic segments: rules over profile fields, custom fields, metrics and RFM, compiled to a Q.

Rules are JSON: `{"match": "all" | "any", "conditions": [{"field": "total_spent", "op": "gt",
"value": "10000"}, {"field": "last_order_days", "op": "gt", "value": 90},
{"field": "consent_email", "op": "eq", "value": true}, {"field": "cf:level", "op": "eq", "value": "gold"}]}`.
Only the fields and operators listed here are accepted, so a rule can never reach other columns.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shopkeeper.core.changes import apply_changes, record_change

from .models import Segment

# field -> (kind, label); "days" fields are "days since <date column>".
FIELDS: dict[str, tuple[str, Any]] = {
    "total_spent": ("decimal", gettext_lazy("Total spent")),
    "orders_count": ("int", gettext_lazy("Orders")),
    "average_order": ("decimal", gettext_lazy("Average order")),
    "last_order_days": ("days", gettext_lazy("Days since last order")),
    "first_order_days": ("days", gettext_lazy("Days since first order")),
    "lifetime_days": ("int", gettext_lazy("Lifetime, days")),
    "rfm_class": ("str", gettext_lazy("RFM class")),
    "consent_email": ("bool", gettext_lazy("Email consent")),
    "consent_sms": ("bool", gettext_lazy("SMS consent")),
    "language": ("str", gettext_lazy("Preferred language")),
    "channel": ("str", gettext_lazy("Preferred channel")),
    "source": ("str", gettext_lazy("Source")),
    "tag": ("tag", gettext_lazy("Tag")),
    "manager": ("int", gettext_lazy("Manager id")),
    "store": ("store", gettext_lazy("Store code")),
    "birthday_month": ("int", gettext_lazy("Birthday month")),
    "created_days": ("days", gettext_lazy("Days since created")),
}
DAY_COLUMNS = {
    "last_order_days": "last_order_at",
    "first_order_days": "first_order_at",
    "created_days": "created_at",
}
OPS = {"eq", "ne", "gt", "gte", "lt", "lte", "contains", "empty"}


def _value(kind: str, value: Any) -> Any:
    try:
        if kind == "decimal":
            number = Decimal(str(value))
            if not number.is_finite():
                raise InvalidOperation
            return number
        if kind in {"int", "days"}:
            return int(value)
        if kind == "bool":
            return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "on"}
        return str(value)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(_("%(value)s is not a valid value.") % {"value": value}) from None


def _condition(cond: dict[str, Any]) -> Q:
    if not isinstance(cond, dict):
        raise ValidationError(_("A condition must be an object."))
    field, op, raw = cond.get("field"), cond.get("op", "eq"), cond.get("value")
    if op not in OPS:
        raise ValidationError(_("Unknown operator %(op)s.") % {"op": op})
    if isinstance(field, str) and field.startswith("cf:"):
        code = field[3:]
        if not code.isidentifier():
            raise ValidationError(_("Unknown field %(field)s.") % {"field": field})
        column = f"custom_fields__{code}"
        kind = "str"
        if op in {"gt", "gte", "lt", "lte"}:
            kind = "decimal"
    elif field in FIELDS:
        kind = FIELDS[field][0]
        column = {
            "tag": "tags__name",
            "store": "store__code",
            "manager": "manager_id",
            "birthday_month": "birthday__month",
        }.get(field, field)
    else:
        raise ValidationError(_("Unknown field %(field)s.") % {"field": field})
    if op == "empty":
        return Q(**{f"{column}__isnull": True}) | (Q(**{column: ""}) if kind == "str" else Q(pk__in=[]))
    value = _value(kind, raw)
    if kind == "days":
        # "more than N days ago" is "the date is before now - N days": flip the comparison.
        column = DAY_COLUMNS[field]
        value = timezone.now() - dt.timedelta(days=value)
        op = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}.get(op, op)
        if op in {"eq", "ne"}:
            start = value.replace(hour=0, minute=0, second=0, microsecond=0)
            q = Q(**{f"{column}__gte": start, f"{column}__lt": start + dt.timedelta(days=1)})
            return ~q if op == "ne" else q
    lookup = {"eq": "", "ne": "", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte"}.get(op)
    if op == "contains":
        return Q(**{f"{column}__icontains": value})
    q = Q(**{f"{column}{lookup}": value})
    return ~q if op == "ne" else q


def compile_rules(rules: dict[str, Any] | None) -> Q:
    """A Q selecting the customers the rules describe; ValidationError on an invalid rule."""
    if not isinstance(rules, dict):
        raise ValidationError(_("Rules must be an object."))
    conditions = rules.get("conditions") or []
    if not isinstance(conditions, list):
        raise ValidationError(_("Conditions must be a list."))
    match_any = rules.get("match") == "any"
    result = Q(pk__in=[]) if match_any and conditions else Q()
    for cond in conditions:
        q = _condition(cond)
        result = (result | q) if match_any else (result & q)
    return result


@transaction.atomic
def segment_save(*, name: str, rules: dict[str, Any], actor, segment: Segment | None = None) -> Segment:
    """Create or change a segment (rules are validated first)."""
    compile_rules(rules)
    if segment is None:
        segment = Segment.objects.create(name=name, rules=rules, created_at=timezone.now())
        record_change(
            entity="segment",
            entity_id=segment.pk,
            action="created",
            actor=actor,
            changes={"name": [None, name]},
        )
        return segment
    changes = apply_changes(segment, {"name": name, "rules": rules})
    if changes:
        segment.save(update_fields=["name", "rules"])
        record_change(entity="segment", entity_id=segment.pk, action="updated", actor=actor, changes=changes)
    return segment
