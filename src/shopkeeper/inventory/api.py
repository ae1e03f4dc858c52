"""Inventory API: warehouses, stock levels, stock adjustment."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from shopkeeper.catalog.api import READ, actor_for, validation_problem
from shopkeeper.catalog.models import Offer
from shopkeeper.core.auth import ApiKeyAuth
from shopkeeper.core.idempotency import idempotent
from shopkeeper.core.pagination import Page, paginate

from . import selectors, services
from .models import Warehouse

router = Router(tags=["inventory"])

WRITE = ApiKeyAuth("inventory:write")


def qty(value: Decimal) -> str:
    """Quantities as decimal strings without trailing zeros: "10", "2.5"."""
    return format(value.normalize(), "f") if value else "0"


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    address: str
    is_active: bool
    priority: int


class WarehouseIn(Schema):
    code: str = Field(..., min_length=1, max_length=50)
    name: str = Field(..., min_length=1, max_length=200)
    address: str = ""
    is_active: bool = True
    priority: int = Field(100, ge=-1_000_000, le=1_000_000)


class StockOut(Schema):
    sku: str = Field(..., alias="offer.sku")
    warehouse: str = Field(..., alias="warehouse.code")
    on_hand: str
    reserved: str
    available: str

    @staticmethod
    def resolve_on_hand(obj) -> str:
        return qty(obj.on_hand)

    @staticmethod
    def resolve_reserved(obj) -> str:
        return qty(obj.reserved)

    @staticmethod
    def resolve_available(obj) -> str:
        return qty(obj.on_hand - obj.reserved)


class AdjustIn(Schema):
    sku: str = Field(..., min_length=1, max_length=100)
    warehouse: str = Field(..., min_length=1, max_length=50)
    delta: Decimal = Field(..., max_digits=14, decimal_places=3)
    reason: str = Field("", max_length=300)
    kind: Literal["adjustment", "receipt", "write_off"] = "adjustment"


class MovementOut(Schema):
    id: int
    kind: str
    sku: str = Field(..., alias="offer.sku")
    warehouse: str = Field(..., alias="warehouse.code")
    on_hand_delta: str
    reason: str

    @staticmethod
    def resolve_on_hand_delta(obj) -> str:
        return qty(obj.on_hand_delta)


@router.get("/warehouses", response=Page[WarehouseOut], auth=READ, summary="Warehouses")
def list_warehouses(
    request: HttpRequest, limit: int | None = Query(None, ge=1, le=500), cursor: str | None = None
):
    return paginate(selectors.warehouses_list(), cursor=cursor, limit=limit, descending=False)


@router.post("/warehouses", response={201: WarehouseOut}, auth=WRITE, summary="Create a warehouse")
def create_warehouse(request: HttpRequest, payload: WarehouseIn):
    try:
        return idempotent(
            request,
            lambda: (201, services.warehouse_create(actor=actor_for(request), **payload.dict())),
            schema=WarehouseOut,
        )
    except ValidationError as exc:
        return validation_problem(exc)


@router.get("/stock", response=Page[StockOut], auth=READ, summary="Stock per offer per warehouse")
def list_stock(
    request: HttpRequest,
    sku: str | None = None,
    warehouse: str | None = None,
    limit: int | None = Query(None, ge=1, le=500),
    cursor: str | None = None,
):
    return paginate(
        selectors.stock_levels(sku=sku, warehouse=warehouse), cursor=cursor, limit=limit, descending=False
    )


@router.post("/stock/adjust", response={201: MovementOut}, auth=WRITE, summary="Adjust or receive stock")
def adjust_stock(request: HttpRequest, payload: AdjustIn):
    errors: dict[str, str] = {}
    offer = Offer.objects.select_related("product").filter(sku=payload.sku).first()
    warehouse = Warehouse.objects.filter(code=payload.warehouse).first()
    if offer is None:
        errors["sku"] = "Unknown SKU."
    if warehouse is None:
        errors["warehouse"] = "Unknown warehouse code."
    if errors:
        return validation_problem(ValidationError(errors))

    def create():
        movement = services.stock_adjust(
            offer=offer,
            warehouse=warehouse,
            delta=payload.delta,
            reason=payload.reason,
            kind=payload.kind,
            actor=actor_for(request),
        )
        return 201, movement

    try:
        return idempotent(request, create, schema=MovementOut)
    except ValidationError as exc:
        return validation_problem(exc)
