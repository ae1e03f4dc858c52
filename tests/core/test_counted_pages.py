"""Numbered pages that count only as far as they need (`CountedPages`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopkeeper.core.pagination import CountedPages
from shopkeeper.stores.models import Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(db):
    Store.objects.bulk_create(Store(code=f"s{i:02d}", name=f"Store {i}", currency="USD") for i in range(23))
    return Store.objects.order_by("code")


def test_counts_a_few_rows_past_the_page(stores):
    with CaptureQueriesContext(connection) as ctx:
        page = CountedPages(stores, 5, ahead=6).get_page("1")
        rows = [s.code for s in page]
    assert rows == [f"s{i:02d}" for i in range(5)]
    assert page.paginator.capped and page.paginator.num_pages == 3 and page.has_next()
    count_sql = next(q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper())
    assert "LIMIT 12" in count_sql and "ORDER BY" not in count_sql.upper()


def test_every_page_leads_on_until_the_last(stores):
    seen, number = [], 1
    while True:
        page = CountedPages(stores, 5, ahead=6).get_page(number)
        seen += [s.code for s in page]
        if not page.has_next():
            break
        number = page.next_page_number()
    assert seen == [s.code for s in stores] and number == 5
    assert not page.paginator.capped and page.paginator.num_pages == 5


@pytest.mark.parametrize("number", ["x", None, "0", "-3", str(10**30)])
def test_odd_page_numbers_give_a_page(stores, number):
    page = CountedPages(stores, 5, ahead=6).get_page(number)
    assert len(page) in (3, 5)
