"""Customer and company metrics from orders, RFM classes, and the event consumer keeping them current.

Orders come from the orders app when it is installed (`orders.Order` with `customer_id`, `company_id`,
`total`, `created_at`, `is_cancelled`); without it every metric stays zero.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from shopkeeper.core.db import bulk_update

from .models import Company, Customer, RfmSettings

ZERO = Decimal("0.00")


def rfm_thresholds() -> dict[str, list[Any]]:
    row = RfmSettings.objects.first()
    values = dict(RfmSettings.DEFAULTS)
    if row is not None:
        for key in values:
            if getattr(row, key):
                values[key] = getattr(row, key)
    return values


def rfm_class(*, days_since_last: int | None, orders: int, spent: Decimal, thresholds: dict) -> str:
    """Three digits R, F, M each 1..3 (3 best); "" for a customer without orders."""
    if not orders or days_since_last is None:
        return ""
    good, fair = (int(x) for x in thresholds["recency_days"])
    r = 3 if days_since_last <= good else 2 if days_since_last <= fair else 1
    f_fair, f_good = (int(x) for x in thresholds["frequency"])
    f = 3 if orders >= f_good else 2 if orders >= f_fair else 1
    m_fair, m_good = (Decimal(str(x)) for x in thresholds["monetary"])
    m = 3 if spent >= m_good else 2 if spent >= m_fair else 1
    return f"{r}{f}{m}"


def _order_stats(field: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not apps.is_installed("shopkeeper.orders"):
        return {}
    order_model = apps.get_model("orders", "Order")
    rows = (
        order_model.objects.filter(**{f"{field}__in": ids, "is_cancelled": False})
        .values(field)
        .annotate(n=Count("id"), spent=Sum("total"), first=Min("created_at"), last=Max("created_at"))
    )
    return {r[field]: r for r in rows}


def _apply(obj, stats: dict[str, Any] | None, now) -> list[str]:
    n = stats["n"] if stats else 0
    spent = (stats["spent"] or ZERO) if stats else ZERO
    obj.orders_count = n
    obj.total_spent = Decimal(spent).quantize(Decimal("0.01"))
    obj.average_order = (obj.total_spent / n).quantize(Decimal("0.01")) if n else ZERO
    obj.first_order_at = stats["first"] if stats else None
    obj.last_order_at = stats["last"] if stats else None
    return ["orders_count", "total_spent", "average_order", "first_order_at", "last_order_at"]


@transaction.atomic
def customer_metrics_recompute(*, customer_ids: list[int]) -> None:
    """Recompute metrics of these customers from their orders (idempotent)."""
    ids = [int(i) for i in customer_ids if i]
    if not ids:
        return
    # Lock the rows (in id order) before reading the orders: two outbox processes recomputing the same
    # customer then run one after the other, and the later one reads every order committed before it.
    customers = list(Customer.objects.filter(pk__in=ids).order_by("pk").select_for_update())
    stats = _order_stats("customer_id", ids)
    thresholds = rfm_thresholds()
    now = timezone.now()
    fields: list[str] = []
    for customer in customers:
        fields = _apply(customer, stats.get(customer.pk), now)
        days = (now - customer.last_order_at).days if customer.last_order_at else None
        customer.rfm_class = rfm_class(
            days_since_last=days,
            orders=customer.orders_count,
            spent=customer.total_spent,
            thresholds=thresholds,
        )
        customer.lifetime_days = _lifetime_days(customer, now)
    bulk_update(customers, [*fields, "rfm_class", "lifetime_days"])


def _lifetime_days(customer: Customer, now) -> int:
    days = max((now - customer.created_at).days, 0)
    if customer.first_order_at:
        days = max((now - customer.first_order_at).days, days)
    return days


TIME_FIELDS = ["rfm_class", "lifetime_days"]
_TIME_COLUMNS = [
    "pk",
    "created_at",
    "first_order_at",
    "last_order_at",
    "orders_count",
    "total_spent",
    *TIME_FIELDS,
]


def _time_values(customer: Customer, now, thresholds) -> tuple[str, int]:
    days = (now - customer.last_order_at).days if customer.last_order_at else None
    rfm = rfm_class(
        days_since_last=days, orders=customer.orders_count, spent=customer.total_spent, thresholds=thresholds
    )
    return rfm, _lifetime_days(customer, now)


def refresh_time_metrics(batch: int = 2000) -> int:
    """The RFM class and the lifetime depend on today's date and on the RFM thresholds, not only on
    orders (which events keep current): recompute both for every customer, in batches, from the stored
    order metrics (no order aggregates). Run daily by the worker and after the thresholds change.
    Returns how many customers changed.

    Batches are read outside any transaction; only the customers whose values differ are locked and
    written. A batch with nothing to change takes no lock: on SQLite a write transaction per batch
    held the database's one write lock for the whole scan, and the outbox waited behind it."""
    thresholds = rfm_thresholds()
    now = timezone.now()
    changed, last = 0, 0
    while True:
        rows = list(Customer.objects.filter(pk__gt=last).order_by("pk").only(*_TIME_COLUMNS)[:batch])
        if not rows:
            return changed
        last = rows[-1].pk
        stale = [c.pk for c in rows if _time_values(c, now, thresholds) != (c.rfm_class, c.lifetime_days)]
        if stale:
            changed += _write_time_metrics(stale, now, thresholds)


@transaction.atomic
def _write_time_metrics(ids: list[int], now, thresholds) -> int:
    """Recompute the customers as they are now (an order event may have changed them since the scan)."""
    qs = Customer.objects.filter(pk__in=ids).order_by("pk").only(*_TIME_COLUMNS)
    if connection.features.has_select_for_update_skip_locked:
        # A customer an order event is recomputing right now is skipped: that recompute sets its
        # class as of today anyway (waiting for it instead could deadlock with the outbox).
        qs = qs.select_for_update(skip_locked=True)
    dirty = []
    for customer in qs:
        values = _time_values(customer, now, thresholds)
        if values != (customer.rfm_class, customer.lifetime_days):
            customer.rfm_class, customer.lifetime_days = values
            dirty.append(customer)
    bulk_update(dirty, TIME_FIELDS)
    return len(dirty)


@transaction.atomic
def company_metrics_recompute(*, company_ids: list[int]) -> None:
    ids = [int(i) for i in company_ids if i]
    if not ids:
        return
    companies = list(Company.objects.filter(pk__in=ids).order_by("pk").select_for_update())
    stats = _order_stats("company_id", ids)
    now = timezone.now()
    fields: list[str] = []
    for company in companies:
        fields = _apply(company, stats.get(company.pk), now)
    bulk_update(companies, fields)


def recompute_all(batch: int = 1000, log=None) -> int:
    """Recompute every customer's and company's metrics in batches of ids; returns customers done."""
    done = 0
    last = 0
    while True:
        ids = list(Customer.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        customer_metrics_recompute(customer_ids=ids)
        done += len(ids)
        last = ids[-1]
        if log:
            log(f"customers: {done}")
    last = 0
    while True:
        ids = list(Company.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        company_metrics_recompute(company_ids=ids)
        last = ids[-1]
    return done


def _ids(*values: Any) -> list[int]:
    """Positive integer ids among payload values (JSON may carry them as ints or digit strings)."""
    ids = []
    for value in values:
        if isinstance(value, bool):
            continue
        if (isinstance(value, int) or (isinstance(value, str) and value.isdigit())) and int(value) > 0:
            ids.append(int(value))
    return sorted(set(ids))


def _previous_from_change(event, field: str) -> list[Any]:
    """The old value of `field` from the change-log row behind the event ([old, new] in `changes`)."""
    change_id = getattr(event, "change_id", None)
    if not change_id:
        return []
    from shopkeeper.core.models import Change

    changes = Change.objects.filter(pk=change_id).values_list("changes", flat=True).first() or {}
    pair = changes.get(field) if isinstance(changes, dict) else None
    return list(pair) if isinstance(pair, list) else []


def on_order_event(event) -> None:
    """Consumer of `order.*`: recompute the order's customer and company, and the previous ones when the
    order moved (`previous_customer_id` / `previous_company_id` in the payload; without the latter the
    old company is read from the change-log row of the event). Idempotent: everything is recomputed from
    the orders themselves, so a repeated or late delivery gives the same numbers."""
    on_order_events([event])


def on_order_events(events) -> None:
    """The same for a chunk of events (the outbox's batch handler): each customer and company they name
    is recomputed once, with one query per table instead of a few per event."""
    customer_ids: list[Any] = []
    company_ids: list[Any] = []
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        customer_ids += [payload.get("customer_id"), payload.get("previous_customer_id")]
        company_ids += [payload.get("company_id"), payload.get("previous_company_id")]
        if "previous_company_id" not in payload and "company" in (payload.get("fields") or []):
            company_ids += _previous_from_change(event, "company")
    customer_metrics_recompute(customer_ids=_ids(*customer_ids))
    company_metrics_recompute(company_ids=_ids(*company_ids))
