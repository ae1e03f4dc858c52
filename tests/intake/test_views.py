from __future__ import annotations

import html

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


def test_inbox_reads_flags_as_sentences_and_names_the_store(admin_client, writer):
    writer.post("/orders", native(delivery={"type": "dhl"}, lines=[{"sku": "NOPE", "quantity": 1}]))
    page = admin_client.get(reverse("intake:inbox")).content.decode()
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "Delivery type “dhl” is not mapped to one of ours yet." in row
    assert "A SKU is not in the catalog" in row
    assert "The delivery type is not known" not in row  # said once, by the mapping sentence
    assert "Main store" in row
    assert "needs_attention" not in page and "unmapped_code" not in page
    # The store filter finds entries whose store is named in the payload, not only in the address.
    assert "dhl" in admin_client.get(reverse("intake:inbox"), {"store": "main"}).content.decode()
    assert "dhl" not in admin_client.get(reverse("intake:inbox"), {"store": "elsewhere"}).content.decode()


def test_inbox_pages_keep_the_filters(admin_client, writer):
    for i in range(51):
        writer.post("/intake/form", {"store": "main", "name": f"N{i}", "phone": "+1 212 555 0101"})
    page = admin_client.get(reverse("intake:inbox"), {"source": "form", "store": "main", "q": ""})
    assert 'href="?source=form&amp;store=main&amp;page=2"' in page.content.decode()
    assert "1 / 2" in page.content.decode()


def test_detail_shows_the_payload_indented_and_a_replay_of_it_is_no_edit(admin_client, writer):
    writer.post("/orders", native(store="nope"))
    entry = InboundRequest.objects.get()
    page = admin_client.get(reverse("intake:detail", args=[entry.pk])).content.decode()
    assert "\n  &quot;store&quot;: &quot;nope&quot;,\n" in page
    indented = page.split('name="body"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    admin_client.post(reverse("intake:replay", args=[entry.pk]), {"body": html.unescape(indented)})
    entry.refresh_from_db()
    assert entry.original_body is None  # the same JSON, only indented: not recorded as edited
    assert entry.status == EntryStatus.FAILED


def test_an_unmapped_row_prefills_the_mapping_form(admin_client, writer, store):
    writer.post("/orders", native(delivery={"type": "dhl"}))
    page = admin_client.get(reverse("intake:mappings")).content.decode()
    link = f'href="?store={store.pk}&amp;source=native&amp;kind=delivery&amp;external_code=dhl#sk-map-form"'
    assert link in page
    form = admin_client.get(
        reverse("intake:mappings"),
        {"store": store.pk, "source": "native", "kind": "delivery", "external_code": "dhl"},
    ).context["form"]
    assert form["external_code"].value() == "dhl" and str(form["store"].value()) == str(store.pk)
    assert '<option value="courier">' in page  # our codes are suggested
