"""Test data for catalog and inventory, made through the services."""

from __future__ import annotations

import itertools
from decimal import Decimal

from shopkeeper.catalog import services as catalog
from shopkeeper.catalog.models import Offer, Product
from shopkeeper.core.changes import Actor

ACTOR = Actor.system("test")
_seq = itertools.count(1)


def make_product(name: str = "T-shirt", *, offers: int = 1, price: str = "990.00", **values) -> Product:
    n = next(_seq)
    return catalog.product_create(
        name=name,
        actor=ACTOR,
        offers=[
            {"sku": f"SKU-{n}-{i}", "name": f"{name} {i}", "prices": {"retail": price}} for i in range(offers)
        ],
        **values,
    )


def make_offer(sku: str | None = None, *, service: bool = False, unit: str = "pcs", **values) -> Offer:
    n = next(_seq)
    product = catalog.product_create(name=f"Product {n}", is_service=service, actor=ACTOR)
    return catalog.offer_create(product=product, sku=sku or f"OFF-{n}", unit=unit, actor=ACTOR, **values)


D = Decimal
