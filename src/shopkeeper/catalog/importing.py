"""Catalog import from YML/ICML feeds and CSV/XLSX files: parse everything first, then write in batches.

Feeds are untrusted input: XML goes through defusedxml (no entity expansion, no external entities, no
DTD), URLs pointing to private, loopback or link-local addresses are refused unless
`SHOPKEEPER_IMPORT_ALLOW_PRIVATE_URLS` is set. A feed that cannot be parsed fails before anything is
written; a bad row is reported and skipped. Re-importing updates: offers match by external id, then SKU.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import os
import socket
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from shopkeeper.core.changes import Actor, record_change

from .models import ImportFormat, ImportJob, ImportStatus, Offer, Price, PriceType, Product, ProductGroup
from .services import price_type_default

BATCH = 1000
MAX_ERRORS = 500
MAX_FEED_BYTES = 200 * 1024 * 1024


class ImportFailed(Exception):
    """The whole source is unusable (bad XML, unreachable URL...): nothing is written."""


@dataclass
class Record:
    row: int
    sku: str
    external_id: str = ""
    product_key: str = ""
    product_name: str = ""
    name: str = ""
    group_key: str = ""
    barcode: str = ""
    prices: dict[str, str] = field(default_factory=dict)
    purchase_price: str = ""
    weight: str = ""
    unit: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    description: str = ""
    is_active: bool = True


@dataclass
class Parsed:
    categories: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, parent id)
    records: list[Record] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


# --- fetching -----------------------------------------------------------------------------------


def check_url(url: str) -> None:
    """Refuse anything but http(s) to a public address (unless private addresses are allowed)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImportFailed("The feed URL must start with http:// or https://.")
    if getattr(settings, "SHOPKEEPER_IMPORT_ALLOW_PRIVATE_URLS", False) or os.environ.get(
        "SHOPKEEPER_IMPORT_ALLOW_PRIVATE_URLS"
    ) in ("1", "true", "yes"):
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ImportFailed(f"The feed host cannot be resolved: {parts.hostname}.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise ImportFailed(f"The feed URL points to a private or local address ({address}); refused.")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str) -> bytes:
    check_url(url)
    opener = urllib.request.build_opener(_CheckedRedirects)
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "Shopkeeper"})  # noqa: S310 - checked
        with opener.open(request, timeout=60) as resp:
            data = resp.read(MAX_FEED_BYTES + 1)
    except ImportFailed:
        raise
    except OSError as exc:
        raise ImportFailed(f"The feed could not be downloaded: {exc}.") from exc
    if len(data) > MAX_FEED_BYTES:
        raise ImportFailed("The feed is larger than 200 MB.")
    return data


# --- parsing ------------------------------------------------------------------------------------


def _text(el, tag: str) -> str:
    child = el.find(tag)
    return (child.text or "").strip() if child is not None and child.text else ""


def parse_yml(data: bytes) -> Parsed:
    """YML (Yandex Market Language) and ICML (RetailCRM) catalog feeds."""
    parsed = Parsed()
    try:
        events = SafeET.iterparse(io.BytesIO(data), events=("end",), forbid_dtd=True)
        row = 0
        for _event, el in events:
            if el.tag == "category":
                parsed.categories.append(
                    (el.get("id", "").strip(), (el.text or "").strip(), (el.get("parentId") or "").strip())
                )
            elif el.tag == "offer":
                row += 1
                parsed.records.append(_yml_offer(el, row, parsed))
                el.clear()
    except DefusedXmlException as exc:
        raise ImportFailed(
            f"The feed uses XML features that are refused for safety ({type(exc).__name__})."
        ) from exc
    except SafeET.ParseError as exc:
        raise ImportFailed(f"The feed is not well-formed XML: {exc}.") from exc
    parsed.records = [r for r in parsed.records if r is not None]
    if not parsed.records and not parsed.categories:
        raise ImportFailed("The feed has no <category> or <offer> elements.")
    return parsed


def _yml_offer(el, row: int, parsed: Parsed) -> Record | None:
    offer_id = (el.get("id") or "").strip()
    sku = _text(el, "vendorCode") or _text(el, "article") or (el.get("article") or "").strip() or offer_id
    if not sku:
        parsed.errors.append({"row": row, "field": "vendorCode", "msg": "The offer has no id or vendorCode."})
        return None
    product_key = (
        el.get("productId") or el.get("group_id") or _text(el, "productId") or offer_id or sku
    ).strip()
    params = {}
    for p in el.findall("param"):
        key = (p.get("code") or p.get("name") or "").strip()
        if key:
            params[key] = (p.text or "").strip()
    prices = {}
    if price := _text(el, "price"):
        prices["retail"] = price
    return Record(
        row=row,
        sku=sku,
        external_id=offer_id,
        product_key=product_key,
        product_name=_text(el, "productName") or _text(el, "model") or _text(el, "name"),
        name=_text(el, "name"),
        group_key=_text(el, "categoryId"),
        barcode=_text(el, "barcode"),
        prices=prices,
        purchase_price=_text(el, "purchasePrice"),
        weight=_text(el, "weight"),
        unit=(el.find("unit").get("code", "") if el.find("unit") is not None else ""),
        properties=params,
        images=[p.text.strip() for p in el.findall("picture") if p.text and p.text.strip()],
        description=_text(el, "description"),
        is_active=(el.get("available") or "true").strip().lower() != "false",
    )


TABLE_FIELDS = {
    "sku",
    "name",
    "product",
    "product_name",
    "group",
    "barcode",
    "purchase_price",
    "weight",
    "unit",
    "description",
    "image",
}


def parse_rows(rows: list[list[str]], mapping: dict[str, str]) -> Parsed:
    """Rows of a CSV/XLSX table; `mapping` maps our fields (sku, name, price_<type>...) to column titles."""
    if not rows:
        raise ImportFailed("The file is empty.")
    header = [str(h or "").strip() for h in rows[0]]
    mapping = mapping or {h.lower(): h for h in header}
    if "sku" not in mapping:
        raise ImportFailed("The column mapping must name the SKU column.")
    index = {}
    for target, column in mapping.items():
        if not column:
            continue
        if column not in header:
            raise ImportFailed(f"The file has no column '{column}' (mapped to {target}).")
        if target not in TABLE_FIELDS and not target.startswith(("price_", "param_")):
            raise ImportFailed(f"Unknown import field '{target}'.")
        index[target] = header.index(column)
    parsed = Parsed()
    groups: set[str] = set()
    for n, raw in enumerate(rows[1:], start=2):
        values = {
            t: (str(raw[i]).strip() if i < len(raw) and raw[i] is not None else "") for t, i in index.items()
        }
        if not any(values.values()):
            continue
        if not values.get("sku"):
            parsed.errors.append({"row": n, "field": "sku", "msg": "The SKU is empty."})
            continue
        group = values.get("group", "")
        if group and group not in groups:
            groups.add(group)
            parsed.categories.append((group, group, ""))
        parsed.records.append(
            Record(
                row=n,
                sku=values["sku"],
                product_key=values.get("product") or values["sku"],
                product_name=values.get("product_name") or values.get("name", ""),
                name=values.get("name", ""),
                group_key=group,
                barcode=values.get("barcode", ""),
                prices={
                    t.removeprefix("price_"): v for t, v in values.items() if t.startswith("price_") and v
                },
                purchase_price=values.get("purchase_price", ""),
                weight=values.get("weight", ""),
                unit=values.get("unit", ""),
                properties={
                    t.removeprefix("param_"): v for t, v in values.items() if t.startswith("param_") and v
                },
                images=[values["image"]] if values.get("image") else [],
                description=values.get("description", ""),
            )
        )
    return parsed


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFailed(f"The file is not a readable XLSX workbook: {exc}.") from exc
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


# --- writing ------------------------------------------------------------------------------------


def _decimal(value: str, places: str) -> Decimal | None:
    if not value:
        return None
    try:
        d = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValueError(value) from None
    if not d.is_finite() or d < 0 or d >= Decimal("1e11"):
        raise ValueError(value)
    return d.quantize(Decimal(places))


def _ensure_groups(categories: list[tuple[str, str, str]]) -> dict[str, ProductGroup]:
    by_key = {g.external_id: g for g in ProductGroup.objects.exclude(external_id="")}
    codes = set(ProductGroup.objects.values_list("code", flat=True))
    for key, name, _parent in categories:
        if key and key not in by_key:
            code = base = slugify(f"{name}-{key}")[:90] or f"group-{key}"
            n = 1
            while code in codes:
                n += 1
                code = f"{base}-{n}"
            codes.add(code)
            by_key[key] = ProductGroup.objects.create(
                name=name[:200] or key, code=code, external_id=key[:100]
            )
    changed = []
    for key, _name, parent in categories:
        group = by_key.get(key)
        parent_group = by_key.get(parent) if parent else None
        if group and parent_group and group.parent_id != parent_group.pk and parent_group.pk != group.pk:
            group.parent = parent_group
            changed.append(group)
    if changed:
        ProductGroup.objects.bulk_update(changed, ["parent"])
    return by_key


def _write_batch(job: ImportJob, records: list[Record], groups: dict[str, ProductGroup], types: dict) -> None:
    """One batch in one transaction: bulk creates/updates, one change-log row."""
    created = updated = skipped = 0
    errors: list[dict[str, Any]] = []
    with transaction.atomic():
        by_ext = {
            o.external_id: o
            for o in Offer.objects.filter(external_id__in=[r.external_id for r in records if r.external_id])
        }
        by_sku = Offer.objects.in_bulk([r.sku for r in records], field_name="sku")
        products = {
            p.external_id: p for p in Product.objects.filter(external_id__in={r.product_key for r in records})
        }
        new_products, new_offers, changed_offers = [], [], []
        planned: list[tuple[Record, Offer | None, dict[str, Decimal]]] = []
        seen: set[str] = set()
        for r in records:
            try:
                if r.sku in seen or len(r.sku) > 100:
                    raise ValueError("duplicate SKU in this file" if r.sku in seen else "SKU longer than 100")
                prices = {}
                for code, raw in r.prices.items():
                    if code not in types:
                        raise ValueError(f"unknown price type {code}")
                    amount = _decimal(raw, "0.01")
                    if amount is not None:
                        prices[code] = amount
                purchase = _decimal(r.purchase_price, "0.01")
                weight = _decimal(r.weight, "0.001")
            except ValueError as exc:
                errors.append({"row": r.row, "sku": r.sku, "msg": f"Invalid value: {exc}"})
                skipped += 1
                continue
            seen.add(r.sku)
            offer = (by_ext.get(r.external_id) if r.external_id else None) or by_sku.get(r.sku)
            if r.product_key not in products:
                product = Product(
                    name=(r.product_name or r.name or r.sku)[:300],
                    external_id=r.product_key[:100],
                    group=groups.get(r.group_key),
                    description=r.description,
                    images=r.images,
                    is_active=True,
                )
                products[r.product_key] = product
                new_products.append(product)
            values = {
                "name": (r.name or r.product_name or r.sku)[:300],
                "barcode": r.barcode[:64],
                "properties": r.properties,
                "purchase_price": purchase,
                "weight": weight,
                "is_active": r.is_active,
                "external_id": r.external_id[:100],
            }
            if r.unit:
                values["unit"] = r.unit[:16]
            if offer is None:
                offer = Offer(sku=r.sku, **values)
                new_offers.append((r, offer))
                created += 1
            else:
                if any(getattr(offer, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(offer, k, v)
                    changed_offers.append(offer)
                    updated += 1
            planned.append((r, offer, prices))
        Product.objects.bulk_create(new_products)
        for r, offer in new_offers:
            offer.product = products[r.product_key]
        Offer.objects.bulk_create([o for _r, o in new_offers])
        if changed_offers:
            Offer.objects.bulk_update(
                changed_offers,
                [
                    "name",
                    "barcode",
                    "properties",
                    "purchase_price",
                    "weight",
                    "is_active",
                    "external_id",
                    "unit",
                    "updated_at",
                ],
            )
        existing_prices = {
            (p.offer_id, p.price_type_id): p
            for p in Price.objects.filter(offer_id__in=[o.pk for _r, o, _p in planned])
        }
        new_prices, changed_prices, price_changes = [], [], 0
        for _r, offer, prices in planned:
            for code, amount in prices.items():
                current = existing_prices.get((offer.pk, types[code].pk))
                if current is None:
                    new_prices.append(Price(offer=offer, price_type=types[code], amount=amount))
                elif current.amount != amount:
                    current.amount = amount
                    changed_prices.append(current)
                    price_changes += 1
        Price.objects.bulk_create(new_prices)
        Price.objects.bulk_update(changed_prices, ["amount"])
        unchanged = len(planned) - created - len(changed_offers)
        # An offer whose only change is its price counts as updated, not skipped.
        repriced = (
            {p.offer_id for p in changed_prices}
            - {o.pk for o in changed_offers}
            - {o.pk for _r, o in new_offers}
        )
        updated += len(repriced)
        skipped += unchanged - len(repriced)
        record_change(
            entity="import_job",
            entity_id=job.pk,
            action="batch_imported",
            actor=Actor.system("import"),
            changes={"created": [None, created], "updated": [None, updated]},
            event="catalog.imported" if created or updated else None,
            payload={"job_id": job.pk},
        )
        job.processed += len(records)
        job.created += created
        job.updated += updated
        job.skipped += skipped
        job.errors = (job.errors + errors)[:MAX_ERRORS]
        job.save(update_fields=["processed", "created", "updated", "skipped", "errors"])


def run_job(job: ImportJob) -> ImportJob:
    """Run an import job to the end, recording progress, counts and errors on it."""
    job.status = ImportStatus.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        data = fetch(job.source_url) if job.source_url else _read_file(job)
        if job.format == ImportFormat.YML:
            parsed = parse_yml(data)
        elif job.format == ImportFormat.XLSX:
            parsed = parse_rows(read_xlsx(data), job.mapping)
        else:
            parsed = parse_rows(read_csv(data), job.mapping)
    except ImportFailed as exc:
        job.status, job.message, job.finished_at = ImportStatus.FAILED, str(exc), timezone.now()
        job.save(update_fields=["status", "message", "finished_at"])
        return job
    job.total = len(parsed.records) + len(parsed.errors)
    job.processed = len(parsed.errors)
    job.skipped = len(parsed.errors)
    job.errors = parsed.errors[:MAX_ERRORS]
    job.save(update_fields=["total", "processed", "skipped", "errors"])
    price_type_default()
    types = {pt.code: pt for pt in PriceType.objects.all()}
    with transaction.atomic():
        groups = _ensure_groups(parsed.categories)
    for start in range(0, len(parsed.records), BATCH):
        _write_batch(job, parsed.records[start : start + BATCH], groups, types)
    job.status, job.finished_at = ImportStatus.DONE, timezone.now()
    job.save(update_fields=["status", "finished_at"])
    return job


def _read_file(job: ImportJob) -> bytes:
    if not job.file:
        raise ImportFailed("The job has neither a file nor a URL.")
    with job.file.open("rb") as fh:
        return fh.read()
