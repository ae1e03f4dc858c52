from __future__ import annotations

import pytest
from django.urls import reverse

from shopkeeper.intake.models import CodeMapping, EntryStatus, InboundRequest, SourceCredential
from shopkeeper.orders.models import Order

from .conftest import dumps, native

pytestmark = pytest.mark.django_db


def test_inbox_lists_failed_and_flagged(admin_client, writer, django_assert_max_num_queries):
    for i in range(3):
        writer.post("/orders", raw=b"garbage")
        writer.post("/intake/form", {"store": "main", "name": f"N{i}", "phone": "+1 212 555 0101"})
    writer.post("/orders", native())
    with django_assert_max_num_queries(12):
        r = admin_client.get(reverse("intake:inbox"))
    assert r.status_code == 200
    assert r.content.count(b"badge text-bg-danger") == 3
    assert r.content.count(b"badge text-bg-warning") >= 3
    r = admin_client.get(reverse("intake:inbox"), {"status": "failed", "source": "native"})
    assert r.content.count(b"badge text-bg-danger") == 3


def test_detail_and_replay_with_edited_payload(admin_client, writer):
    writer.post("/orders", native(store="nope"))
    entry = InboundRequest.objects.get()
    r = admin_client.get(reverse("intake:detail", args=[entry.pk]))
    assert r.status_code == 200 and b"nope" in r.content
    r = admin_client.post(reverse("intake:replay", args=[entry.pk]), {"body": "{not json"})
    assert r.status_code == 422
    r = admin_client.post(reverse("intake:replay", args=[entry.pk]), {"body": dumps(native()).decode()})
    assert r.status_code == 302
    entry.refresh_from_db()
    assert entry.status != EntryStatus.FAILED and entry.order_id == Order.objects.get().pk


def test_mappings_page(admin_client, writer, store):
    writer.post("/orders", native(delivery={"type": "dhl"}))
    r = admin_client.get(reverse("intake:mappings"), {"unmapped": "1"})
    assert r.status_code == 200 and b"dhl" in r.content
    data = {
        "store": store.pk,
        "source": "native",
        "kind": "delivery",
        "external_code": "dhl",
        "internal_code": "zzz",
    }
    assert admin_client.post(reverse("intake:mappings"), data).status_code == 200  # not one of our codes
    data["internal_code"] = "courier"
    assert admin_client.post(reverse("intake:mappings"), data).status_code == 302
    assert CodeMapping.objects.get(external_code="dhl").internal_code == "courier"


def test_credentials_page(admin_client, store):
    r = admin_client.post(
        reverse("intake:credentials"), {"store": store.pk, "source": "shopify", "secret": "s3cret"}
    )
    assert r.status_code == 302
    assert SourceCredential.objects.get().secret == "s3cret"
    assert b"s3cret" not in admin_client.get(reverse("intake:credentials")).content


def test_pages_need_permission(client, make_user):
    from shopkeeper.accounts import roles

    client.force_login(make_user("w", roles.WAREHOUSE))
    assert client.get(reverse("intake:inbox")).status_code == 403
    assert client.get(reverse("intake:mappings")).status_code == 403
    client.logout()
    assert client.get(reverse("intake:inbox")).status_code == 302
