"""Keyset (cursor) pagination for API lists: stable under inserts, O(1) per page at any depth."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema
from ninja.errors import HttpError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    count: int | None = None


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(422, "The cursor is not one this API issued; start again without it.") from exc


def paginate(
    qs: QuerySet,
    *,
    cursor: str | None,
    limit: int | None,
    descending: bool = True,
    count: bool = False,
    order_prefix: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One page of `qs` ordered by id; the cursor carries the last id seen. `order_prefix` goes before
    the id in ORDER BY: columns the filter pins to one value, to steer the planner to an index."""
    limit = min(max(limit or DEFAULT_LIMIT, 1), MAX_LIMIT)
    total = qs.count() if count else None
    if cursor:
        last = decode_cursor(cursor)
        if not isinstance(last, int):
            raise HttpError(422, "The cursor is not one this API issued; start again without it.")
        qs = qs.filter(id__lt=last) if descending else qs.filter(id__gt=last)
    rows = list(qs.order_by(*order_prefix, "-id" if descending else "id")[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": rows[:limit], "next_cursor": next_cursor, "count": total}
