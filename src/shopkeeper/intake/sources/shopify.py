"""Shopify order webhooks (topics orders/create and orders/updated).

Signed with `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body with the app's secret.
`X-Shopify-Webhook-Id` is the same on a redelivery: a second entry with it answers with the first one's
result instead of processing again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import Normalised, Rejected, text, verify_b64, want_dict, want_list
from .woocommerce import _money

NAME = "shopify"
AUTH = "signature"
SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
DEFAULT_MAPPINGS = {
    # the status code a Shopify order gets: "cancelled", else its fulfillment status, else financial status
    "status": {
        "pending": "new",
        "authorized": "confirmed",
        "paid": "confirmed",
        "partially_paid": "awaiting-payment",
        "partially_refunded": "confirmed",
        "partial": "assembling",
        "fulfilled": "shipped",
        "refunded": "returned",
        "voided": "cancelled",
        "cancelled": "cancelled",
    },
    "payment": {"shopify_payments": "card", "manual": "bank-transfer", "cash_on_delivery": "cod"},
}


def topic(headers: dict[str, str]) -> str:
    return headers.get("X-Shopify-Topic", "")[:60]


def delivery_id(headers: dict[str, str]) -> str:
    return headers.get("X-Shopify-Webhook-Id", "")[:255]


def verify(body: bytes, headers: dict[str, str], secret: str) -> bool:
    return verify_b64(secret, body, headers.get(SIGNATURE_HEADER, ""))


def status_code(data: dict) -> str:
    if data.get("cancelled_at"):
        return "cancelled"
    return text(data.get("fulfillment_status"), 50) or text(data.get("financial_status"), 50)


def normalise(data: Any, *, topic: str, store_code: str) -> Normalised:
    if not isinstance(data, dict):
        raise Rejected(422, "validation-error", "A Shopify order must be a JSON object.")
    if data.get("id") in (None, ""):
        raise Rejected(
            422,
            "validation-error",
            "A Shopify order has an id.",
            [{"loc": ["id"], "msg": "Field required", "type": "missing"}],
        )
    customer = want_dict(data.get("customer"), ["customer"])
    address = want_dict(data.get("shipping_address"), ["shipping_address"]) or want_dict(
        data.get("billing_address"), ["billing_address"]
    )
    lines = []
    for i, item in enumerate(want_list(data.get("line_items"), ["line_items"])):
        item = want_dict(item, ["line_items", i])
        lines.append(
            {
                "sku": text(item.get("sku"), 100),
                "name": text(item.get("title") or item.get("name"), 300),
                "quantity": item.get("quantity"),
                "price": _money(item.get("price"), ["line_items", i, "price"]),
            }
        )
    street = " ".join(p for p in (text(address.get("address1")), text(address.get("address2"))) if p)
    delivery: dict[str, Any] = {
        "address": {
            "country": text(address.get("country_code") or address.get("country"), 60),
            "region": text(address.get("province"), 100),
            "city": text(address.get("city"), 100),
            "street": street[:200],
            "postcode": text(address.get("zip"), 20),
            "text": ", ".join(p for p in (street, text(address.get("city")), text(address.get("zip"))) if p)[
                :500
            ],
        }
    }
    shipping_lines = want_list(data.get("shipping_lines"), ["shipping_lines"])
    if shipping_lines:
        first = want_dict(shipping_lines[0], ["shipping_lines", 0])
        delivery["type"] = text(first.get("code"), 50)
        delivery["service"] = text(first.get("title"), 100)
        delivery["cost"] = _money(first.get("price"), ["shipping_lines", 0, "price"])
    gateways = want_list(data.get("payment_gateway_names"), ["payment_gateway_names"])
    total = _money(data.get("total_price"), ["total_price"])
    payments = []
    if total and Decimal(total) > 0 and gateways:
        payments.append(
            {
                "type": text(gateways[0], 100),
                "amount": total,
                "status": "paid" if data.get("financial_status") == "paid" else "not_paid",
            }
        )
    payload = {
        "store": store_code,
        "external_id": text(data.get("id"), 100),
        "channel": "web",
        "status": status_code(data),
        "created_at": text(data.get("created_at"), 40) or None,
        "customer": {
            "external_id": text(customer.get("id"), 100) if customer.get("id") else "",
            "first_name": text(customer.get("first_name") or address.get("first_name"), 100),
            "last_name": text(customer.get("last_name") or address.get("last_name"), 100),
            "phone": text(customer.get("phone") or data.get("phone") or address.get("phone"), 40),
            "email": text(customer.get("email") or data.get("email"), 254),
        },
        "lines": lines,
        "delivery": delivery,
        "payments": payments,
        "comment": text(data.get("note"), 4000),
        "custom_fields": {"shopify_name": text(data.get("name"), 50)},
    }
    return Normalised(payload=payload, mode="upsert" if topic == "orders/updated" else "create")
