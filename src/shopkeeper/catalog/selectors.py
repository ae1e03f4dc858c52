"""Catalog reads: the product list (filtered by filters.ProductFilterForm), the product card, offers."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from .models import FeedSource, Offer, Price, PriceType, Product, ProductGroup


def _offers_prefetch() -> Prefetch:
    return Prefetch(
        "offers",
        queryset=Offer.objects.order_by("sku").prefetch_related(
            Prefetch("prices", queryset=Price.objects.select_related("price_type"))
        ),
    )


def products_list() -> QuerySet[Product]:
    """Products with group, offers and prices: a constant number of queries for any page."""
    return Product.objects.select_related("group").prefetch_related(_offers_prefetch())


def product_get(*, product_id: int) -> Product:
    return products_list().get(pk=product_id)


def offers_list(*, sku: str | None = None, barcode: str | None = None, product_id: int | None = None):
    qs = Offer.objects.select_related("product").prefetch_related(
        Prefetch("prices", queryset=Price.objects.select_related("price_type"))
    )
    if sku:
        qs = qs.filter(sku=sku)
    if barcode:
        qs = qs.filter(barcode=barcode)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    return qs


def price_types() -> QuerySet[PriceType]:
    return PriceType.objects.order_by("position", "code")


def price_type_names() -> dict[str, str]:
    """Price type code -> its name in the reader's language (the default names are message ids)."""
    from django.utils.translation import gettext

    from shopkeeper.core.scope import reference

    names = reference("price_type_names", lambda: dict(PriceType.objects.values_list("code", "name")))
    return {code: gettext(name) for code, name in names.items()}


def groups_tree() -> list[tuple[ProductGroup, int]]:
    """All groups in tree order with their depth (for select boxes and the sidebar of the list)."""
    groups = list(ProductGroup.objects.order_by("position", "name"))
    children: dict[int | None, list[ProductGroup]] = {}
    for g in groups:
        children.setdefault(g.parent_id, []).append(g)
    out: list[tuple[ProductGroup, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for g in children.get(parent_id, []):
            out.append((g, depth))
            walk(g.pk, depth + 1)

    walk(None, 0)
    return out


def feeds_list() -> QuerySet[FeedSource]:
    return FeedSource.objects.select_related("last_job").order_by("name", "id")


def price_types_with_counts() -> QuerySet[PriceType]:
    """Price types with how many prices each has (`price_count`), for the settings list: one query."""
    return PriceType.objects.annotate(price_count=Count("prices")).order_by("position", "code")
