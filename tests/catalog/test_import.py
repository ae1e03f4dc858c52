from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shopkeeper.catalog import importing, services
from shopkeeper.catalog.models import ImportJob, Offer, Price, Product, ProductGroup
from tests.catalog.factories import ACTOR

pytestmark = pytest.mark.django_db

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-11-20 10:00"><shop><name>Demo</name>
<categories><category id="1">Apparel</category><category id="2" parentId="1">T-shirts</category></categories>
<offers>
 <offer id="101" group_id="10" available="true"><name>Tee red M</name><productName>Tee</productName>
  <price>990</price><purchasePrice>400.00</purchasePrice><vendorCode>TEE-RED-M</vendorCode>
  <barcode>4600000000011</barcode><categoryId>2</categoryId><picture>https://example.com/t.jpg</picture>
  <param name="Size">M</param><param name="Colour">red</param></offer>
 <offer id="102" group_id="10"><name>Tee red L</name><productName>Tee</productName><price>{price}</price>
  <vendorCode>TEE-RED-L</vendorCode><categoryId>2</categoryId><param name="Size">L</param></offer>
 <offer id="103"><name>Broken</name><price>abc</price><vendorCode>BROKEN</vendorCode></offer>
</offers></shop></yml_catalog>"""


def run(data: bytes, fmt: str = "yml", mapping=None) -> ImportJob:
    job = services.import_job_create(
        format=fmt, file=SimpleUploadedFile(f"feed.{fmt}", data), mapping=mapping, actor=ACTOR
    )
    return importing.run_job(ImportJob.objects.get(pk=job.pk))


def test_yml_import_creates_then_updates_without_duplicates():
    job = run(FEED.format(price="1090").encode())
    assert (job.status, job.created, job.updated, job.skipped) == ("done", 2, 0, 1)
    assert job.errors[0]["sku"] == "BROKEN"
    tee = Product.objects.get(external_id="10")
    assert tee.name == "Tee" and tee.group.name == "T-shirts" and tee.group.parent.name == "Apparel"
    offer = Offer.objects.get(sku="TEE-RED-M")
    assert offer.properties == {"Size": "M", "Colour": "red"} and offer.purchase_price == Decimal("400.00")
    assert offer.prices.get().amount == Decimal("990.00")
    again = run(FEED.format(price="1190").encode())
    assert (again.created, again.updated, again.skipped) == (0, 1, 2)
    assert Offer.objects.count() == 2 and Product.objects.count() == 1 and ProductGroup.objects.count() == 2
    assert Price.objects.get(offer__sku="TEE-RED-L").amount == Decimal("1190.00")


@pytest.mark.parametrize(
    "data",
    [
        b"<yml_catalog><shop><offers><offer id='1'>",  # truncated
        b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>
<yml_catalog><shop><offers><offer id="1"><name>&b;</name></offer></offers></shop></yml_catalog>""",
        b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<yml_catalog><shop><offers><offer id="1"><name>&e;</name></offer></offers></shop></yml_catalog>""",
        b"not xml at all",
    ],
)
def test_bad_or_hostile_xml_fails_cleanly_and_writes_nothing(data):
    job = run(data)
    assert job.status == "failed" and job.message
    assert not Offer.objects.exists() and not Product.objects.exists()


def test_csv_with_column_mapping_and_row_errors():
    data = b"Article;Title;Cost;Group\nA-1;Mug;5,50;Kitchen\n;No sku;1;Kitchen\nA-2;Bowl;-3;Kitchen\n"
    job = run(data, "csv", {"sku": "Article", "name": "Title", "price_retail": "Cost", "group": "Group"})
    assert (job.status, job.created, job.skipped) == ("done", 1, 2)
    assert Price.objects.get(offer__sku="A-1").amount == Decimal("5.50")
    assert {e["row"] for e in job.errors} == {3, 4}
    failed = run(data, "csv", {"sku": "Nope"})
    assert failed.status == "failed" and "Nope" in failed.message


def test_xlsx_import():
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["sku", "name", "price_retail"])
    wb.active.append(["X-1", "Lamp", 25])
    buf = io.BytesIO()
    wb.save(buf)
    job = run(buf.getvalue(), "xlsx")
    assert (job.status, job.created) == ("done", 1)
    assert run(b"garbage", "xlsx").status == "failed"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://10.0.0.5/feed.xml",
        "http://[::1]/f",
        "ftp://example.com/f",
        "http://169.254.169.254/",
    ],
)
def test_private_and_odd_urls_are_refused(url):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.import_job_create(format="yml", source_url=url, actor=ACTOR)
    assert "url" in exc.value.message_dict
    assert not ImportJob.objects.exists()


def test_import_api_refuses_private_url_and_reports_job(api, make_key):
    api.key = make_key("catalog:write", "catalog:read")
    response = api.post("/catalog/imports", {"format": "yml", "url": "http://localhost/feed.xml"})
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["url"]
    job = run(FEED.format(price="1").encode())
    body = api.get(f"/catalog/imports/{job.pk}").json()
    assert (body["status"], body["created"]) == ("done", 2)


def test_import_page_shows_progress(admin_client):
    job = run(FEED.format(price="1").encode())
    response = admin_client.get(f"/catalog/imports/{job.pk}/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"import-progress" in response.content
    assert b"<html" not in response.content
    response = admin_client.post(
        "/catalog/imports/",
        {"format": "yml", "file": SimpleUploadedFile("f.xml", FEED.format(price="2").encode())},
    )
    assert response.status_code == 302
