"""Stock reads: levels, the ledger, what an order holds, low stock."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from shopkeeper.catalog.models import Offer

from .models import Movement, Reservation, StockLevel, StoreWarehouse, Warehouse

ZERO = Decimal("0")
QTY_FIELD = DecimalField(max_digits=14, decimal_places=3)


@dataclass
class LineStock:
    """What one order line holds: reserved now and shipped, in total and per warehouse code."""

    reserved: Decimal = ZERO
    shipped: Decimal = ZERO
    by_warehouse: dict[str, Decimal] = field(default_factory=dict)


def order_reservations(*, order_id: int) -> dict[int, LineStock]:
    """Per line of the order: reserved and shipped quantities (for the order card). One query."""
    lines: dict[int, LineStock] = defaultdict(LineStock)
    rows = Reservation.objects.filter(order_id=order_id).select_related("warehouse").order_by("pk")
    for r in rows:
        line = lines[r.line_id]
        line.reserved += r.quantity
        line.shipped += r.shipped
        if r.quantity:
            line.by_warehouse[r.warehouse.name] = line.by_warehouse.get(r.warehouse.name, ZERO) + r.quantity
    return dict(lines)


def stock_levels(
    *, sku: str | None = None, warehouse: str | None = None, offer_ids=None
) -> QuerySet[StockLevel]:
    qs = StockLevel.objects.select_related("offer", "warehouse").annotate(
        available_qty=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=QTY_FIELD)
    )
    if sku:
        qs = qs.filter(offer__sku=sku)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if offer_ids is not None:
        qs = qs.filter(offer_id__in=offer_ids)
    return qs


def movements(*, offer_ids=None, warehouse: Warehouse | None = None, order_id: int | None = None):
    qs = Movement.objects.select_related("offer", "warehouse").order_by("-id")
    if offer_ids is not None:
        qs = qs.filter(offer_id__in=offer_ids)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    return qs


def offers_with_available() -> QuerySet[Offer]:
    """Offers annotated with `available` = free stock over all active warehouses."""
    free = (
        StockLevel.objects.filter(offer=OuterRef("pk"), warehouse__is_active=True)
        .values("offer")
        .annotate(total=Sum(F("on_hand") - F("reserved")))
        .values("total")
    )
    return Offer.objects.annotate(available=Coalesce(Subquery(free, output_field=QTY_FIELD), Value(ZERO)))


def low_stock() -> QuerySet[Offer]:
    """Active stocked offers whose free stock is below their minimum."""
    return (
        offers_with_available()
        .filter(is_active=True, product__is_service=False, min_stock__gt=0, available__lt=F("min_stock"))
        .select_related("product")
        .order_by("sku")
    )


def warehouses_list(*, active: bool | None = None) -> QuerySet[Warehouse]:
    qs = Warehouse.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("priority", "code")


def stores_shipping():
    """Every store with its warehouse links in priority order (`store.links`): two queries in all."""
    from django.db.models import Prefetch

    from shopkeeper.stores.models import Store

    links = StoreWarehouse.objects.select_related("warehouse").order_by(
        "priority", "warehouse__priority", "warehouse__code"
    )
    return Store.objects.prefetch_related(
        Prefetch("warehouse_links", queryset=links, to_attr="links")
    ).order_by("name", "id")
