"""`Idempotency-Key` for API writes that create things.

Same key + same body -> the first response again (`Idempotent-Replayed: true`);
same key + another body -> 409. The record is inserted before the write, in the write's transaction,
so parallel requests with one key are serialised by the unique constraint: exactly one runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from pydantic import BaseModel

from .models import IdempotencyRecord
from .problems import problem

HEADER = "Idempotency-Key"


def _scope(request: HttpRequest) -> str:
    api_key = getattr(request, "auth", None)
    if api_key is not None and hasattr(api_key, "key_hash"):
        return f"key:{api_key.pk}"
    return f"user:{request.user.pk}"


def _render(status: int, result: Any, schema: type[BaseModel] | None) -> JsonResponse:
    data = schema.model_validate(result, from_attributes=True).model_dump(mode="json") if schema else result
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _replay(record: IdempotencyRecord, request_hash: str) -> HttpResponse:
    if record.request_hash != request_hash:
        return problem(
            409,
            slug="idempotency-key-reused",
            detail="This Idempotency-Key was already used with a different request body.",
        )
    if not record.status_code:
        return problem(409, slug="idempotency-in-progress", detail="A request with this key is in progress.")
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(
    request: HttpRequest,
    create: Callable[[], tuple[int, Any]],
    *,
    schema: type[BaseModel] | None = None,
) -> HttpResponse:
    """Run `create` (returning `(status, result)`) at most once per Idempotency-Key."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        with transaction.atomic():
            return _render(*create(), schema)
    if len(key) > 255:
        return problem(422, slug="invalid-idempotency-key", detail="Idempotency-Key is longer than 255.")
    scope = _scope(request)
    request_hash = hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + request.body
    ).hexdigest()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=request_hash)
            response = _render(*create(), schema)
            if response.status_code < 500:
                record.status_code = response.status_code
                record.body = response.content
                record.content_type = response["Content-Type"]
                record.save(update_fields=["status_code", "body", "content_type"])
            return response
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if existing is None:
            raise
        return _replay(existing, request_hash)
