"""SKU prefix search: PostgreSQL has an index that serves it; the search still finds the same products."""

from __future__ import annotations

import pytest
from django.db import connection

from shopkeeper.catalog.filters import ProductFilterForm
from shopkeeper.catalog.models import Offer
from shopkeeper.catalog.selectors import products_list
from tests.catalog.factories import make_product

pytestmark = pytest.mark.django_db


def test_prefix_search_is_case_insensitive_and_matches_barcode_or_name():
    mug = make_product("Mug", offers=2)
    make_product("Bowl", offers=1)
    sku = mug.offers.order_by("sku").first().sku
    for q, expected in [(sku.lower()[:6], {"Mug"}), (sku, {"Mug"}), ("bowl", {"Bowl"}), ("zzz", set())]:
        form = ProductFilterForm({"q": q})
        assert form.is_valid()
        names = {p.name for p in form.filter(products_list())}
        assert expected <= names if len(q) == 6 else names == expected


def test_postgresql_plans_the_prefix_lookup_on_the_pattern_index():
    if connection.vendor != "postgresql":
        pytest.skip("the index exists on PostgreSQL only")
    make_product("Mug", offers=3)
    sql, params = Offer.objects.filter(sku__istartswith="sku-").values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: make the planner show its index
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_offer_sku_upper_prefix" in plan
