"""The native source: the order payload of docs/api.md, as POST /api/v1/orders takes it."""

from __future__ import annotations

from typing import Any

from . import Normalised, Rejected

NAME = "native"
AUTH = "api_key"
DEFAULT_MAPPINGS: dict[str, dict[str, str]] = {}


def topic(headers: dict[str, str]) -> str:
    return "order.create"


def delivery_id(headers: dict[str, str]) -> str:
    return headers.get("Idempotency-Key", "")[:255]


def verify(body: bytes, headers: dict[str, str], secret: str) -> bool:
    return True


def normalise(data: Any, *, topic: str, store_code: str) -> Normalised:
    if not isinstance(data, dict):
        raise Rejected(422, "validation-error", "The order must be a JSON object.")
    return Normalised(payload=data)
