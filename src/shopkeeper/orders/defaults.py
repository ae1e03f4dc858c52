"""The dictionaries a new installation starts with. Names are English msgids, shown translated in
the UI (`{% translate status.name %}`); stores rename or add their own in Settings."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_noop as N_

STATUS_GROUPS = [
    # code, name, final, cancelled
    ("new", N_("New"), False, False),
    ("approval", N_("Approval"), False, False),
    ("assembling", N_("Assembling"), False, False),
    ("delivery", N_("Delivery"), False, False),
    ("complete", N_("Complete"), True, False),
    ("cancelled", N_("Cancelled"), True, True),
]
STATUSES = [
    # code, name, group, colour, time limit (minutes), stock action
    ("new", N_("New"), "new", "#0d6efd", 30, "reserve"),
    ("no-answer", N_("No answer"), "approval", "#fd7e14", 240, ""),
    ("awaiting-payment", N_("Awaiting payment"), "approval", "#ffc107", 1440, ""),
    ("confirmed", N_("Confirmed"), "approval", "#20c997", 120, ""),
    ("assembling", N_("Assembling"), "assembling", "#6f42c1", 480, ""),
    ("assembled", N_("Ready to ship"), "assembling", "#6610f2", 480, ""),
    ("shipped", N_("Shipped"), "delivery", "#0dcaf0", 7 * 1440, "write_off"),
    ("delivered", N_("Delivered"), "complete", "#198754", None, ""),
    ("cancelled", N_("Cancelled"), "cancelled", "#dc3545", None, "release"),
    ("returned", N_("Returned"), "cancelled", "#6c757d", None, ""),
]
CHANNELS = [
    ("web", N_("Website")),
    ("phone", N_("Phone")),
    ("email", N_("Email")),
    ("web-form", N_("Web form")),
    ("marketplace", N_("Marketplace")),
    ("api", N_("API")),
    ("manual", N_("Manual")),
]
ORDER_TYPES = [("retail", N_("Retail")), ("wholesale", N_("Wholesale"))]
DELIVERY_TYPES = [
    ("courier", N_("Courier"), Decimal("300.00")),
    ("pickup", N_("Pickup"), Decimal("0.00")),
    ("post", N_("Post"), Decimal("250.00")),
    ("parcel-locker", N_("Parcel locker"), Decimal("150.00")),
]
PAYMENT_TYPES = [
    ("cash", N_("Cash")),
    ("card", N_("Card online")),
    ("card-on-delivery", N_("Card on delivery")),
    ("bank-transfer", N_("Bank transfer")),
    ("cod", N_("Cash on delivery")),
]
CANCEL_REASONS = [
    ("changed-mind", N_("Changed their mind")),
    ("no-answer", N_("Could not reach the customer")),
    ("out-of-stock", N_("Out of stock")),
    ("too-expensive", N_("Found it cheaper")),
    ("duplicate", N_("Duplicate order")),
    ("delivery-terms", N_("Delivery terms did not suit")),
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
