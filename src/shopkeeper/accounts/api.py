from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from shopkeeper.core.auth import ApiKeyAuth

router = Router(tags=["platform"])


class KeyInfo(Schema):
    name: str
    prefix: str
    scopes: list[str]
    stores: list[str]
    created_at: datetime
    last_used_at: datetime | None


@router.get("/me", response=KeyInfo, auth=ApiKeyAuth(), summary="The calling API key")
def me(request: HttpRequest) -> dict:
    """What the calling key is: its name, scopes and the stores it is limited to (empty: all)."""
    key = request.api_key
    return {
        "name": key.name,
        "prefix": key.prefix,
        "scopes": key.scopes,
        "stores": list(key.stores.values_list("code", flat=True)),
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
    }
