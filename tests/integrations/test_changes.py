from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from shopkeeper.core.changes import Actor, record_change

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def write(entity: str, entity_id: int) -> int:
    with transaction.atomic():
        return record_change(
            entity=entity, entity_id=entity_id, action="updated", actor=SYSTEM, changes={"x": [1, 2]}
        ).pk


def test_feed_pages_by_id_and_filters(api, make_key, django_assert_max_num_queries):
    api.key = make_key("changes:read")
    ids = [write("order", i) for i in range(5)] + [write("product", 9)]
    with django_assert_max_num_queries(5):
        page = api.get("/changes", after=0, limit=2, entity="order").json()
    assert [c["id"] for c in page["items"]] == ids[:2]
    assert page["next_cursor"] == str(ids[1])
    rest = api.get("/changes", after=page["next_cursor"], limit=500, entity="order,customer").json()
    assert [c["id"] for c in rest["items"]] == ids[2:5]
    item = rest["items"][0]
    assert item["actor"]["type"] == "system" and item["changes"] == {"x": [1, 2]}
    assert api.get("/changes", after=ids[-1]).json() == {"items": [], "next_cursor": None}
    assert api.get("/changes", cursor="abc").status_code == 422
    assert api.get("/changes", limit=501).status_code == 422
    assert api.get("/changes", after=-1).status_code == 422


def test_feed_needs_scope_and_unrestricted_key(api, make_key):
    from shopkeeper.stores.models import Store

    api.key = make_key("orders:read")
    assert api.get("/changes").status_code == 403
    api.key = make_key("changes:read", stores=[Store.objects.create(code="s", name="S")])
    assert api.get("/changes").status_code == 403


def test_merged_customers_point_to_survivor(api, make_key):
    from shopkeeper.customers.models import Customer
    from shopkeeper.stores.models import Store

    store = Store.objects.create(code="main", name="Main")
    now = timezone.now()
    survivor = Customer.objects.create(store=store, first_name="A", created_at=now, updated_at=now)
    merged = Customer.objects.create(
        store=store, first_name="B", merged_into=survivor, created_at=now, updated_at=now
    )
    write("customer", merged.pk)
    write("customer", survivor.pk)
    api.key = make_key("changes:read")
    items = api.get("/changes", entity="customer").json()["items"]
    assert [(i["entity_id"], i["merged_into"]) for i in items] == [
        (merged.pk, survivor.pk),
        (survivor.pk, None),
    ]
