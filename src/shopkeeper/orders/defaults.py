"""The dictionaries a new installation starts with. Names are English msgids, shown translated in
the UI (`{% translate status.name %}`); stores rename or add their own in Settings."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_noop

STATUS_GROUPS = [
    # code, name, final, cancelled
    ("new", gettext_noop("New"), False, False),
    ("approval", gettext_noop("Approval"), False, False),
    ("assembling", gettext_noop("Assembling"), False, False),
    ("delivery", gettext_noop("Delivery"), False, False),
    ("complete", gettext_noop("Complete"), True, False),
    ("cancelled", gettext_noop("Cancelled"), True, True),
]
STATUSES = [
    # code, name, group, colour, time limit (minutes), stock action
    ("new", gettext_noop("New"), "new", "#0d6efd", 30, "reserve"),
    ("no-answer", gettext_noop("No answer"), "approval", "#fd7e14", 240, ""),
    ("awaiting-payment", gettext_noop("Awaiting payment"), "approval", "#ffc107", 1440, ""),
    ("confirmed", gettext_noop("Confirmed"), "approval", "#20c997", 120, ""),
    ("assembling", gettext_noop("Assembling"), "assembling", "#6f42c1", 480, ""),
    ("assembled", gettext_noop("Ready to ship"), "assembling", "#6610f2", 480, ""),
    ("shipped", gettext_noop("Shipped"), "delivery", "#0dcaf0", 7 * 1440, "write_off"),
    ("delivered", gettext_noop("Delivered"), "complete", "#198754", None, ""),
    ("cancelled", gettext_noop("Cancelled"), "cancelled", "#dc3545", None, "release"),
    ("returned", gettext_noop("Returned"), "cancelled", "#6c757d", None, ""),
]
CHANNELS = [
    ("web", gettext_noop("Website")),
    ("phone", gettext_noop("Phone")),
    ("email", gettext_noop("Email")),
    ("web-form", gettext_noop("Web form")),
    ("marketplace", gettext_noop("Marketplace")),
    ("api", gettext_noop("API")),
    ("manual", gettext_noop("Manual")),
]
ORDER_TYPES = [("retail", gettext_noop("Retail")), ("wholesale", gettext_noop("Wholesale"))]
DELIVERY_TYPES = [
    ("courier", gettext_noop("Courier"), Decimal("300.00")),
    ("pickup", gettext_noop("Pickup"), Decimal("0.00")),
    ("post", gettext_noop("Post"), Decimal("250.00")),
    ("parcel-locker", gettext_noop("Parcel locker"), Decimal("150.00")),
]
PAYMENT_TYPES = [
    ("cash", gettext_noop("Cash")),
    ("card", gettext_noop("Card online")),
    ("card-on-delivery", gettext_noop("Card on delivery")),
    ("bank-transfer", gettext_noop("Bank transfer")),
    ("cod", gettext_noop("Cash on delivery")),
]
CANCEL_REASONS = [
    ("changed-mind", gettext_noop("Changed their mind")),
    ("no-answer", gettext_noop("Could not reach the customer")),
    ("out-of-stock", gettext_noop("Out of stock")),
    ("too-expensive", gettext_noop("Found it cheaper")),
    ("duplicate", gettext_noop("Duplicate order")),
    ("delivery-terms", gettext_noop("Delivery terms did not suit")),
]
# Allowed moves between status groups; within a group any move is allowed.
GROUP_FLOW = {
    "new": ["approval", "assembling", "cancelled"],
    "approval": ["assembling", "cancelled"],
    "assembling": ["delivery", "cancelled"],
    "delivery": ["complete", "cancelled"],
}


def install_defaults(apps) -> None:
    """Create the default dictionaries and transition matrix (used by a data migration)."""
    g = {
        name: apps.get_model("orders", name)
        for name in (
            "StatusGroup",
            "Status",
            "Channel",
            "OrderType",
            "DeliveryType",
            "PaymentType",
            "CancelReason",
            "Transition",
        )
    }
    groups = {}
    for i, (code, name, final, cancelled) in enumerate(STATUS_GROUPS):
        groups[code], _c = g["StatusGroup"].objects.get_or_create(
            code=code, defaults={"name": name, "position": i, "is_final": final, "is_cancelled": cancelled}
        )
    statuses = {}
    for i, (code, name, group, color, limit, action) in enumerate(STATUSES):
        statuses[code], _c = g["Status"].objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "group": groups[group],
                "position": i,
                "color": color,
                "time_limit_minutes": limit,
                "stock_action": action,
            },
        )
    for model, rows in (
        ("Channel", CHANNELS),
        ("OrderType", ORDER_TYPES),
        ("PaymentType", PAYMENT_TYPES),
        ("CancelReason", CANCEL_REASONS),
    ):
        for i, (code, name) in enumerate(rows):
            g[model].objects.get_or_create(code=code, defaults={"name": name, "position": i})
    for i, (code, name, cost) in enumerate(DELIVERY_TYPES):
        g["DeliveryType"].objects.get_or_create(
            code=code, defaults={"name": name, "position": i, "default_cost": cost}
        )
    by_group: dict[str, list] = {}
    for code, _n, group, *_rest in STATUSES:
        by_group.setdefault(group, []).append(statuses[code])
    for order_type in g["OrderType"].objects.all():
        for group, members in by_group.items():
            targets = [s for s in members] + [s for tg in GROUP_FLOW.get(group, []) for s in by_group[tg]]
            for source in members:
                if group in ("complete", "cancelled"):
                    continue
                for target in targets:
                    if target.pk != source.pk:
                        g["Transition"].objects.get_or_create(
                            order_type=order_type, source=source, target=target
                        )
