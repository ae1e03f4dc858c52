"""Reads of orders. `OrderFilter` is the one filter definition behind the HTML list and the API list."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from shopkeeper.core.db import EqualsAny
from shopkeeper.customers.normalize import digits_of, normalize_email, phone_search_fragments
from shopkeeper.customers.selectors import user_store_ids
from shopkeeper.stores.selectors import attach_store_and_manager, store_ids_of_codes

from . import counts, dictionaries
from .models import Channel, DeliveryType, Order, OrderType, PaymentType, Status, StatusGroup

SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-total": ("-total", "-id"),
    "total": ("total", "id"),
    "-status_changed": ("-status_changed_at", "-id"),
    "-number": ("-id",),
}
DEFAULT_SORT = "-created"
# Sorts an index of (status, sort) serves, as ORDER BY status, sort (and backwards, their reverses).
STATUS_INDEXED = {("-created_at", "-id"), ("-total", "-id"), ("-id",)}


def _reversed(fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f[1:] if f.startswith("-") else f"-{f}" for f in fields)


def _list(q: QueryDict | dict, name: str) -> list[str]:
    if isinstance(q, QueryDict):
        values = q.getlist(name)
    else:
        v = q.get(name)
        values = v if isinstance(v, list) else ([v] if v not in (None, "") else [])
    out: list[str] = []
    for v in values:
        out += [p.strip()[:100] for p in str(v).replace("\x00", "").split(",") if p.strip()]
    return out[:50]


MAX_AMOUNT = Decimal("1e12")


def _decimal(value: str | None) -> Decimal | None:
    try:
        amount = Decimal(value) if value not in (None, "") else None
    except InvalidOperation:
        return None
    if amount is None or not amount.is_finite():
        return None
    return max(min(amount, MAX_AMOUNT), -MAX_AMOUNT)


def _day(value: str | None, end: bool = False) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        day = parse_date(value)
    except ValueError:  # well-formed but impossible, e.g. 2026-13-45
        return None
    if day is None:
        return None
    moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
    return timezone.make_aware(moment)


@dataclass
class OrderFilter:
    status: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    store: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    order_type: list[str] = field(default_factory=list)
    manager: list[str] = field(default_factory=list)  # user ids, or "none" for unassigned
    payment_status: list[str] = field(default_factory=list)
    delivery_type: list[str] = field(default_factory=list)
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    status_changed_after: dt.datetime | None = None
    delivery_after: dt.date | None = None
    delivery_before: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    overdue: bool = False
    attention: bool = False
    customer: int | None = None
    company: int | None = None
    q: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def from_query(cls, q: QueryDict | dict) -> OrderFilter:
        def one(name):
            v = q.get(name)
            v = v[0] if isinstance(v, list) and v else v
            return v.replace("\x00", "") if isinstance(v, str) else v  # PostgreSQL refuses NUL in text

        def flag(name):
            return str(one(name) or "").lower() in {"1", "true", "yes", "on"}

        def int_or_none(name):
            try:
                return int(one(name))
            except (TypeError, ValueError):
                return None

        delivery_after = _day(one("delivery_after"))
        delivery_before = _day(one("delivery_before"))
        sort = one("sort") or DEFAULT_SORT
        return cls(
            status=_list(q, "status"),
            group=_list(q, "group"),
            store=_list(q, "store"),
            channel=_list(q, "channel"),
            order_type=_list(q, "order_type"),
            manager=_list(q, "manager"),
            payment_status=_list(q, "payment_status"),
            delivery_type=_list(q, "delivery_type"),
            created_after=_day(one("created_after")),
            created_before=_day(one("created_before"), end=True),
            status_changed_after=_day(one("status_changed_after")),
            delivery_after=delivery_after.date() if delivery_after else None,
            delivery_before=delivery_before.date() if delivery_before else None,
            amount_min=_decimal(one("amount_min")),
            amount_max=_decimal(one("amount_max")),
            overdue=flag("overdue"),
            attention=flag("attention"),
            customer=int_or_none("customer"),
            company=int_or_none("company"),
            q=str(one("q") or "").strip()[:100],
            sort=sort if sort in SORTS else DEFAULT_SORT,
        )

    def status_ids(self, *, skip_group: bool = False) -> set[int] | None:
        """The statuses the filter admits (None: any)."""
        status_ids: set[int] | None = None
        if self.status:
            status_ids = set(_ids(Status, self.status))
        if self.group and not skip_group:
            in_group = {s.pk for s in _statuses() if s.group.code in self.group}
            status_ids = in_group if status_ids is None else status_ids & in_group
        return status_ids

    def order_prefix(self, fields: tuple[str, ...]) -> tuple[str, ...]:
        """What goes before `fields` (a sort) in ORDER BY: the status, when the filter admits one status
        and an index starts with it and goes on with the sort (see `_one_status`)."""
        if self._one_status() is None:
            return ()
        if fields in STATUS_INDEXED:
            return ("status_id",)
        if _reversed(fields) in STATUS_INDEXED:
            return ("-status_id",)
        return ()

    def _one_status(self, status_ids: set[int] | None = None) -> int | None:
        """The status, when the filter admits exactly one, on PostgreSQL.

        Its planner assumes a status is spread evenly over the orders: for "the newest complete orders"
        it walks back from the newest order, expecting a complete one at almost every step, and passes
        every open order first (12,000 at 1M orders, 5 ms, and more as open orders pile up). The status
        goes to the query as a one-element array and starts the ORDER BY (`order_prefix`), so only the
        (status, sort) index can give the order: 0.1 ms. SQLite's planner does not fall for it."""
        if connection.vendor != "postgresql":
            return None
        status_ids = self.status_ids() if status_ids is None else status_ids
        return next(iter(status_ids)) if status_ids is not None and len(status_ids) == 1 else None

    def apply(self, qs: QuerySet[Order], *, skip_group: bool = False) -> QuerySet[Order]:
        # Codes become ids here (from the dictionary cache), so the database filters the orders table by
        # its own indexed columns instead of joining the dictionaries.
        status_ids = self.status_ids(skip_group=skip_group)
        store_ids = store_ids_of_codes(self.store) if self.store else None
        if status_ids is not None:
            one = self._one_status(status_ids)
            if one is not None:
                qs = qs.filter(EqualsAny(F("status_id"), [one]))
            else:
                qs = qs.filter(status_id__in=sorted(status_ids))
            if status_ids and store_ids is not None and _rare(store_ids, status_ids):
                # The few orders of these statuses through their index first (see _rare); the stores
                # are picked here, as a store condition in that query would lure SQLite back.
                rows = Order.objects.filter(status_id__in=sorted(status_ids)).values_list("pk", "store_id")
                qs = qs.filter(pk__in=[pk for pk, store in rows if store in store_ids])
        if store_ids is not None:
            qs = qs.filter(store_id__in=store_ids)
        if self.channel:
            qs = qs.filter(channel_id__in=_ids(Channel, self.channel))
        if self.order_type:
            qs = qs.filter(order_type_id__in=_ids(OrderType, self.order_type))
        if self.manager:
            ids = [int(m) for m in self.manager if m.isdigit()]
            cond = Q(manager_id__in=ids)
            if "none" in self.manager:
                cond |= Q(manager__isnull=True)
            qs = qs.filter(cond)
        if self.payment_status:
            qs = qs.filter(payment_status__in=self.payment_status)
        if self.delivery_type:
            qs = qs.filter(delivery_type_id__in=_ids(DeliveryType, self.delivery_type))
        if self.created_after:
            qs = qs.filter(created_at__gte=self.created_after)
        if self.created_before:
            qs = qs.filter(created_at__lt=self.created_before)
        if self.status_changed_after:
            qs = qs.filter(status_changed_at__gte=self.status_changed_after)
        if self.delivery_after:
            qs = qs.filter(delivery_date__gte=self.delivery_after)
        if self.delivery_before:
            qs = qs.filter(delivery_date__lt=self.delivery_before)
        if self.amount_min is not None:
            qs = qs.filter(total__gte=self.amount_min)
        if self.amount_max is not None:
            qs = qs.filter(total__lte=self.amount_max)
        if self.overdue:
            qs = qs.filter(is_final=False, overdue_at__lt=timezone.now())
        if self.attention:
            qs = qs.filter(needs_attention=True)
        if self.customer:
            qs = qs.filter(customer_id=self.customer)
        if self.company:
            qs = qs.filter(company_id=self.company)
        if self.q:
            # An order's own number, external id or tracking number typed in full finds that order
            # alone, not also every order whose phone holds its digits.
            exact = qs.filter(identifier_condition(self.q))
            qs = exact if exact.exists() else qs.filter(search_condition(self.q))
        return qs

    def is_empty(self) -> bool:
        return self == OrderFilter(sort=self.sort)


RARE_ORDERS = 5000


def _rare(store_ids: list[int], status_ids: set[int]) -> bool:
    """Whether the chosen statuses hold only a few thousand orders of these stores, per the kept
    counts, on SQLite. Its planner knows the average number of orders per status and per store only
    (no histograms), not that open statuses hold few: for "approval orders of one store, oldest first"
    it walked 250k index entries of the store (200 ms at 1M orders) instead of 3k of the statuses."""
    if connection.vendor != "sqlite":
        return False
    rows = counts.table()
    if sum(n for _store, status, n in rows if status in status_ids) > RARE_ORDERS:
        return False
    scope = [(status, n) for store, status, n in rows if store in store_ids]
    chosen = sum(n for status, n in scope if status in status_ids)
    return chosen * 20 < sum(n for _status, n in scope)


def active_rows(model) -> list[Any]:
    """The active rows of an order dictionary in their display order (the model's ordering), from the
    per-process cache: what `model.objects.filter(is_active=True)` reads, without the query."""
    return [row for row in dictionaries.by_code(model).values() if row.is_active]


def _ids(model, codes: list[str]) -> list[int]:
    table = dictionaries.by_code(model)
    return [table[code].pk for code in codes if code in table]


def _statuses() -> list[Status]:
    return list(dictionaries.by_code(Status).values())


def identifier_condition(text: str) -> Q:
    """The order's number (any case), external id or tracking number, whole."""
    text = text.strip()
    # SQLite cannot use an index for a case-insensitive match: the number as typed or upper-cased.
    number = Q(number__in={text, text.upper()}) if connection.vendor == "sqlite" else Q(number__iexact=text)
    return number | Q(external_id=text) | Q(tracking_number=text)


def search_condition(text: str) -> Q:
    """Number, external id, tracking number, phone fragment (any format), email, customer name."""
    text = text.strip()
    sqlite = connection.vendor == "sqlite"
    cond = identifier_condition(text)
    if "@" in text:
        email = normalize_email(text)
        # A whole address is looked up exactly (its index); a fragment ("ivan@", "@example") by trigrams.
        return cond | (Q(email=email.email) if email.is_valid else Q(email__icontains=text.lower()))
    digits = digits_of(text)
    fragments = phone_search_fragments(text)  # the same reading of a typed phone as customer search
    if fragments and len(digits) >= len(text.replace(" ", "")) - 6:
        for fragment in fragments:
            cond |= _phone_fragment(fragment) if sqlite else Q(phone_digits__contains=fragment)
        return cond
    # Company names are searched on the Companies page: a join here would stop PostgreSQL from
    # combining the per-column indexes of this OR.
    return cond | Q(customer_name__icontains=text)


def _phone_fragment(fragment: str) -> Q:
    """SQLite: orders whose phone digits contain `fragment`, through the trigram index of migration
    0008 (a LIKE on the index table uses it from 3 characters on)."""
    if len(fragment) < 3:
        return Q(phone_digits__contains=fragment)
    from django.db.models.expressions import RawSQL

    # Constant SQL; the digits travel as a parameter.
    sql = "SELECT rowid FROM orders_order_phone_fts WHERE phone_digits LIKE %s"
    return Q(pk__in=RawSQL(sql, [f"%{fragment}%"]))  # noqa: S611


def orders_visible(*, user=None, store_ids: list[int] | None = None) -> QuerySet[Order]:
    """Orders a user (own-orders-only, limited to stores) or an API key (store_ids) may see."""
    qs = Order.objects.all()
    if store_ids is not None:
        qs = qs.filter(store_id__in=store_ids)
    if user is not None and not user.is_superuser:
        user_stores = user_store_ids(user)
        if user_stores is not None:
            qs = qs.filter(store_id__in=user_stores)
        if user.own_orders_only:
            qs = qs.filter(manager_id=user.pk)
    return qs


# What a row of the list shows (orders/templatetags/order_list.py) and what its cursor and the dictionary
# cache need: the JSON columns, comments and money breakdown of an order are not read for the list.
LIST_FIELDS = (
    "id",
    "number",
    "store_id",
    "manager_id",
    "customer_name",
    "phone",
    "total",
    "payment_status",
    "status_id",
    "channel_id",
    "order_type_id",
    "delivery_type_id",
    "cancel_reason_id",
    "needs_attention",
    "overdue_at",
    "is_final",
    "created_at",
    "status_changed_at",
)


def list_queryset(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Rows for the list; their relations come from `attach_related` (see keyset_page)."""
    return qs.only(*LIST_FIELDS)


def attach_related(orders: list[Order]) -> None:
    """Set the relations of loaded orders from the process's caches instead of joining them in: the
    dictionaries (`dictionaries.attach`), the store and the manager."""
    dictionaries.attach(orders)
    attach_store_and_manager(orders)


# --- keyset pagination for the HTML list ----------------------------------------------------


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any] | None:
    try:
        return json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except ValueError:
        return None


def keyset_page(
    qs: QuerySet[Order], *, flt: OrderFilter, cursor: str | None, limit: int
) -> tuple[list[Order], str | None]:
    """A page after `cursor` in the filter's sort order; O(limit) at any depth (no OFFSET, no COUNT)."""
    fields = SORTS.get(flt.sort, SORTS[DEFAULT_SORT])
    key_field = fields[0].lstrip("-")
    descending = fields[0].startswith("-")
    values = _decode(cursor) if cursor else None
    if isinstance(values, list) and len(values) == len(fields) and isinstance(values[-1], int):
        op = "lt" if descending else "gt"
        if len(fields) == 1:
            qs = qs.filter(**{f"id__{op}": values[0]})
        else:
            key = _cursor_key(key_field, values[0])
            if key is not None:  # a cursor from another sort or a tampered one starts from the top
                qs = qs.filter(
                    Q(**{f"{key_field}__{op}": key}) | Q(**{key_field: key, f"id__{op}": values[1]})
                )
    rows = list(qs.order_by(*flt.order_prefix(fields), *fields)[: limit + 1])
    attach_related(rows)
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return rows, None
    last = rows[-1]
    key_values = [last.id] if len(fields) == 1 else [getattr(last, key_field), last.id]
    return rows, _encode(key_values)


def _cursor_key(field: str, raw: Any) -> Any:
    try:
        if field.endswith("_at"):
            return parse_datetime(str(raw))
        if field == "total":
            return Decimal(str(raw))
    except (ValueError, InvalidOperation):
        return None
    return None


def status_counts(qs: QuerySet[Order]) -> dict[int, int]:
    """status id -> orders of `qs` (one grouped count)."""
    return dict(qs.order_by().values_list("status_id").annotate(n=Count("*")))


def group_counters(per_status: dict[int, int]) -> list[dict[str, Any]]:
    """The list's counters: orders per status group, from orders per status."""
    totals: dict[int, int] = {}
    for status_id, n in per_status.items():
        status = dictionaries.by_pk(Status, status_id)
        if status is not None:
            totals[status.group_id] = totals.get(status.group_id, 0) + n
    # The groups (fixed by the defaults migration) from the dictionary cache, in their display order.
    groups = dictionaries.by_code(StatusGroup).values()
    return [{"group": g, "count": totals.get(g.pk, 0)} for g in groups]


def order_card(*, order_id: int, qs: QuerySet[Order]) -> Order:
    order = qs.select_related("customer", "company").prefetch_related("lines", "payments").get(pk=order_id)
    attach_related([order])
    for payment in order.payments.all():  # payment types from the dictionary cache, not a query
        if payment.payment_type_id is not None:
            payment_type = dictionaries.by_pk(PaymentType, payment.payment_type_id)
            if payment_type is not None:
                payment.payment_type = payment_type
    if order.customer is not None and order.customer.store_id == order.store_id:
        order.customer.store = order.store  # for its name order, without another query
    return order


def statuses() -> list[Status]:
    return list(Status.objects.filter(is_active=True).select_related("group"))
