"""Intake sources. Each is a module of the same shape:

    NAME                      the path segment of POST /api/v1/intake/{source}
    AUTH                      "api_key" (Bearer key with orders:write) or "signature" (?store=<code>)
    DEFAULT_MAPPINGS          {kind: {external code: our code}} used when the store's table has no row
    topic(headers) / delivery_id(headers)
    verify(body, headers, secret) -> bool                    (signature sources)
    normalise(data, *, topic, store_code) -> Normalised      raises Rejected for what cannot be understood

normalise() turns the source's JSON into the native order payload of docs/api.md; everything after that
(mapping tables, validation, the orders service) is shared. Adding a source means copying one module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any


class Rejected(Exception):
    """A request that cannot be understood: answered with problem details, kept in the journal."""

    def __init__(self, status: int, slug: str, detail: str, errors: list[dict] | None = None) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail, self.errors = status, slug, detail, errors


@dataclass
class Normalised:
    payload: dict[str, Any]
    mode: str = "create"  # "create": an existing (store, external_id) is answered as is; "upsert": updated
    flags: list[dict[str, Any]] = field(default_factory=list)  # intake-level reasons to flag the entry


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_b64(secret: str, body: bytes, signature: str) -> bool:
    return bool(secret and signature) and hmac.compare_digest(b64_hmac(secret, body), signature.strip())


def want_dict(value: Any, loc: list) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Rejected(422, "validation-error", "Expected an object.", [_err(loc, "Expected an object.")])
    return value


def want_list(value: Any, loc: list) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Rejected(422, "validation-error", "Expected a list.", [_err(loc, "Expected a list.")])
    return value


def text(value: Any, limit: int = 300) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()[:limit]


def _err(loc: list, msg: str) -> dict:
    return {"loc": loc, "msg": msg, "type": "invalid"}


def get(name: str) -> ModuleType | None:
    from . import form, native, shopify, woocommerce

    return {m.NAME: m for m in (native, woocommerce, shopify, form)}.get(name)
