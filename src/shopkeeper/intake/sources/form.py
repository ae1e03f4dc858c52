"""A site's contact / one-click / call-back form: an order without lines, channel "web-form", flagged
for a call back. Payload: {"store", "name", "phone", "email", "message", "page", "utm": {...}}."""

from __future__ import annotations

from typing import Any

from . import Normalised, Rejected, text, want_dict

NAME = "form"
AUTH = "api_key"
DEFAULT_MAPPINGS: dict[str, dict[str, str]] = {}
FIELDS = {"store", "name", "phone", "email", "message", "page", "utm", "form", "external_id"}


def topic(headers: dict[str, str]) -> str:
    return "form.submitted"


def delivery_id(headers: dict[str, str]) -> str:
    return headers.get("Idempotency-Key", "")[:255]


def verify(body: bytes, headers: dict[str, str], secret: str) -> bool:
    return True


def normalise(data: Any, *, topic: str, store_code: str) -> Normalised:
    if not isinstance(data, dict):
        raise Rejected(422, "validation-error", "The form must be a JSON object.")
    errors = []
    for key in ("name", "phone", "email", "message", "page", "store", "form", "external_id"):
        if data.get(key) is not None and not isinstance(data[key], str):
            errors.append({"loc": [key], "msg": "Expected a string.", "type": "string_type"})
    utm = want_dict(data.get("utm"), ["utm"])
    if any(not isinstance(v, str) for v in utm.values()):
        errors.append({"loc": ["utm"], "msg": "UTM values must be strings.", "type": "string_type"})
    if errors:
        raise Rejected(422, "validation-error", "The form has invalid fields.", errors)
    name, phone, email = (
        text(data.get("name"), 100),
        text(data.get("phone"), 40),
        text(data.get("email"), 254),
    )
    if not (name or phone or email):
        raise Rejected(
            422,
            "validation-error",
            "A form needs at least a name, a phone or an email.",
            [{"loc": ["phone"], "msg": "Give a name, a phone or an email.", "type": "missing"}],
        )
    message, page = text(data.get("message"), 3000), text(data.get("page"), 500)
    comment = "\n".join(part for part in (message, page) if part)
    return Normalised(
        payload={
            "store": text(data.get("store"), 50),
            "external_id": text(data.get("external_id"), 100),
            "channel": "web-form",
            "customer": {"first_name": name, "phone": phone, "email": email},
            "lines": [],
            "comment": comment,
            "utm": {str(k)[:50]: v[:200] for k, v in utm.items()},
            "custom_fields": {"form": text(data.get("form"), 100) or "contact", "page": page},
        },
        flags=[{"code": "call_back", "detail": "Web form: call the customer back."}],
    )
