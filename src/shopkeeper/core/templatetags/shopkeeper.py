"""Template filters shared by every app: phone formatting and readable change-log entries."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
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
    "deleted": _("deleted"),
    "contacts_added": _("contacts added"),
    "contact_linked": _("contact person added"),
    "contact_unlinked": _("contact person removed"),
    "tagged": _("tags changed"),
    "erased": _("personal data erased"),
    "duplicate_dismissed": _("not a duplicate"),
    "two_factor_enabled": _("two-factor sign-in turned on"),
    "two_factor_disabled": _("two-factor sign-in turned off"),
    "two_factor_reset": _("two-factor sign-in reset"),
    "recovery_codes_regenerated": _("new recovery codes"),
}
ENTITIES = {
    "order": _("Order"),
    "customer": _("Customer"),
    "company": _("Company"),
    "user": _("User"),
    "store": _("Store"),
    "product": _("Product"),
    "offer": _("Offer"),
    "note": _("Note"),
}


PROBLEMS = {
    "unknown_sku": _("A SKU is not in the catalog; the line is kept as free text."),
    "price_mismatch": _("A price differs from the catalog."),
    "no_price": _("An offer has no price of this price type."),
    "out_of_stock": _("Not enough stock: a line is not fully reserved."),
    "unknown_delivery_type": _("The delivery type is not known; map it in Settings."),
    "unknown_payment_type": _("The payment type is not known; map it in Settings."),
    "unknown_channel": _("The channel is not known; map it in Settings."),
    "unknown_status": _("The status is not known; the order starts in the first status."),
    "unknown_order_type": _("The order type is not known; the default type is used."),
    "invalid_phone": _("The phone number looks invalid; it is kept as typed."),
    "possible_duplicate_customer": _("The customer may be a duplicate; check the duplicates queue."),
    "call_back": _("Web form: call the customer back."),
    "invalid_custom_field": _("A custom field has an invalid value; it is kept as sent."),
}


@register.filter
def problem_text(problem: dict) -> str:
    """What a person reads for an order problem: its own detail, else the text for its code."""
    if not isinstance(problem, dict):
        return str(problem)
    code = problem.get("code", "")
    return problem.get("detail") or str(PROBLEMS.get(code, code.replace("_", " ")))


@register.filter
def phone(value: str) -> str:
    """+79151234567 -> +7 915 123-45-67; anything unparseable is shown as it was typed."""
    from shopkeeper.customers.normalize import format_phone

    return format_phone(value, value) if value else ""


@register.filter
def action_label(action: str) -> str:
    return ACTIONS.get(action, action.replace("_", " "))


@register.filter
def entity_label(entity: str) -> str:
    return ENTITIES.get(entity, entity.replace("_", " "))


_MODELS: dict[str, Any] = {}


def _model_for(entity: str):
    if not _MODELS:
        from django.apps import apps

        for model in apps.get_models():
            _MODELS.setdefault(model._meta.model_name, model)
    return _MODELS.get(entity.replace("_", ""))


@register.filter
def field_label(field: str, entity: str = "") -> str:
    """A changed field's name as the forms call it (`stock_state` on an order -> "Stock")."""
    model = _model_for(entity) if entity else None
    if model is not None:
        try:
            verbose = getattr(model._meta.get_field(field), "verbose_name", None)
        except FieldDoesNotExist:  # not a model field: payment, comment ...
            verbose = None
        if verbose:
            return str(verbose).capitalize()
    return str(FIELDS.get(field, field.replace("_", " ").capitalize()))


FIELDS = {
    "lines": _("Items"),
    "payment": _("Payment"),
    "comment": _("Comment"),
    "reservations": _("Reservations"),
    "role": _("Role"),
    "stores": _("Stores"),
}


@register.simple_tag
def change_text(value: Any, entity: str, field: str) -> str:
    """`change_value`, with codes an app has given labels for (an order's status code -> its name)."""
    from shopkeeper.core.changes import value_label

    label = value_label(entity, field)
    if label is not None and value not in (None, ""):
        try:
            return label(value)
        except (KeyError, ValueError, TypeError):
            pass  # an old or unknown value is shown as stored
    return change_value(value)


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
