"""Writes of orders: create, edit fields and lines, status changes with stock effects, payments,
assignment. Every write locks the order row, recomputes totals, and records its change and event."""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shopkeeper.catalog.models import Offer, Price
from shopkeeper.core.changes import Actor, Deferred, apply_changes, deferred, record_change, to_jsonable
from shopkeeper.core.scope import memo_scope, memoized, reference
from shopkeeper.customers.normalize import digits_of
from shopkeeper.customers.services import CustomerInput, customer_match_or_create, primary_contacts
from shopkeeper.inventory import services as stock
from shopkeeper.stores.models import Store

from . import counts, dictionaries, totals
from .assignment import Assigner
from .models import (
    CancelReason,
    Channel,
    DeliveryType,
    LineStatus,
    Order,
    OrderLine,
    OrderType,
    Payment,
    PaymentState,
    PaymentType,
    Status,
    StockAction,
    StockState,
    StoreOrderSettings,
    Transition,
)

MAX_LINES = 500


class OrderError(ValidationError):
    """A request that cannot be carried out (illegal transition, final order edit, bad quantity)."""


def transition_refused_text(source: str, target: str) -> str:
    """Why a status change was refused, the two statuses (codes) named in the reader's language."""

    def name(code: str) -> str:
        status = dictionaries.by_code(Status).get(code)
        return _(status.name) if status is not None else str(code)

    return _("An order in status “%(source)s” cannot move to “%(target)s”.") % {
        "source": name(source),
        "target": name(target),
    }


class TransitionNotAllowed(OrderError):
    def __init__(self, order: Order, target: Status, allowed: list[Status]) -> None:
        super().__init__(
            transition_refused_text(order.status.code, target.code), code="transition_not_allowed"
        )
        self.allowed = allowed


# --- inputs ---------------------------------------------------------------------------------


@dataclass
class LineInput:
    quantity: Decimal
    sku: str = ""
    offer_id: int | None = None
    name: str = ""
    price: Decimal | None = None
    discount_amount: Decimal = Decimal(0)
    discount_percent: Decimal = Decimal(0)
    purchase_price: Decimal | None = None


@dataclass
class PaymentInput:
    amount: Decimal
    type: str = ""
    status: str = PaymentState.NOT_PAID
    paid_at: dt.datetime | None = None
    external_id: str = ""
    comment: str = ""


@dataclass
class DeliveryInput:
    type: str = ""
    service: str = ""
    cost: Decimal | None = None
    net_cost: Decimal | None = None
    address: dict[str, Any] = field(default_factory=dict)
    date: dt.date | None = None
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    tracking_number: str = ""
    status: str = ""


@dataclass
class OrderInput:
    store: Store
    lines: list[LineInput] = field(default_factory=list)
    external_id: str = ""
    channel: str = ""
    order_type: str = ""
    status: str = ""
    created_at: dt.datetime | None = None
    customer: CustomerInput | None = None
    customer_id: int | None = None
    company_id: int | None = None
    manager_id: int | None = None
    delivery: DeliveryInput | None = None
    payments: list[PaymentInput] = field(default_factory=list)
    customer_comment: str = ""
    manager_comment: str = ""
    utm: dict[str, Any] = field(default_factory=dict)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    discount_amount: Decimal = Decimal(0)
    discount_percent: Decimal = Decimal(0)
    price_type: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)  # flags from the caller (e.g. "call back")


def problem(
    code: str, message: str = "", params: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """An order's business problem. `detail` is `message` with `params` filled in, in the language of the
    request that found it (the API's callers read it); `params` keep the specifics as data, so that the
    card words the problem in its reader's language (`problem_text`). A decimal is kept as fixed-point
    text, as the caller shaped it (a quantity normalised: 2, not 2.000)."""
    if params is None:
        return {"code": code, "detail": message, **extra}
    params = {k: f"{v:f}" if isinstance(v, Decimal) else v for k, v in params.items()}
    return {"code": code, "detail": message % params, "params": params, **extra}


# --- locking helpers ------------------------------------------------------------------------


def order_lock(order_id: int) -> Order:
    """The order row, locked for the rest of the transaction (PostgreSQL; SQLite serialises writers)."""
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("store", "status__group", "order_type", "customer")
        .get(pk=order_id)
    )


def _take_numbers(store_id: int, n: int) -> list[str]:
    """The next `n` numbers of a store: its counter row moves by `n` in one statement (the row lock is
    held to commit, so numbers are gapless and taken as late as possible in the transaction)."""
    table = StoreOrderSettings._meta.db_table
    with connection.cursor() as cursor:
        for _attempt in range(2):
            cursor.execute(
                f"UPDATE {table} SET last_number = last_number + %s WHERE store_id = %s "  # noqa: S608
                "RETURNING number_prefix, last_number",
                [n, store_id],
            )
            row = cursor.fetchone()
            if row is not None:
                prefix, last = row
                return [f"{prefix}{number}" for number in range(last - n + 1, last + 1)]
            # The store's first order: create its counter row (no savepoint needed if a parallel
            # first order creates it too).
            StoreOrderSettings.objects.bulk_create(
                [StoreOrderSettings(store_id=store_id)], ignore_conflicts=True
            )
    raise RuntimeError("order counter row missing")


def _store_settings(store_id: int) -> tuple[str, bool]:
    """The store's default price type and whether its customers keep their first manager (the
    settings' defaults while the store has no settings row)."""

    def read() -> tuple[str, bool]:
        found = StoreOrderSettings.objects.filter(store_id=store_id).values_list(
            "default_price_type", "customers_keep_manager"
        )
        default = StoreOrderSettings._meta.get_field("default_price_type").get_default()
        return next(iter(found), (default, False))

    return reference(("store_order_settings", store_id), read)


def _customers_take_managers(orders: list[tuple[Order, Actor]]) -> None:
    """In a store whose customers keep their first manager, a customer (and a company) that has none
    takes the manager of their order, once: several orders of one buyer in a batch give them the first
    one's."""
    from shopkeeper.customers.services import take_manager

    seen: set[tuple[str, int]] = set()
    for order, actor in orders:
        if order.manager_id is None:
            continue
        for record in (
            order.customer if order.customer_id else None,
            order.company if order.company_id else None,
        ):
            if (
                record is None
                or record.manager_id is not None
                or (record._meta.model_name, record.pk) in seen
            ):
                continue
            if _store_settings(order.store_id)[1]:
                seen.add((record._meta.model_name, record.pk))
                take_manager(record=record, manager=order.manager, actor=actor)


# --- dictionaries ---------------------------------------------------------------------------


def _by_code(model, code: str, problems: list, problem_code: str, field_name: str):
    if not code:
        return None
    obj = dictionaries.by_code(model).get(code)
    if obj is None:
        problems.append(
            problem(
                problem_code,
                _("“%(code)s” is not a known code."),
                {"code": code},
                field=field_name,
                value=code,
            )
        )
    return obj


def first_status() -> Status:
    return dictionaries.ordered(Status)[0]


def default_order_type() -> OrderType:
    return dictionaries.ordered(OrderType)[0]


# --- lines ----------------------------------------------------------------------------------


def _quantity(value: Any, index: int) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise OrderError({f"lines.{index}.quantity": _("Enter a number.")}) from exc
    if not quantity.is_finite() or quantity <= 0:
        raise OrderError({f"lines.{index}.quantity": _("The quantity must be greater than zero.")})
    if quantity != quantity.quantize(Decimal("0.001")) or quantity >= Decimal("1e10"):
        raise OrderError({f"lines.{index}.quantity": _("Use at most 3 decimal places.")})
    return quantity


@dataclass
class _Catalog:
    """Offers and prices read in one unit of work (a batch of orders reads them once)."""

    by_sku: dict[str, Offer | None] = field(default_factory=dict)
    by_id: dict[int, Offer | None] = field(default_factory=dict)
    prices: dict[tuple[int, str], Decimal] = field(default_factory=dict)
    priced: set[int] = field(default_factory=set)  # offers whose prices of every type are loaded

    def load(self, skus: set[str], ids: set[int]) -> None:
        skus = {s for s in skus if s not in self.by_sku}
        ids = {i for i in ids if i not in self.by_id}
        if not (skus or ids):
            return
        for offer in Offer.objects.filter(Q(sku__in=skus) | Q(pk__in=ids)).select_related("product"):
            self.by_sku[offer.sku] = self.by_id[offer.pk] = offer
        for sku in skus:
            self.by_sku.setdefault(sku, None)
        for pk in ids:
            self.by_id.setdefault(pk, None)

    def load_prices(self, offer_ids: set[int]) -> None:
        missing = offer_ids - self.priced
        if missing:
            for offer_id, code, amount in Price.objects.filter(offer_id__in=missing).values_list(
                "offer_id", "price_type__code", "amount"
            ):
                self.prices[(offer_id, code)] = amount
            self.priced |= missing


def _catalog() -> _Catalog:
    return memoized(("order_catalog",), _Catalog)


def warm_catalog(skus: set[str]) -> None:
    """Read the offers (and their prices) of these SKUs at once for the orders of this unit of work."""
    catalog = _catalog()
    catalog.load({s.strip() for s in skus if s and s.strip()}, set())
    catalog.load_prices({o.pk for o in catalog.by_sku.values() if o is not None})


def _build_lines(order: Order, inputs: list[LineInput], problems: list, start: int = 0) -> list[OrderLine]:
    if len(inputs) > MAX_LINES:
        raise OrderError({"lines": _("An order can have at most %(n)s lines.") % {"n": MAX_LINES}})
    catalog = _catalog()
    catalog.load(
        {line.sku.strip() for line in inputs if line.sku and not line.offer_id},
        {line.offer_id for line in inputs if line.offer_id},
    )
    by_sku, by_id = catalog.by_sku, catalog.by_id
    offers = {
        o.pk
        for o in (by_id.get(ln.offer_id) if ln.offer_id else by_sku.get(ln.sku.strip()) for ln in inputs)
        if o
    }
    catalog.load_prices(offers)
    prices = {
        pk: catalog.prices[(pk, order.price_type)]
        for pk in offers
        if (pk, order.price_type) in catalog.prices
    }
    rows = []
    for i, data in enumerate(inputs):
        quantity = _quantity(data.quantity, i)
        offer = by_id.get(data.offer_id) if data.offer_id else by_sku.get(data.sku.strip())
        if data.offer_id and offer is None:
            raise OrderError({f"lines.{i}.offer_id": _("Unknown offer.")})
        if offer is None and data.sku:
            problems.append(
                problem(
                    "unknown_sku",
                    _("SKU “%(sku)s” is not in the catalog; kept as a free-text line."),
                    {"sku": data.sku},
                    line=start + i,
                    value=data.sku,
                )
            )
        if offer is None and not (data.name or data.sku):
            raise OrderError({f"lines.{i}.name": _("A line needs an offer, a SKU or a name.")})
        catalog_price = prices.get(offer.pk) if offer else None
        price = data.price if data.price is not None else catalog_price
        if price is None:
            price = Decimal(0)
            if offer is not None:
                problems.append(
                    problem(
                        "no_price",
                        _("“%(sku)s” has no price of this price type."),
                        {"sku": offer.sku},
                        line=start + i,
                    )
                )
        price = totals.money(price)
        if price < 0:
            raise OrderError({f"lines.{i}.price": _("The price cannot be negative.")})
        if catalog_price is not None and price != catalog_price:
            problems.append(
                problem(
                    "price_mismatch",
                    _("“%(sku)s” sent at %(sent)s; the catalog says %(catalog)s."),
                    {"sku": offer.sku, "sent": price, "catalog": catalog_price},
                    line=start + i,
                )
            )
        discount_percent = Decimal(data.discount_percent or 0)
        if not Decimal(0) <= discount_percent <= Decimal(100):
            raise OrderError({f"lines.{i}.discount_percent": _("The discount must be between 0 and 100%.")})
        if Decimal(data.discount_amount or 0) < 0:
            raise OrderError({f"lines.{i}.discount_amount": _("The discount cannot be negative.")})
        amounts = totals.line_amounts(
            quantity=quantity,
            price=price,
            discount_amount=Decimal(data.discount_amount or 0),
            discount_percent=discount_percent,
        )
        rows.append(
            OrderLine(
                order=order,
                offer=offer,
                sku=offer.sku if offer else data.sku.strip()[:100],
                name=(data.name or (offer.name if offer else data.sku))[:300],
                quantity=quantity,
                price=price,
                catalog_price=catalog_price,
                discount_amount=totals.money(data.discount_amount or 0),
                discount_percent=discount_percent,
                purchase_price=data.purchase_price
                if data.purchase_price is not None
                else (offer.purchase_price if offer else None),
                total=amounts.total,
                position=start + i,
            )
        )
    return rows


def _recompute(
    order: Order, lines: list[OrderLine] | None = None, payments: list[Payment] | None = None
) -> dict:
    """Recompute totals and payment status from lines and payments; return the changed fields."""
    lines = list(order.lines.all()) if lines is None else lines
    payments = list(order.payments.all()) if payments is None else payments
    active = [ln for ln in lines if ln.status == LineStatus.ACTIVE]
    amounts = totals.order_amounts(
        lines=[
            (
                totals.line_amounts(
                    quantity=ln.quantity,
                    price=ln.price,
                    discount_amount=ln.discount_amount,
                    discount_percent=ln.discount_percent,
                ),
                ln.quantity,
                ln.purchase_price,
            )
            for ln in active
        ],
        discount_amount=order.discount_amount,
        discount_percent=order.discount_percent,
        delivery_cost=order.delivery_cost,
    )
    pay_status, paid = totals.payment_status(
        total=amounts.total, payments=[(p.status, p.amount) for p in payments]
    )
    return apply_changes(
        order,
        {
            "subtotal": amounts.subtotal,
            "discount_total": amounts.discount_total,
            "total": amounts.total,
            "purchase_total": amounts.purchase_total,
            "paid_amount": paid,
            "payment_status": pay_status,
        },
    )


def _order_stock_state(lines: list[OrderLine]) -> str:
    states = {ln.stock_state for ln in lines if ln.status == LineStatus.ACTIVE and ln.offer_id}
    if not states:
        return ""
    for state in (StockState.SHIPPED, StockState.RELEASED):
        if states == {state}:
            return state
    if states <= {StockState.RESERVED}:
        return StockState.RESERVED
    if states <= {StockState.OUT_OF_STOCK}:
        return StockState.OUT_OF_STOCK
    if StockState.RESERVED in states:
        return StockState.PARTIAL
    return StockState.BACKORDERED


def _line_requests(lines: list[OrderLine]) -> list[stock.LineRequest]:
    return [stock.LineRequest(line_id=ln.pk, offer_id=ln.offer_id, quantity=ln.quantity) for ln in lines]


def _take_reservations(
    stocked: list[OrderLine], results: list[stock.LineReservation], key=lambda ln: ln.pk
) -> list[dict]:
    """Put what the stock service reserved onto the lines; return the shortages as problems. `key`:
    how the results name a line (its id, or a placeholder before the line is written)."""
    problems: list[dict] = []
    by_line = {r.line_id: r for r in results}
    for ln in stocked:
        if ln.status != LineStatus.ACTIVE:
            ln.reserved, ln.stock_state = Decimal(0), StockState.RELEASED
            continue
        r = by_line.get(key(ln))
        if r is None:
            continue
        ln.reserved, ln.stock_state = r.reserved, r.status
        if r.status != "reserved":
            problems.append(
                problem(
                    "out_of_stock",
                    _("“%(sku)s”: %(reserved)s of %(quantity)s reserved."),
                    {"sku": ln.sku, "reserved": r.reserved.normalize(), "quantity": ln.quantity.normalize()},
                    line=ln.position,
                )
            )
    return problems


def _apply_stock(order: Order, action: str, actor: Actor, lines: list[OrderLine] | None = None) -> list[dict]:
    """Carry out a status's stock action on the order's lines; return stock problems."""
    lines = list(order.lines.all()) if lines is None else lines
    stocked = [ln for ln in lines if ln.offer_id]
    problems: list[dict] = []
    if not stocked or not action:
        return problems
    if action == StockAction.RESERVE:
        active = [ln for ln in stocked if ln.status == LineStatus.ACTIVE]
        cancelled = [ln.pk for ln in stocked if ln.status != LineStatus.ACTIVE]
        if cancelled:
            stock.stock_release(order_id=order.pk, line_ids=cancelled, actor=actor)
        results = stock.stock_reserve(
            store=order.store, order_id=order.pk, lines=_line_requests(active), actor=actor
        )
        problems += _take_reservations(stocked, results)
    elif action == StockAction.WRITE_OFF:
        stock.stock_write_off(order_id=order.pk, actor=actor)
        for ln in stocked:
            ln.reserved, ln.stock_state = (
                Decimal(0),
                StockState.SHIPPED if ln.status == LineStatus.ACTIVE else StockState.RELEASED,
            )
    elif action == StockAction.RELEASE:
        stock.stock_release(order_id=order.pk, actor=actor)
        for ln in stocked:
            ln.reserved, ln.stock_state = Decimal(0), StockState.RELEASED
    OrderLine.objects.bulk_update(stocked, ["reserved", "stock_state"])
    order.stock_state = _order_stock_state(lines)
    return problems


def _held_stock_action(order: Order) -> str:
    """What a line edit does to stock: while the order holds reservations, keep them in step."""
    if order.stock_state in {"", StockState.SHIPPED, StockState.RELEASED}:
        return StockAction.RESERVE if order.status.stock_action == StockAction.RESERVE else ""
    return StockAction.RESERVE


def _set_problems(order: Order, problems: list[dict], *, replace_codes: set[str] | None = None) -> None:
    kept = [p for p in order.problems if replace_codes is not None and p.get("code") not in replace_codes]
    merged = kept + [p for p in problems if p not in kept]
    order.problems = merged
    order.needs_attention = bool(merged)


def address_text(address: dict[str, Any] | None) -> str:
    """The address as one line: its own `text`, else its parts joined."""
    address = address or {}
    if str(address.get("text") or "").strip():
        return str(address["text"]).strip()[:500]
    parts = ("postcode", "country", "region", "city", "street", "building", "flat")
    return ", ".join(str(address[k]).strip() for k in parts if str(address.get(k) or "").strip())[:500]


def clean_custom_fields(values: dict[str, Any] | None) -> dict[str, Any]:
    """Order custom fields: those defined in Settings are typed and checked; others (data an
    integration sends along, e.g. the form a lead came from) are kept as sent."""
    from shopkeeper.customers.customfields import definitions, validate_custom_fields

    values = values or {}
    defined = {d.code for d in definitions("order")}
    extra = {k: v for k, v in values.items() if k not in defined}
    try:
        cleaned = validate_custom_fields("order", {k: v for k, v in values.items() if k in defined})
    except ValidationError as exc:
        raise OrderError({f"custom_fields.{code}": msgs for code, msgs in exc.message_dict.items()}) from exc
    return {**extra, **cleaned}


def _overdue_at(status: Status, since: dt.datetime) -> dt.datetime | None:
    if status.time_limit_minutes and not status.group.is_final:
        return since + dt.timedelta(minutes=status.time_limit_minutes)
    return None


def _payload(order: Order, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "number": order.number,
        "store": order.store.code,
        "status": order.status.code,
        "customer_id": order.customer_id,
        "company_id": order.company_id,
        "total": str(order.total),
        **extra,
    }


def _related(order: Order) -> dict[str, int | None]:
    return {"customer": order.customer_id, "company": order.company_id}


# --- create ---------------------------------------------------------------------------------


def _payments(order: Order, inputs: list[PaymentInput], problems: list) -> list[Payment]:
    rows = []
    for i, data in enumerate(inputs):
        amount = totals.money(data.amount)
        if amount <= 0:
            raise OrderError({f"payments.{i}.amount": _("The amount must be greater than zero.")})
        if data.status not in PaymentState.values:
            raise OrderError({f"payments.{i}.status": _("Unknown payment status.")})
        payment_type = _by_code(
            PaymentType, data.type, problems, "unknown_payment_type", f"payments.{i}.type"
        )
        paid_at = data.paid_at or (timezone.now() if data.status == PaymentState.PAID else None)
        rows.append(
            Payment(
                order=order,
                payment_type=payment_type,
                type_raw=data.type[:100],
                amount=amount,
                status=data.status,
                paid_at=paid_at,
                external_id=data.external_id[:100],
                comment=data.comment[:300],
            )
        )
    return rows


@dataclass
class _Draft:
    """An order prepared by `order_create` inside a batch: checked, priced, its customer matched and
    its manager picked, but not written yet."""

    order: Order
    lines: list[OrderLine]
    payments: list[Payment]
    problems: list[dict]
    actor: Actor


@dataclass
class OrderBatch:
    assigner: Assigner
    recorded: Deferred
    drafts: list[_Draft] = field(default_factory=list)

    def mark(self) -> tuple[int, int]:
        return len(self.drafts), self.recorded.mark()

    def discard(self, mark: tuple[int, int]) -> None:
        """Forget the orders prepared since `mark` (the caller rolled their writes back)."""
        del self.drafts[mark[0] :]
        self.recorded.discard(mark[1])


_batch: contextvars.ContextVar[OrderBatch | None] = contextvars.ContextVar("order_batch", default=None)


@contextmanager
def creating_together() -> Iterator[OrderBatch]:
    """Create many orders as one set of writes (the batch endpoint). Inside the block `order_create`
    checks and prepares each order (its customer is matched or created at once); when the block ends
    the orders get their numbers and are written with their lines and payments, one statement per
    table, their stock is reserved in one pass, and counts, assignments and history are written
    together. Run it inside a transaction; a caller that wants to survive one order's failure wraps that
    `order_create` in a savepoint and calls `discard(mark())`."""
    if _batch.get() is not None:
        raise RuntimeError("creating_together() blocks do not nest")
    with deferred() as recorded, memo_scope():
        batch = OrderBatch(assigner=Assigner(), recorded=recorded)
        token = _batch.set(batch)
        try:
            yield batch
        finally:
            _batch.reset(token)
        _write_drafts(batch)


def pending_order(store: Store, external_id: str) -> Order | None:
    """An order of the current `creating_together()` block with this external id, not written yet."""
    batch = _batch.get()
    external_id = external_id.strip()[:100]
    if batch is None or not external_id:
        return None
    return next(
        (
            d.order
            for d in batch.drafts
            if d.order.store_id == store.pk and d.order.external_id == external_id
        ),
        None,
    )


@transaction.atomic
def order_create(*, data: OrderInput, actor: Actor) -> Order:
    """Create an order. Business problems (unknown codes or SKUs, price mismatch, no stock, invalid
    phone) never reject it: it is created, flagged with `problems`, and shows in "Needs attention".
    Inside `creating_together()` the order is only prepared; it is written when the block ends."""
    batch = _batch.get()
    if batch is not None:
        draft = _prepare(data, actor, batch.assigner)
        batch.drafts.append(draft)
        return draft.order
    with creating_together() as batch:
        draft = _prepare(data, actor, batch.assigner)
        batch.drafts.append(draft)
    return draft.order


def _prepare(data: OrderInput, actor: Actor, assigner) -> _Draft:
    store = data.store
    problems: list[dict] = [dict(p) for p in data.problems]
    now = timezone.now()
    buyer = data.customer
    if buyer is not None and not any(
        (buyer.first_name, buyer.last_name, buyer.patronymic, buyer.phone, buyer.email, buyer.external_id)
    ):
        data.customer = None  # an empty customer object says nothing about the buyer
    if not data.lines and not (data.customer or data.customer_id):
        raise OrderError({"lines": _("An order needs at least one line or a customer.")})
    status = _by_code(Status, data.status, problems, "unknown_status", "status") if data.status else None
    status = status or first_status()
    order_type = (
        _by_code(OrderType, data.order_type, problems, "unknown_order_type", "order_type")
        or default_order_type()
    )
    channel = _by_code(Channel, data.channel, problems, "unknown_channel", "channel")
    price_type = data.price_type or _store_settings(store.pk)[0]

    customer = None
    if data.customer_id:
        from shopkeeper.customers.models import Customer

        customer = Customer.objects.filter(pk=data.customer_id, store=store).first()
        if customer is None:
            raise OrderError({"customer_id": _("No such customer in this store.")})
        customer.store = store  # loaded already (its name order, phone region)
    elif data.customer is not None:
        customer, customer_problems = customer_match_or_create(store=store, data=data.customer, actor=actor)
        problems += [problem(code) for code in customer_problems]
    company = None
    if data.company_id:
        from shopkeeper.customers.models import Company

        company = Company.objects.filter(pk=data.company_id, store=store).first()
        if company is None:
            raise OrderError({"company_id": _("No such company in this store.")})
        price_type = data.price_type or company.price_type or price_type

    delivery = data.delivery or DeliveryInput()
    delivery_type = _by_code(DeliveryType, delivery.type, problems, "unknown_delivery_type", "delivery.type")
    delivery_cost = (
        delivery.cost
        if delivery.cost is not None
        else (delivery_type.default_cost if delivery_type else Decimal(0))
    )
    phone, email = primary_contacts(customer) if customer is not None else ("", "")
    if data.customer is not None:
        phone = phone or data.customer.phone
        email = email or data.customer.email
    custom_fields = data.custom_fields or {}
    if custom_fields:
        try:
            custom_fields = clean_custom_fields(custom_fields)
        except OrderError as exc:  # kept as sent; a person fixes it on the card
            problems += [
                problem(
                    "invalid_custom_field",
                    "%(field)s: %(error)s",
                    {"field": key.removeprefix("custom_fields."), "error": "; ".join(errors)},
                )
                for key, errors in exc.message_dict.items()
            ]
    created_at = data.created_at or now
    order = Order(
        store=store,
        external_id=data.external_id.strip()[:100],
        customer=customer,
        company=company,
        manager_id=data.manager_id,
        channel=channel,
        order_type=order_type,
        status=status,
        status_changed_at=now,
        is_cancelled=status.group.is_cancelled,
        is_final=status.group.is_final,
        overdue_at=_overdue_at(status, now),
        customer_name=(customer.full_name if customer else "")[:310],
        phone=phone[:40],
        phone_digits=digits_of(phone)[:20],
        email=email[:254],
        price_type=price_type,
        discount_amount=totals.money(data.discount_amount or 0),
        discount_percent=Decimal(data.discount_percent or 0),
        delivery_cost=totals.money(delivery_cost),
        delivery_type=delivery_type,
        delivery_service=delivery.service[:100],
        delivery_address=delivery.address or {},
        delivery_address_text=address_text(delivery.address),
        delivery_date=delivery.date,
        delivery_time_from=delivery.time_from,
        delivery_time_to=delivery.time_to,
        delivery_net_cost=totals.money(delivery.net_cost or 0),
        tracking_number=delivery.tracking_number[:100],
        delivery_status=delivery.status[:50],
        customer_comment=data.customer_comment,
        manager_comment=data.manager_comment,
        utm=data.utm or {},
        custom_fields=custom_fields,
        created_at=created_at,
        updated_at=now,
    )
    if not Decimal(0) <= order.discount_percent <= Decimal(100):
        raise OrderError({"discount_percent": _("The discount must be between 0 and 100%.")})
    lines = _build_lines(order, data.lines, problems)
    payments = _payments(order, data.payments, problems)
    _recompute(order, lines, payments)
    if order.manager_id is None:
        order.manager = assigner.pick(order)
    return _Draft(order=order, lines=lines, payments=payments, problems=problems, actor=actor)


def _holds_stock(status: Status) -> bool:
    """An order holds stock from creation until it ships or is cancelled, whatever open status it is
    created in (an integration may send one already confirmed); created as shipped, it writes off."""
    return status.stock_action in {StockAction.RESERVE, StockAction.WRITE_OFF} or not (
        status.stock_action or status.group.is_final
    )


def _write_drafts(batch: OrderBatch) -> None:
    _insert_drafts(batch.drafts)
    batch.assigner.flush()
    _customers_take_managers([(d.order, d.actor) for d in batch.drafts])


def _insert_drafts(drafts: list[_Draft]) -> None:
    if not drafts:
        return
    by_store: dict[int, list[Order]] = {}
    for d in drafts:
        by_store.setdefault(d.order.store_id, []).append(d.order)
    for store_id in sorted(by_store):  # counter rows locked in one order by every writer
        numbers = _take_numbers(store_id, len(by_store[store_id]))
        for order, number in zip(by_store[store_id], numbers, strict=True):
            order.number = number
    plans = _plan_stock(drafts)
    for d in drafts:
        d.order.stock_state = _order_stock_state(d.lines)
        _set_problems(d.order, d.problems)
    Order.objects.bulk_create([d.order for d in drafts])
    OrderLine.objects.bulk_create([ln for d in drafts for ln in d.lines])
    Payment.objects.bulk_create([p for d in drafts for p in d.payments])
    for plan, keys in plans:
        plan.write(ids={key: obj.pk for key, obj in keys.items()})
    for d in drafts:
        if d.order.status.stock_action == StockAction.WRITE_OFF:  # created as shipped
            _apply_stock(d.order, StockAction.WRITE_OFF, d.actor, d.lines)
            d.order.save(update_fields=["stock_state"])
    per_status: dict[tuple[int, int], int] = {}
    for d in drafts:
        key = (d.order.store_id, d.order.status_id)
        per_status[key] = per_status.get(key, 0) + 1
    counts.add_many(per_status)
    for d in drafts:
        order = d.order
        record_change(
            entity="order",
            entity_id=order.pk,
            action="created",
            actor=d.actor,
            related=_related(order),
            changes={
                "number": [None, order.number],
                "status": [None, order.status.code],
                "total": [None, order.total],
                "lines": [None, [f"{ln.sku or ln.name} × {ln.quantity.normalize()}" for ln in d.lines]],
            },
            event="order.created",
            payload=_payload(order, problems=[p["code"] for p in order.problems]),
        )


def _plan_stock(drafts: list[_Draft]) -> list[tuple[stock.ReservationPlan, dict[int, Order | OrderLine]]]:
    """Work out the new orders' reservations before they are written (each order in its turn), so
    their lines and problems are inserted final. The orders have no ids yet: the plan uses negative
    placeholders, `keys` maps them to the objects whose ids replace them after the insert."""
    holding = [d for d in drafts if _holds_stock(d.order.status) and any(ln.offer_id for ln in d.lines)]
    by_actor: dict[Actor, list[_Draft]] = {}
    for d in holding:
        by_actor.setdefault(d.actor, []).append(d)
    plans = []
    keys: dict[int, Order | OrderLine] = {}
    for actor, group in by_actor.items():
        requests, line_keys = [], {}
        for d in group:
            order_key = -(len(keys) + 1)
            keys[order_key] = d.order
            stocked = [ln for ln in d.lines if ln.offer_id]
            line_requests = []
            for ln in stocked:
                line_key = -(len(keys) + 1)
                keys[line_key] = ln
                line_keys[id(ln)] = line_key
                line_requests.append(
                    stock.LineRequest(line_id=line_key, offer_id=ln.offer_id, quantity=ln.quantity)
                )
            requests.append(
                stock.OrderRequest(
                    store=d.order.store,
                    order_id=order_key,
                    lines=line_requests,
                    offers={ln.offer_id: ln.offer for ln in stocked},
                )
            )
        plan = stock.stock_plan(orders=requests, actor=actor, new_lines=True)
        for d, request in zip(group, requests, strict=True):
            stocked = [ln for ln in d.lines if ln.offer_id]
            d.problems += _take_reservations(
                stocked, plan.results[request.order_id], key=lambda ln: line_keys[id(ln)]
            )
        plans.append((plan, keys))
    return plans


# --- edits ----------------------------------------------------------------------------------


EDITABLE_FIELDS = {
    "customer_comment",
    "manager_comment",
    "delivery_service",
    "delivery_address",
    "delivery_address_text",
    "delivery_date",
    "delivery_time_from",
    "delivery_time_to",
    "delivery_cost",
    "delivery_net_cost",
    "tracking_number",
    "delivery_status",
    "discount_amount",
    "discount_percent",
    "utm",
    "custom_fields",
    "delivery_type",
    "channel",
    "manager",
    "cancel_reason",
    "external_id",
    "company",
    "customer",
}
MONEY_FIELDS = {"delivery_cost", "delivery_net_cost", "discount_amount"}


def _assert_editable(order: Order) -> None:
    if order.is_final:
        raise OrderError(
            _("Order %(number)s is in a final status; its content cannot change.") % {"number": order.number},
            code="order_final",
        )


@transaction.atomic
def order_update(*, order: Order, actor: Actor, **values: Any) -> Order:
    """Change order fields (not lines, status or payments: those have their own services)."""
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise OrderError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    order = order_lock(order.pk)
    content = set(values) - {
        "manager_comment",
        "manager",
        "tracking_number",
        "delivery_status",
        "cancel_reason",
    }
    if content:
        _assert_editable(order)
    for name in MONEY_FIELDS & set(values):
        values[name] = totals.money(values[name] or 0)
        if values[name] < 0:
            raise OrderError({name: _("The amount cannot be negative.")})
    if "discount_percent" in values:
        values["discount_percent"] = Decimal(values["discount_percent"] or 0)
        if not Decimal(0) <= values["discount_percent"] <= Decimal(100):
            raise OrderError({"discount_percent": _("The discount must be between 0 and 100%.")})
    if "custom_fields" in values:
        values["custom_fields"] = clean_custom_fields(values["custom_fields"])
    if "delivery_address" in values and "delivery_address_text" not in values:
        values["delivery_address_text"] = address_text(values["delivery_address"])
    if "customer" in values and values["customer"] is not None:
        customer = values["customer"]
        phone, email = primary_contacts(customer)
        values.update(customer_name=customer.full_name[:310], phone=phone, email=email)
        values["phone_digits"] = digits_of(values["phone"])
    previous_customer = order.customer_id
    changed = apply_changes(order, values)
    changed.update(_recompute(order))
    if changed:
        order.updated_at = timezone.now()
        order.save(update_fields=[*changed, "updated_at"])
        record_change(
            entity="order",
            entity_id=order.pk,
            action="updated",
            actor=actor,
            changes=changed,
            related=_related(order),
            event="order.updated",
            payload=_payload(order, fields=sorted(changed), previous_customer_id=previous_customer),
        )
        if "manager" in changed:
            _customers_take_managers([(order, actor)])
    return order


@transaction.atomic
def order_set_lines(
    *, order: Order, lines: list[LineInput], actor: Actor, keep_ids: dict[int, LineInput] | None = None
) -> Order:
    """Replace the order's lines: `keep_ids` maps existing line ids to their new values; other
    existing lines are cancelled; `lines` are added. Stock held follows the new quantities."""
    order = order_lock(order.pk)
    _assert_editable(order)
    keep_ids = keep_ids or {}
    existing = list(order.lines.all())
    before = [
        f"{ln.sku or ln.name} × {ln.quantity.normalize()}"
        for ln in existing
        if ln.status == LineStatus.ACTIVE
    ]
    problems: list[dict] = []
    for i, ln in enumerate(existing):
        if ln.status != LineStatus.ACTIVE:
            continue
        data = keep_ids.get(ln.pk)
        if data is None:
            ln.status = LineStatus.CANCELLED
            continue
        ln.quantity = _quantity(data.quantity, i)
        if data.price is not None:
            ln.price = totals.money(data.price)
            if ln.price < 0:
                raise OrderError({f"lines.{i}.price": _("The price cannot be negative.")})
        ln.discount_amount = totals.money(data.discount_amount or 0)
        ln.discount_percent = Decimal(data.discount_percent or 0)
        if ln.discount_amount < 0 or not Decimal(0) <= ln.discount_percent <= Decimal(100):
            raise OrderError({f"lines.{i}.discount_percent": _("The discount must be between 0 and 100%.")})
        ln.total = totals.line_amounts(
            quantity=ln.quantity,
            price=ln.price,
            discount_amount=ln.discount_amount,
            discount_percent=ln.discount_percent,
        ).total
    OrderLine.objects.bulk_update(
        existing, ["status", "quantity", "price", "discount_amount", "discount_percent", "total"]
    )
    added = _build_lines(order, lines, problems, start=len(existing))
    OrderLine.objects.bulk_create(added)
    all_lines = existing + added
    if not any(ln.status == LineStatus.ACTIVE for ln in all_lines):
        raise OrderError({"lines": _("An order needs at least one line.")})
    changed = _recompute(order, all_lines)
    problems += _apply_stock(order, _held_stock_action(order), actor, all_lines)
    _set_problems(
        order, problems, replace_codes={"out_of_stock", "unknown_sku", "price_mismatch", "no_price"}
    )
    order.updated_at = timezone.now()
    order.save()
    after = [
        f"{ln.sku or ln.name} × {ln.quantity.normalize()}"
        for ln in all_lines
        if ln.status == LineStatus.ACTIVE
    ]
    changed["lines"] = [before, after]
    record_change(
        entity="order",
        entity_id=order.pk,
        action="lines_changed",
        actor=actor,
        changes=changed,
        related=_related(order),
        event="order.updated",
        payload=_payload(order, fields=["lines"]),
    )
    return order


def transition_matrix(order_type_id: int | None) -> dict[int, list[tuple[int, frozenset[int]]]] | None:
    """The matrix of an order type: source status id -> [(target id, role ids; empty for every role)],
    or None when the type has no matrix (any active status may follow any). Two queries."""
    rows = list(
        Transition.objects.filter(order_type_id=order_type_id).values_list("pk", "source_id", "target_id")
    )
    if not rows:
        return None
    roles: dict[int, set[int]] = {}
    through = Transition.roles.through.objects.filter(transition_id__in=[pk for pk, _s, _t in rows])
    for transition_id, group_id in through.values_list("transition_id", "group_id"):
        roles.setdefault(transition_id, set()).add(group_id)
    matrix: dict[int, list[tuple[int, frozenset[int]]]] = {}
    for pk, source, target in rows:
        matrix.setdefault(source, []).append((target, frozenset(roles.get(pk, ()))))
    return matrix


def _allowed_ids(order: Order, user, *, cached: bool) -> set[int] | None:
    """Ids of the statuses the matrix lets the order move to (for this user's roles when given), or
    None when its type has no matrix."""
    if cached:
        matrix = reference(
            ("transitions", order.order_type_id), lambda: transition_matrix(order.order_type_id)
        )
    else:
        matrix = transition_matrix(order.order_type_id)
    if matrix is None:
        return None
    targets = matrix.get(order.status_id, [])
    if user is not None and not user.is_superuser:
        groups = set(user.groups.values_list("pk", flat=True))
        targets = [(target, roles) for target, roles in targets if not roles or roles & groups]
    return {target for target, _roles in targets}


def allowed_targets(order: Order, user=None, *, cached: bool = False) -> list[Status]:
    """Active statuses the order may move to now (for this user's role when given), in display order.

    `cached` reads the matrix from the process's reference cache: what a card offers (a change in
    Settings shows within seconds). A status change reads it fresh."""
    if order.is_final:
        return []
    ids = _allowed_ids(order, user, cached=cached)
    return [
        s for s in dictionaries.ordered(Status) if s.pk != order.status_id and (ids is None or s.pk in ids)
    ]


@transaction.atomic
def order_set_status(
    *,
    order: Order,
    status: Status,
    actor: Actor,
    user=None,
    comment: str = "",
    cancel_reason: CancelReason | None = None,
) -> Order:
    order = order_lock(order.pk)
    if status.pk == order.status_id:
        return order
    ids = None if order.is_final else _allowed_ids(order, user, cached=False)
    if order.is_final or not status.is_active or (ids is not None and status.pk not in ids):
        raise TransitionNotAllowed(order, status, allowed_targets(order, user))
    old = order.status
    now = timezone.now()
    order.status = status
    order.status_changed_at = now
    order.is_cancelled = status.group.is_cancelled
    order.is_final = status.group.is_final
    order.overdue_at = _overdue_at(status, now)
    changed: dict[str, list] = {"status": [old.code, status.code]}
    if user is not None and order.manager_id is None and user.is_active:
        # The person who first works an unassigned order takes it (it stops showing as unassigned).
        order.manager = user
        changed["manager"] = [None, user.get_username()]
    if cancel_reason is not None and cancel_reason.pk != order.cancel_reason_id:
        changed["cancel_reason"] = [order.cancel_reason_id, cancel_reason.code]
        order.cancel_reason = cancel_reason
    problems = _apply_stock(order, status.stock_action, actor)
    if status.stock_action:
        changed["stock_state"] = ["", order.stock_state]
    _set_problems(order, problems, replace_codes={"out_of_stock"} if status.stock_action else set())
    if status.group.is_final:
        order.problems, order.needs_attention = [], False
    order.updated_at = now
    order.save()
    counts.move(store_id=order.store_id, old_status_id=old.pk, new_status_id=status.pk)
    if comment:
        changed["comment"] = [None, comment]
    record_change(
        entity="order",
        entity_id=order.pk,
        action="status_changed",
        actor=actor,
        changes=changed,
        related=_related(order),
        event="order.status_changed",
        payload=_payload(order, previous_status=old.code, comment=comment),
    )
    if "manager" in changed:
        _customers_take_managers([(order, actor)])
    return order


@transaction.atomic
def order_comment(*, order: Order, text: str, actor: Actor) -> None:
    text = text.strip()
    if not text:
        raise OrderError({"text": _("Write something first.")})
    record_change(
        entity="order",
        entity_id=order.pk,
        action="commented",
        actor=actor,
        changes={"comment": [None, text[:4000]]},
        related=_related(order),
    )


# --- payments -------------------------------------------------------------------------------


@transaction.atomic
def payment_add(*, order: Order, data: PaymentInput, actor: Actor) -> Payment:
    order = order_lock(order.pk)
    problems: list[dict] = []
    payment = _payments(order, [data], problems)[0]
    payment.save()
    changed = _recompute(order)
    _set_problems(order, problems, replace_codes=set())
    order.updated_at = timezone.now()
    order.save()
    changed["payment"] = [
        None,
        {"id": payment.pk, "amount": payment.amount, "status": payment.status, "type": payment.type_raw},
    ]
    event = "payment.received" if payment.status == PaymentState.PAID else "order.updated"
    record_change(
        entity="order",
        entity_id=order.pk,
        action="payment_added",
        actor=actor,
        changes=changed,
        related=_related(order),
        event=event,
        payload=_payload(
            order, payment_id=payment.pk, amount=str(payment.amount), payment_status=order.payment_status
        ),
    )
    return payment


@transaction.atomic
def payment_update(*, payment: Payment, actor: Actor, **values: Any) -> Payment:
    order = order_lock(payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if "status" in values and values["status"] not in PaymentState.values:
        raise OrderError({"status": _("Unknown payment status.")})
    if "amount" in values:
        values["amount"] = totals.money(values["amount"])
        if values["amount"] <= 0:
            raise OrderError({"amount": _("The amount must be greater than zero.")})
    if values.get("status") == PaymentState.PAID and not payment.paid_at and "paid_at" not in values:
        values["paid_at"] = timezone.now()
    changed = apply_changes(
        payment,
        {k: v for k, v in values.items() if k in {"status", "amount", "paid_at", "comment", "external_id"}},
    )
    if not changed:
        return payment
    payment.save(update_fields=list(changed))
    order_changes = _recompute(order)
    order.updated_at = timezone.now()
    order.save()
    order_changes[f"payment.{payment.pk}"] = [None, to_jsonable(changed)]
    event = (
        "payment.received" if changed.get("status", [None, None])[1] == PaymentState.PAID else "order.updated"
    )
    record_change(
        entity="order",
        entity_id=order.pk,
        action="payment_changed",
        actor=actor,
        changes=order_changes,
        related=_related(order),
        event=event,
        payload=_payload(order, payment_id=payment.pk, payment_status=order.payment_status),
    )
    return payment


# --- assignment -----------------------------------------------------------------------------


@transaction.atomic
def order_assign(*, order: Order, manager, actor: Actor) -> Order:
    return order_update(order=order, actor=actor, manager=manager)
