"""WooCommerce order webhooks (topics order.created / order.updated, REST API v3 order JSON).

Signed with `X-WC-Webhook-Signature`: base64 HMAC-SHA256 of the raw body with the webhook's secret.
A webhook being saved sends a ping (`webhook_id=<n>` form body); it is answered 200 and not processed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from . import Normalised, Rejected, text, verify_b64, want_dict, want_list

NAME = "woocommerce"
AUTH = "signature"
SIGNATURE_HEADER = "X-WC-Webhook-Signature"
DEFAULT_MAPPINGS = {
    "status": {
        "pending": "awaiting-payment",
        "on-hold": "new",
        "processing": "confirmed",
        "completed": "delivered",
        "cancelled": "cancelled",
        "refunded": "returned",
        "failed": "cancelled",
        "checkout-draft": "new",
    },
    "delivery": {"flat_rate": "courier", "free_shipping": "courier", "local_pickup": "pickup"},
    "payment": {"cod": "cod", "bacs": "bank-transfer", "cheque": "bank-transfer", "stripe": "card"},
}


def topic(headers: dict[str, str]) -> str:
    return headers.get("X-WC-Webhook-Topic", "")[:60]


def delivery_id(headers: dict[str, str]) -> str:
    return headers.get("X-WC-Webhook-Delivery-ID", "")[:255]


def verify(body: bytes, headers: dict[str, str], secret: str) -> bool:
    return verify_b64(secret, body, headers.get(SIGNATURE_HEADER, ""))


def _money(value: Any, loc: list) -> str | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Rejected(
            422,
            "validation-error",
            "Not an amount.",
            [{"loc": loc, "msg": "Not an amount.", "type": "decimal"}],
        ) from None
    if not amount.is_finite():
        raise Rejected(422, "validation-error", "Not an amount.", [{"loc": loc, "msg": "Not an amount."}])
    return str(amount.quantize(Decimal("0.01")))


def _address(a: dict) -> dict:
    street = " ".join(p for p in (text(a.get("address_1")), text(a.get("address_2"))) if p)
    return {
        "country": text(a.get("country"), 60),
        "region": text(a.get("state"), 100),
        "city": text(a.get("city"), 100),
        "street": street[:200],
        "postcode": text(a.get("postcode"), 20),
        "text": ", ".join(p for p in (street, text(a.get("city")), text(a.get("postcode"))) if p)[:500],
    }


def normalise(data: Any, *, topic: str, store_code: str) -> Normalised:
    if not isinstance(data, dict):
        raise Rejected(422, "validation-error", "A WooCommerce order must be a JSON object.")
    if data.get("id") in (None, ""):
        raise Rejected(
            422,
            "validation-error",
            "A WooCommerce order has an id.",
            [{"loc": ["id"], "msg": "Field required", "type": "missing"}],
        )
    billing = want_dict(data.get("billing"), ["billing"])
    shipping = want_dict(data.get("shipping"), ["shipping"])
    lines = []
    for i, item in enumerate(want_list(data.get("line_items"), ["line_items"])):
        item = want_dict(item, ["line_items", i])
        lines.append(
            {
                "sku": text(item.get("sku"), 100),
                "name": text(item.get("name"), 300),
                "quantity": item.get("quantity"),
                "price": _money(item.get("price"), ["line_items", i, "price"]),
            }
        )
    shipping_lines = [
        want_dict(s, ["shipping_lines", i])
        for i, s in enumerate(want_list(data.get("shipping_lines"), ["shipping_lines"]))
    ]
    delivery: dict[str, Any] = {"address": _address(shipping if any(shipping.values()) else billing)}
    if shipping_lines:
        first = shipping_lines[0]
        delivery["type"] = text(first.get("method_id"), 50)
        delivery["service"] = text(first.get("method_title"), 100)
        delivery["cost"] = _money(first.get("total"), ["shipping_lines", 0, "total"])
    payments = []
    total = _money(data.get("total"), ["total"])
    if total and Decimal(total) > 0 and data.get("payment_method"):
        paid = bool(data.get("date_paid") or data.get("date_paid_gmt"))
        payments.append(
            {
                "type": text(data.get("payment_method"), 100),
                "amount": total,
                "status": "paid" if paid else "not_paid",
                "external_id": text(data.get("transaction_id"), 100),
            }
        )
    created = text(data.get("date_created_gmt"), 40)
    payload = {
        "store": store_code,
        "external_id": text(data.get("id"), 100),
        "channel": "web",
        "status": text(data.get("status"), 50),
        "created_at": f"{created}Z"
        if created and not created.endswith("Z") and "+" not in created
        else created or None,
        "customer": {
            "external_id": text(data.get("customer_id"), 100) if data.get("customer_id") else "",
            "first_name": text(billing.get("first_name"), 100),
            "last_name": text(billing.get("last_name"), 100),
            "phone": text(billing.get("phone"), 40),
            "email": text(billing.get("email"), 254),
        },
        "lines": lines,
        "delivery": delivery,
        "payments": payments,
        "comment": text(data.get("customer_note"), 4000),
        "custom_fields": {"woocommerce_number": text(data.get("number"), 50)},
    }
    return Normalised(payload=payload, mode="upsert" if topic == "order.updated" else "create")
