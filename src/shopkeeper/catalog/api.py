"""Catalog API: products, offers, price types. Thin: parse, call a selector or service, answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from shopkeeper.core.auth import ApiKeyAuth
from shopkeeper.core.changes import Actor
from shopkeeper.core.idempotency import idempotent
from shopkeeper.core.pagination import Page, paginate
from shopkeeper.core.problems import problem

from . import selectors, services
from .filters import ProductFilterForm
from .models import ImportJob, Offer, Product, ProductGroup

router = Router(tags=["catalog"])

READ = ApiKeyAuth("catalog:read")
WRITE = ApiKeyAuth("catalog:write")


def validation_problem(exc: ValidationError) -> HttpResponse:
    """A service's ValidationError as a 422 problem whose `errors` name the payload fields."""
    errors = []
    for field, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        loc: list[Any] = (
            [int(p) if p.isdigit() else p for p in field.split(".")] if field != "__all__" else []
        )
        errors.extend({"loc": loc, "msg": str(m), "type": "value_error"} for m in messages)
    return problem(422, slug="validation-error", detail="The request has invalid fields.", errors=errors)


def form_problem(form) -> HttpResponse:
    errors = [
        {"loc": [] if f == "__all__" else [f], "msg": str(m), "type": "value_error"}
        for f, msgs in form.errors.items()
        for m in msgs
    ]
    return problem(422, slug="validation-error", detail="The request has invalid parameters.", errors=errors)


def actor_for(request: HttpRequest) -> Actor:
    return Actor.for_api_key(request.auth)


# --- schemas -----------------------------------------------------------------------------------


class OfferOut(Schema):
    id: int
    sku: str
    name: str
    barcode: str
    properties: dict[str, Any]
    unit: str
    weight: Decimal | None
    purchase_price: Decimal | None
    min_stock: Decimal
    is_active: bool
    prices: dict[str, Decimal]

    @staticmethod
    def resolve_prices(obj: Offer) -> dict[str, Decimal]:
        return {p.price_type.code: p.amount for p in obj.prices.all()}


class OfferWithProductOut(OfferOut):
    product_id: int
    product_name: str = Field(..., alias="product.name")


class ProductOut(Schema):
    id: int
    name: str
    description: str
    group: str | None
    properties: dict[str, Any]
    images: list[str]
    is_active: bool
    is_service: bool
    offers: list[OfferOut]

    @staticmethod
    def resolve_group(obj: Product) -> str | None:
        return obj.group.code if obj.group_id else None

    @staticmethod
    def resolve_offers(obj: Product) -> list[Offer]:
        return list(obj.offers.all())


class OfferIn(Schema):
    sku: str = Field(..., min_length=1, max_length=100)
    name: str = Field("", max_length=300)
    barcode: str = Field("", max_length=64)
    properties: dict[str, Any] = {}
    unit: str = Field("pcs", min_length=1, max_length=16)
    weight: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=3)
    purchase_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    min_stock: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=3)
    is_active: bool = True
    prices: dict[str, Decimal | None] = {}


class ProductIn(Schema):
    name: str = Field(..., min_length=1, max_length=300)
    description: str = ""
    group: str | None = None
    properties: dict[str, Any] = {}
    images: list[str] = []
    is_active: bool = True
    is_service: bool = False
    offers: list[OfferIn] = Field(default_factory=list, max_length=1000)


class ProductPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    group: str | None = None
    properties: dict[str, Any] | None = None
    images: list[str] | None = None
    is_active: bool | None = None
    is_service: bool | None = None


class PriceTypeOut(Schema):
    code: str
    name: str
    is_default: bool
    is_active: bool


class PriceTypeList(Schema):
    items: list[PriceTypeOut]
    next_cursor: str | None = None


class ProductQuery(Schema):
    q: str | None = None
    group: str | None = None
    active: bool | None = None
    in_stock: bool | None = None
    price_type: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    limit: int | None = Field(None, ge=1, le=500)
    cursor: str | None = None
    count: bool = False


def _group(code: str | None) -> ProductGroup | None:
    if not code:
        return None
    group = ProductGroup.objects.filter(code=code).first()
    if group is None:
        raise ValidationError({"group": "Unknown product group code."})
    return group


# --- endpoints ---------------------------------------------------------------------------------


@router.get("/products", response=Page[ProductOut], auth=READ, summary="Products with their offers")
def list_products(request: HttpRequest, filters: Query[ProductQuery]):
    params = filters.dict(exclude_none=True)
    if "active" in params:
        params["active"] = "true" if params["active"] else "false"
    form = ProductFilterForm(params)
    if not form.is_valid():
        return form_problem(form)
    return paginate(
        form.filter(selectors.products_list()),
        cursor=filters.cursor,
        limit=filters.limit,
        descending=False,
        count=filters.count,
    )


@router.post("/products", response={201: ProductOut}, auth=WRITE, summary="Create a product with offers")
def create_product(request: HttpRequest, payload: ProductIn):
    def create():
        data = payload.dict()
        data["group"] = _group(data.pop("group"))
        offers = [
            {k: v for k, v in o.items() if v is not None or k in ("weight", "purchase_price")}
            for o in data.pop("offers")
        ]
        product = services.product_create(actor=actor_for(request), offers=offers, **data)
        return 201, selectors.product_get(product_id=product.pk)

    try:
        return idempotent(request, create, schema=ProductOut)
    except ValidationError as exc:
        return validation_problem(exc)


@router.get("/products/{product_id}", response=ProductOut, auth=READ, summary="One product")
def get_product(request: HttpRequest, product_id: int):
    return get_object_or_404(selectors.products_list(), pk=product_id)


@router.patch("/products/{product_id}", response=ProductOut, auth=WRITE, summary="Change a product")
def patch_product(request: HttpRequest, product_id: int, payload: ProductPatch):
    product = get_object_or_404(Product, pk=product_id)
    values = payload.dict(exclude_unset=True)
    try:
        if "group" in values:
            values["group"] = _group(values["group"])
        for key in ("name", "description", "properties", "images", "is_active", "is_service"):
            if key in values and values[key] is None:
                raise ValidationError({key: "This field may not be null."})
        services.product_update(product=product, actor=actor_for(request), **values)
    except ValidationError as exc:
        return validation_problem(exc)
    return selectors.product_get(product_id=product.pk)


@router.get("/offers", response=Page[OfferWithProductOut], auth=READ, summary="Offers, by SKU or barcode")
def list_offers(
    request: HttpRequest,
    sku: str | None = None,
    barcode: str | None = None,
    limit: int | None = Query(None, ge=1, le=500),
    cursor: str | None = None,
):
    return paginate(
        selectors.offers_list(sku=sku, barcode=barcode), cursor=cursor, limit=limit, descending=False
    )


@router.get("/price-types", response=PriceTypeList, auth=READ, summary="Price types")
def list_price_types(request: HttpRequest):
    return {"items": list(selectors.price_types()), "next_cursor": None}


class ImportIn(Schema):
    format: Literal["yml", "csv", "xlsx"] = "yml"
    url: str = Field(..., min_length=1, max_length=1000)
    mapping: dict[str, str] = {}


class ImportOut(Schema):
    id: int
    format: str
    url: str = Field(..., alias="source_url")
    status: str
    total: int
    processed: int
    created: int
    updated: int
    skipped: int
    errors: list[dict[str, Any]]
    message: str


@router.post(
    "/catalog/imports", response={202: ImportOut}, auth=WRITE, summary="Start a catalog import from a URL"
)
def create_import(request: HttpRequest, payload: ImportIn):
    def create():
        job = services.import_job_create(
            format=payload.format, source_url=payload.url, mapping=payload.mapping, actor=actor_for(request)
        )
        return 202, job

    try:
        return idempotent(request, create, schema=ImportOut)
    except ValidationError as exc:
        return validation_problem(exc)


@router.get("/catalog/imports/{job_id}", response=ImportOut, auth=READ, summary="A catalog import's progress")
def get_import(request: HttpRequest, job_id: int):
    return get_object_or_404(ImportJob, pk=job_id)
