"""How order values stored in the change log read on a timeline: codes and ids become the translated
names a manager sees elsewhere (registered with `core.changes.register_value_label`)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from shopkeeper.accounts.selectors import user_label
from shopkeeper.core.changes import register_record_names, register_value_label
from shopkeeper.core.templatetags.shopkeeper import stored_number

from . import dictionaries
from .models import (
    CancelReason,
    Channel,
    DeliveryType,
    PaymentState,
    PaymentStatus,
    PaymentType,
    Status,
    StockState,
)
from .selectors import orders_visible


def _dictionary(model):
    def label(value: Any) -> str:
        row = (
            dictionaries.by_pk(model, value) if isinstance(value, int) else dictionaries.by_code(model)[value]
        )
        if row is None:
            raise KeyError(value)
        return _(row.name)

    return label


def _choice(choices):
    return lambda value: str(choices(value).label)


def _payment(value: dict[str, Any]) -> str:
    parts = [stored_number(value["amount"]), str(PaymentState(value["status"]).label)]
    if value.get("type"):
        row = dictionaries.by_code(PaymentType).get(value["type"])
        parts.append(_(row.name) if row else str(value["type"]))
    return " · ".join(parts)


def _order_names(ids: set[int], user: Any) -> dict[int, tuple[str, str]]:
    """The numbers of the orders the user may open, with their links."""
    if user is None or not user.has_perm("orders.view_order"):
        return {}
    rows = orders_visible(user=user).filter(pk__in=ids).values_list("id", "number")
    return {pk: (number, reverse("orders:detail", args=[pk])) for pk, number in rows}


def register() -> None:
    register_record_names("order", _order_names)
    for field, model in (
        ("status", Status),
        ("channel", Channel),
        ("delivery_type", DeliveryType),
        ("cancel_reason", CancelReason),
    ):
        register_value_label("order", field, _dictionary(model))
    register_value_label("order", "payment_status", _choice(PaymentStatus))
    register_value_label("order", "stock_state", _choice(StockState))
    register_value_label("order", "payment", _payment)
    register_value_label("order", "manager", user_label)
    for field in (
        "subtotal",
        "discount_total",
        "total",
        "purchase_total",
        "paid_amount",
        "delivery_cost",
        "delivery_net_cost",
        "discount_amount",
        "discount_percent",
    ):
        register_value_label("order", field, stored_number)
