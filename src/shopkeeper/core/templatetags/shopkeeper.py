"""Template filters shared by every app: phone formatting and readable change-log entries."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

ACTIONS = {
    "created": _("created"),
    "updated": _("changed"),
    "status_changed": _("status changed"),
    "lines_changed": _("items changed"),
    "payment_added": _("payment added"),
    "payment_changed": _("payment changed"),
    "commented": _("comment"),
    "merged": _("merged"),
    "stock_reserved": _("stock reserved"),
    "stock_released": _("stock released"),
    "stock_written_off": _("stock written off"),
    "password_changed": _("password changed"),
    "revoked": _("revoked"),
}
ENTITIES = {
    "order": _("Order"),
    "customer": _("Customer"),
    "company": _("Company"),
    "user": _("User"),
    "store": _("Store"),
    "product": _("Product"),
    "offer": _("Offer"),
}


@register.filter
def phone(value: str) -> str:
    """+79151234567 -> +7 915 123-45-67; anything unparseable is shown as it was typed."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(parsed):
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def action_label(action: str) -> str:
    return ACTIONS.get(action, action.replace("_", " "))


@register.filter
def entity_label(entity: str) -> str:
    return ENTITIES.get(entity, entity.replace("_", " "))


@register.filter
def change_value(value: Any) -> str:
    """A change-log value as a person reads it: lists joined, mappings as `key: value`."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(change_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {change_value(v)}" for k, v in value.items()) or "—"
    if value is True:
        return str(_("yes"))
    if value is False:
        return str(_("no"))
    return str(value)
