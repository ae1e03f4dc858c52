from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from shopkeeper.core.auth import ApiKeyAuth, allowed_store_ids

from .selectors import stores_visible

router = Router(tags=["reference"])


class StoreOut(Schema):
    id: int
    code: str
    name: str
    currency: str
    timezone: str
    is_active: bool
    name_order: str
    legal_name: str
    address: str
    tax_id: str
    bank_details: str
    phone: str
    email: str


class StoreList(Schema):
    items: list[StoreOut]
    next_cursor: str | None = None


@router.get("/stores", response=StoreList, auth=ApiKeyAuth(), summary="Stores (sites)")
def list_stores(request: HttpRequest) -> dict:
    """Every store the key may see. A short reference list, returned whole."""
    return {
        "items": list(stores_visible(store_ids=allowed_store_ids(request))),
        "next_cursor": None,
    }
