"""Catalog writes: groups, products, offers, price types and prices."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shopkeeper.core.changes import Actor, apply_changes, record_change

from .models import FeedSource, ImportJob, ImportStatus, Offer, Price, PriceType, Product, ProductGroup

DEFAULT_PRICE_TYPE = "retail"


def clean_money(value: Any, *, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter an amount such as 990.00.")}, code="invalid") from None
    if isinstance(value, bool) or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: _("Enter an amount with at most two decimals.")}, code="invalid")
    if amount < 0:
        raise ValidationError({field: _("The amount must not be negative.")}, code="negative")
    if amount >= Decimal("1e12"):
        raise ValidationError({field: _("The amount is too large.")}, code="invalid")
    return amount.quantize(Decimal("0.01"))


def price_type_default() -> PriceType:
    """The retail price type (created by a migration; re-created here if someone removed it)."""
    price_type = PriceType.objects.filter(code=DEFAULT_PRICE_TYPE).first()
    if price_type is None:
        has_default = PriceType.objects.filter(is_default=True).exists()
        price_type, _created = PriceType.objects.get_or_create(
            code=DEFAULT_PRICE_TYPE, defaults={"name": "Retail", "is_default": not has_default}
        )
    return price_type


PRICE_TYPE_FIELDS = {"name", "position", "is_active", "is_default"}


def _price_type_check(price_type: PriceType) -> None:
    # The one-default constraint is kept by _take_default (and by the database); not checked here.
    price_type.full_clean(validate_constraints=False)
    if price_type.is_default and not price_type.is_active:
        raise ValidationError({"is_active": _("The default price type must be active.")})


def _take_default(price_type: PriceType, actor: Actor) -> None:
    """Make `price_type` the only default: the previous default gives it up (change-logged)."""
    for previous in PriceType.objects.select_for_update().filter(is_default=True).exclude(pk=price_type.pk):
        previous.is_default = False
        previous.save(update_fields=["is_default"])
        record_change(
            entity="price_type",
            entity_id=previous.pk,
            action="updated",
            actor=actor,
            changes={"is_default": [True, False]},
            event="price_type.updated",
            payload={"code": previous.code},
        )


@transaction.atomic
def price_type_create(
    *,
    code: str,
    name: str,
    actor: Actor,
    position: int = 0,
    is_active: bool = True,
    is_default: bool = False,
) -> PriceType:
    price_type = PriceType(
        code=code, name=name, position=position, is_active=is_active, is_default=is_default
    )
    _price_type_check(price_type)
    if is_default:
        _take_default(price_type, actor)
    price_type.save()
    record_change(
        entity="price_type",
        entity_id=price_type.pk,
        action="created",
        actor=actor,
        changes={
            "code": [None, code],
            "name": [None, name],
            "position": [None, position],
            "is_active": [None, is_active],
            "is_default": [None, is_default],
        },
        event="price_type.created",
        payload={"code": code},
    )
    return price_type


@transaction.atomic
def price_type_update(*, price_type: PriceType, actor: Actor, **values: Any) -> PriceType:
    """Name, position, active and default flags; the code is fixed (feeds and the API refer to it)."""
    if "code" in values and values["code"] != price_type.code:
        raise ValidationError({"code": _("The code of a price type cannot be changed.")})
    values.pop("code", None)
    _check_fields(values, PRICE_TYPE_FIELDS)
    was_default = price_type.is_default
    changed = apply_changes(price_type, values)
    if not changed:
        return price_type
    if was_default and not price_type.is_default:
        raise ValidationError(
            {"is_default": _("Make another price type the default instead; one is always the default.")}
        )
    _price_type_check(price_type)
    if price_type.is_default and not was_default:
        _take_default(price_type, actor)
    price_type.save(update_fields=list(changed))
    record_change(
        entity="price_type",
        entity_id=price_type.pk,
        action="updated",
        actor=actor,
        changes=changed,
        event="price_type.updated",
        payload={"code": price_type.code},
    )
    return price_type


@transaction.atomic
def group_create(
    *, name: str, code: str, parent: ProductGroup | None = None, external_id: str = "", actor: Actor
) -> ProductGroup:
    group = ProductGroup(name=name, code=code, parent=parent, external_id=external_id)
    group.full_clean()
    group.save()
    record_change(
        entity="product_group",
        entity_id=group.pk,
        action="created",
        actor=actor,
        changes={"code": [None, code], "name": [None, name], "parent": [None, parent.pk if parent else None]},
    )
    return group


@transaction.atomic
def group_update(*, group: ProductGroup, actor: Actor, **values: Any) -> ProductGroup:
    parent = values.get("parent")
    node = parent
    while node is not None:
        if node.pk == group.pk:
            raise ValidationError({"parent": _("A group cannot be inside itself.")})
        node = node.parent
    changed = apply_changes(group, values)
    if changed:
        group.full_clean()
        group.save(update_fields=list(changed))
        record_change(
            entity="product_group", entity_id=group.pk, action="updated", actor=actor, changes=changed
        )
    return group


PRODUCT_FIELDS = {
    "name",
    "description",
    "group",
    "properties",
    "images",
    "is_active",
    "is_service",
    "external_id",
}
OFFER_FIELDS = {
    "name",
    "sku",
    "barcode",
    "properties",
    "unit",
    "weight",
    "purchase_price",
    "min_stock",
    "is_active",
    "external_id",
}


def _check_fields(values: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError({f: _("This field cannot be set.") for f in sorted(unknown)})


@transaction.atomic
def product_create(
    *, name: str, actor: Actor, offers: list[dict[str, Any]] | None = None, **values: Any
) -> Product:
    """A product with its offers (each a dict of offer fields plus `prices` {price type code: amount})."""
    _check_fields(values, PRODUCT_FIELDS)
    product = Product(name=name, **values)
    product.full_clean()
    product.save()
    record_change(
        entity="product",
        entity_id=product.pk,
        action="created",
        actor=actor,
        changes={"name": [None, name]},
        event="product.created",
        payload={"id": product.pk, "name": name},
    )
    for i, offer_values in enumerate(offers or []):
        try:
            offer_create(product=product, actor=actor, **offer_values)
        except ValidationError as exc:
            raise ValidationError(
                {f"offers.{i}.{field}": msgs for field, msgs in exc.message_dict.items()}
            ) from exc
    return product


@transaction.atomic
def product_update(*, product: Product, actor: Actor, **values: Any) -> Product:
    _check_fields(values, PRODUCT_FIELDS)
    changed = apply_changes(product, values)
    if changed:
        product.full_clean()
        product.save(update_fields=[*changed, "updated_at"])
        record_change(
            entity="product",
            entity_id=product.pk,
            action="updated",
            actor=actor,
            changes=changed,
            event="product.updated",
            payload={"id": product.pk},
        )
    return product


def _offer_clean(offer: Offer) -> None:
    offer.sku = (offer.sku or "").strip()
    offer.barcode = (offer.barcode or "").strip()
    if not offer.name:
        offer.name = offer.product.name
    offer.full_clean()


@transaction.atomic
def offer_create(
    *, product: Product, sku: str, actor: Actor, prices: dict[str, Any] | None = None, **values: Any
) -> Offer:
    _check_fields(values, OFFER_FIELDS - {"sku"})
    offer = Offer(product=product, sku=sku, **values)
    _offer_clean(offer)
    offer.save()
    record_change(
        entity="offer",
        entity_id=offer.pk,
        action="created",
        actor=actor,
        changes={"sku": [None, offer.sku], "name": [None, offer.name]},
        event="offer.created",
        payload={"id": offer.pk, "sku": offer.sku, "product_id": product.pk},
        related={"product": product.pk},
    )
    if prices:
        offer_set_prices(offer=offer, prices=prices, actor=actor)
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, actor: Actor, prices: dict[str, Any] | None = None, **values: Any) -> Offer:
    _check_fields(values, OFFER_FIELDS)
    changed = apply_changes(offer, values)
    if changed:
        _offer_clean(offer)
        offer.save(update_fields=[*changed, "updated_at"])
        record_change(
            entity="offer",
            entity_id=offer.pk,
            action="updated",
            actor=actor,
            changes=changed,
            event="offer.updated",
            payload={"id": offer.pk, "sku": offer.sku},
            related={"product": offer.product_id},
        )
    if prices is not None:
        offer_set_prices(offer=offer, prices=prices, actor=actor)
    return offer


@transaction.atomic
def offer_set_prices(*, offer: Offer, prices: dict[str, Any], actor: Actor) -> dict[str, list[Any]]:
    """Set prices by price type code; an amount of None removes that price. Returns the changes."""
    types = {pt.code: pt for pt in PriceType.objects.filter(code__in=list(prices))}
    unknown = [code for code in prices if code not in types]
    if unknown:
        raise ValidationError({f"prices.{code}": _("Unknown price type.") for code in unknown})
    existing = {p.price_type.code: p for p in offer.prices.select_related("price_type")}
    changes: dict[str, list[Any]] = {}
    for code, raw in prices.items():
        current = existing.get(code)
        if raw is None or raw == "":
            if current is not None:
                current.delete()
                changes[f"price.{code}"] = [current.amount, None]
            continue
        amount = clean_money(raw, field=f"prices.{code}")
        if current is None:
            Price.objects.create(offer=offer, price_type=types[code], amount=amount)
            changes[f"price.{code}"] = [None, amount]
        elif current.amount != amount:
            changes[f"price.{code}"] = [current.amount, amount]
            current.amount = amount
            current.save(update_fields=["amount"])
    if changes:
        record_change(
            entity="offer",
            entity_id=offer.pk,
            action="prices_changed",
            actor=actor,
            changes=changes,
            event="offer.prices_changed",
            payload={"id": offer.pk, "sku": offer.sku},
            related={"product": offer.product_id},
        )
    return changes


@transaction.atomic
def import_job_create(
    *,
    format: str,
    actor: Actor,
    file: Any = None,
    source_url: str = "",
    mapping: dict[str, str] | None = None,
    created_by: Any = None,
) -> Any:
    """Queue a catalog import (a file or a feed URL); the worker runs it (tasks.run_import)."""
    from .importing import ImportFailed, check_url
    from .models import ImportFormat, ImportJob
    from .tasks import run_import

    if format not in ImportFormat.values:
        raise ValidationError({"format": _("Unknown import format.")})
    if bool(file) == bool(source_url):
        raise ValidationError({"file": _("Upload a file or give a feed URL (one of them).")})
    if source_url:
        try:
            check_url(source_url)
        except ImportFailed as exc:
            raise ValidationError({"url": str(exc)}) from exc
    job = ImportJob(format=format, source_url=source_url, mapping=mapping or {}, created_by=created_by)
    if file:
        job.file.save(getattr(file, "name", "import") or "import", file, save=False)
    job.save()
    record_change(
        entity="import_job",
        entity_id=job.pk,
        action="created",
        actor=actor,
        changes={"format": [None, format], "url": [None, source_url]},
    )
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


# --- scheduled feeds ----------------------------------------------------------------------------

FEED_FIELDS = {"name", "url", "format", "mapping", "interval_hours", "is_active"}
# A job still "running" after this long is taken for dead (worker killed) and no longer blocks its feed.
STALE_RUNNING = timedelta(hours=6)


def _feed_clean(feed: FeedSource) -> None:
    from .importing import TABLE_FIELDS, ImportFailed, check_url
    from .models import ImportFormat

    feed.full_clean()
    errors: dict[str, list[str]] = {}
    try:
        check_url(feed.url)
    except ImportFailed as exc:
        errors["url"] = [str(exc)]
    if feed.format == ImportFormat.YML and feed.mapping:
        errors["mapping"] = [_("A column mapping applies to CSV and XLSX files only.")]
    for target, column in (feed.mapping or {}).items():
        if target not in TABLE_FIELDS and not target.startswith(("price_", "param_")):
            errors.setdefault("mapping", []).append(_("Unknown import field: %(field)s.") % {"field": target})
        elif not isinstance(column, str) or not column.strip():
            errors.setdefault("mapping", []).append(_("Name the column for %(field)s.") % {"field": target})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def feed_create(
    *,
    name: str,
    url: str,
    actor: Actor,
    format: str = "yml",
    mapping: dict[str, str] | None = None,
    interval_hours: int = 24,
    is_active: bool = True,
) -> FeedSource:
    """A scheduled feed; an active one is due at once (the worker picks it up within a minute)."""
    feed = FeedSource(
        name=name,
        url=url,
        format=format,
        mapping=mapping or {},
        interval_hours=interval_hours,
        is_active=is_active,
        next_run_at=timezone.now() if is_active else None,
    )
    _feed_clean(feed)
    feed.save()
    record_change(
        entity="feed_source",
        entity_id=feed.pk,
        action="created",
        actor=actor,
        changes={f: [None, getattr(feed, f)] for f in sorted(FEED_FIELDS)},
    )
    return feed


@transaction.atomic
def feed_update(*, feed: FeedSource, actor: Actor, **values: Any) -> FeedSource:
    _check_fields(values, FEED_FIELDS)
    changed = apply_changes(feed, values)
    if not changed:
        return feed
    _feed_clean(feed)
    fields = list(changed)
    if {"interval_hours", "is_active"} & set(changed):
        if not feed.is_active:
            feed.next_run_at = None
        else:
            base = feed.last_run_at or timezone.now()
            feed.next_run_at = max(base + timedelta(hours=feed.interval_hours), timezone.now())
            if feed.last_run_at is None:
                feed.next_run_at = timezone.now()
        fields.append("next_run_at")
    feed.save(update_fields=fields)
    record_change(entity="feed_source", entity_id=feed.pk, action="updated", actor=actor, changes=changed)
    return feed


@transaction.atomic
def feed_delete(*, feed: FeedSource, actor: Actor) -> None:
    record_change(
        entity="feed_source",
        entity_id=feed.pk,
        action="deleted",
        actor=actor,
        changes={"name": [feed.name, None], "url": [feed.url, None]},
    )
    feed.delete()


def _busy(job: ImportJob | None, now: datetime) -> bool:
    if job is None:
        return False
    if job.status == ImportStatus.PENDING:
        return True
    return job.status == ImportStatus.RUNNING and (job.started_at or now) > now - STALE_RUNNING


@transaction.atomic
def feed_run(*, feed: FeedSource, actor: Actor, now: datetime | None = None) -> ImportJob | None:
    """Start an import of `feed` in the background; returns the job, or None if nothing was started.

    The schedule slot read with `feed` (its `next_run_at`) is claimed with one compare-and-set UPDATE:
    of two workers (or a worker and a click on "Run now") reading the same slot only one starts a job.
    A feed whose previous import is still waiting or running is not started again.
    """
    now = now or timezone.now()
    claimed = FeedSource.objects.filter(pk=feed.pk, next_run_at=feed.next_run_at).update(
        next_run_at=(now + timedelta(hours=feed.interval_hours)) if feed.is_active else None,
        last_run_at=now,
    )
    if not claimed:
        return None
    feed.refresh_from_db()
    last_job = ImportJob.objects.filter(pk=feed.last_job_id).first() if feed.last_job_id else None
    if _busy(last_job, now):
        return None
    job = None
    try:
        with transaction.atomic():
            job = import_job_create(
                format=feed.format, source_url=feed.url, mapping=feed.mapping, actor=actor
            )
    except ValidationError as exc:
        feed.last_job = None
        feed.last_status = ImportStatus.FAILED
        feed.last_message = " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    else:
        feed.last_job = job
        feed.last_status = ImportStatus.PENDING
        feed.last_message = ""
    feed.save(update_fields=["last_job", "last_status", "last_message"])
    record_change(
        entity="feed_source",
        entity_id=feed.pk,
        action="run",
        actor=actor,
        changes={
            "job": [last_job.pk if last_job else None, job.pk if job else None],
            "status": [None, feed.last_status],
            "message": [None, feed.last_message],
        },
    )
    return job
