"""Stock writes: adjustments, receipts, transfers and the reservation service the orders app calls.

Every write locks the stock rows it touches in primary-key order (`_lock_levels`), re-reads them inside
the lock and only then decides; it never checks first and writes later. On PostgreSQL that is
`SELECT ... FOR UPDATE`; on SQLite the IMMEDIATE transaction already serialises writers.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shopkeeper.catalog.models import Offer
from shopkeeper.core.changes import Actor, record_change, update_recorded
from shopkeeper.core.db import bulk_update
from shopkeeper.core.scope import reference
from shopkeeper.stores.models import ReservationStrategy, Store

from .models import Movement, MovementKind, Reservation, StockLevel, StoreWarehouse, Warehouse

ZERO = Decimal("0")
QUANTUM = Decimal("0.001")
FRACTIONAL_UNITS = {"kg", "g", "l", "ml", "m", "m2", "m3"}
MAX_QUANTITY = Decimal("99999999999")
RETRIES = 5

RESERVED = "reserved"
BACKORDERED = "backordered"
OUT_OF_STOCK = "out_of_stock"


@dataclass(frozen=True)
class LineRequest:
    line_id: int
    offer_id: int
    quantity: Decimal | int


@dataclass(frozen=True)
class LineReservation:
    line_id: int
    requested: Decimal
    reserved: Decimal
    status: str  # "reserved" | "backordered" | "out_of_stock"


# --- helpers ------------------------------------------------------------------------------------


def _is_retryable(exc: OperationalError) -> bool:
    code = getattr(getattr(exc, "__cause__", None), "sqlstate", None) or getattr(exc, "pgcode", None)
    if code in {"40001", "40P01"}:  # serialization failure, deadlock detected
        return True
    return "database is locked" in str(exc)


def retrying[T](fn: Callable[..., T]) -> Callable[..., T]:
    """Run `fn` (which opens its own transaction) again after a serialization failure or deadlock.

    Inside a caller's transaction a retry is impossible (the whole outer transaction is aborted), so
    there the error propagates to whoever owns the transaction.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        if connection.in_atomic_block:
            return fn(*args, **kwargs)
        for attempt in range(RETRIES):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if attempt == RETRIES - 1 or not _is_retryable(exc):
                    raise
                time.sleep(0.005 * (2**attempt))
        raise AssertionError("unreachable")

    return wrapper


def clean_quantity(
    value: Any, *, offer: Offer | None = None, field: str = "quantity", allow_negative: bool = False
) -> Decimal:
    """A quantity as Decimal, or ValidationError naming `field`: finite, 3 decimals, whole for pieces."""
    try:
        qty = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number.")}, code="invalid") from None
    if isinstance(value, bool) or not qty.is_finite():
        raise ValidationError({field: _("Enter a number.")}, code="invalid")
    if abs(qty) >= MAX_QUANTITY:
        raise ValidationError({field: _("The quantity is too large.")}, code="invalid")
    if qty != qty.quantize(QUANTUM):
        raise ValidationError({field: _("Use at most three decimal places.")}, code="invalid")
    if offer is not None and offer.unit not in FRACTIONAL_UNITS and qty != qty.to_integral_value():
        raise ValidationError({field: _("This offer is counted in whole units.")}, code="not_integer")
    if qty < 0 and not allow_negative:
        raise ValidationError({field: _("The quantity must be positive.")}, code="negative")
    if qty == 0:
        raise ValidationError({field: _("The quantity must not be zero.")}, code="zero")
    return qty.quantize(QUANTUM)


def _lock_levels(
    pairs: Iterable[tuple[int, int]], *, create: bool = False
) -> dict[tuple[int, int], StockLevel]:
    """Lock the stock rows of (offer_id, warehouse_id) pairs in primary-key order; optionally create them."""
    pairs = set(pairs)
    if not pairs:
        return {}
    if create:
        existing = set(
            StockLevel.objects.filter(
                offer_id__in={o for o, _w in pairs}, warehouse_id__in={w for _o, w in pairs}
            ).values_list("offer_id", "warehouse_id")
        )
        for offer_id, warehouse_id in sorted(pairs - existing):
            try:
                with transaction.atomic():
                    StockLevel.objects.create(offer_id=offer_id, warehouse_id=warehouse_id)
            except IntegrityError:
                pass  # created by a concurrent writer; we lock it below
    offer_ids = {o for o, _w in pairs}
    warehouse_ids = {w for _o, w in pairs}
    rows = (
        StockLevel.objects.select_for_update()
        .filter(offer_id__in=offer_ids, warehouse_id__in=warehouse_ids)
        .order_by("pk")
    )
    return {(r.offer_id, r.warehouse_id): r for r in rows if (r.offer_id, r.warehouse_id) in pairs}


class _Ledger:
    """Collects movements and stock row updates of one service call and writes them in bulk."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.at = timezone.now()
        self.movements: list[Movement] = []
        self.dirty: dict[int, StockLevel] = {}

    def move(
        self,
        level: StockLevel,
        kind: str,
        *,
        on_hand: Decimal = ZERO,
        reserved: Decimal = ZERO,
        reason: str = "",
        order_id: int | None = None,
        line_id: int | None = None,
    ) -> Movement:
        level.on_hand += on_hand
        level.reserved += reserved
        if level.reserved < 0 or level.reserved > level.on_hand:
            raise ValidationError(_("Not enough free stock for this operation."), code="insufficient_stock")
        self.dirty[level.pk] = level
        movement = Movement(
            at=self.at,
            kind=kind,
            offer_id=level.offer_id,
            warehouse_id=level.warehouse_id,
            on_hand_delta=on_hand,
            reserved_delta=reserved,
            reason=reason[:300],
            order_id=order_id,
            order_line_id=line_id,
            actor_type=self.actor.type,
            actor_id=self.actor.id,
            actor_label=self.actor.label[:150],
        )
        self.movements.append(movement)
        return movement

    def flush(self) -> None:
        if self.dirty:
            bulk_update(list(self.dirty.values()), ["on_hand", "reserved"])
        if self.movements:
            Movement.objects.bulk_create(self.movements)


# --- manual stock operations --------------------------------------------------------------------


ADJUST_KINDS = {MovementKind.ADJUSTMENT, MovementKind.RECEIPT, MovementKind.WRITE_OFF}


@retrying
@transaction.atomic
def stock_adjust(
    *,
    offer: Offer,
    warehouse: Warehouse,
    delta: Decimal | int | str,
    reason: str,
    kind: str = MovementKind.ADJUSTMENT,
    actor: Actor,
) -> Movement:
    """Change the on-hand stock of an offer in a warehouse. Receipts add, write-offs remove."""
    if kind not in ADJUST_KINDS:
        raise ValidationError({"kind": _("Unknown adjustment kind.")})
    qty = clean_quantity(delta, offer=offer, field="delta", allow_negative=kind == MovementKind.ADJUSTMENT)
    if kind == MovementKind.RECEIPT and qty < 0:
        raise ValidationError({"delta": _("A receipt adds stock: use a positive quantity.")})
    if kind == MovementKind.WRITE_OFF:
        qty = -abs(qty)
    if offer.product.is_service:
        raise ValidationError({"sku": _("Services have no stock.")}, code="service")
    if not (reason or "").strip() and kind == MovementKind.ADJUSTMENT:
        raise ValidationError({"reason": _("Say why the stock is adjusted.")}, code="required")
    level = _lock_levels([(offer.pk, warehouse.pk)], create=True)[(offer.pk, warehouse.pk)]
    before = level.on_hand
    ledger = _Ledger(actor)
    if level.on_hand + qty < level.reserved:
        raise ValidationError(
            {
                "delta": _("Only %(free)s are free to remove; the rest is reserved for orders.")
                % {"free": level.on_hand - level.reserved}
            },
            code="insufficient_stock",
        )
    movement = ledger.move(level, kind, on_hand=qty, reason=reason.strip())
    ledger.flush()
    record_change(
        entity="offer",
        entity_id=offer.pk,
        action=f"stock_{kind}",
        actor=actor,
        changes={f"stock.{warehouse.code}.on_hand": [before, level.on_hand]},
        event="stock.changed",
        payload={
            "sku": offer.sku,
            "warehouse": warehouse.code,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "kind": kind,
        },
    )
    return movement


@retrying
@transaction.atomic
def stock_transfer(
    *,
    offer: Offer,
    source: Warehouse,
    target: Warehouse,
    quantity: Decimal | int | str,
    actor: Actor,
    reason: str = "",
) -> None:
    """Move free stock from one warehouse to another (two ledger rows, one change)."""
    qty = clean_quantity(quantity, offer=offer)
    if source.pk == target.pk:
        raise ValidationError({"target": _("Choose a different warehouse to transfer to.")})
    if offer.product.is_service:
        raise ValidationError({"sku": _("Services have no stock.")}, code="service")
    levels = _lock_levels([(offer.pk, source.pk), (offer.pk, target.pk)], create=True)
    src, dst = levels[(offer.pk, source.pk)], levels[(offer.pk, target.pk)]
    if src.on_hand - src.reserved < qty:
        raise ValidationError(
            {
                "quantity": _("Only %(free)s are free in %(warehouse)s.")
                % {"free": src.on_hand - src.reserved, "warehouse": source.name}
            },
            code="insufficient_stock",
        )
    ledger = _Ledger(actor)
    ledger.move(src, MovementKind.TRANSFER_OUT, on_hand=-qty, reason=reason or f"→ {target.code}")
    ledger.move(dst, MovementKind.TRANSFER_IN, on_hand=qty, reason=reason or f"← {source.code}")
    ledger.flush()
    record_change(
        entity="offer",
        entity_id=offer.pk,
        action="stock_transfer",
        actor=actor,
        changes={"transfer": [source.code, target.code], "quantity": [None, qty]},
        event="stock.changed",
        payload={"sku": offer.sku, "from": source.code, "to": target.code, "quantity": qty},
    )


# --- reservations (called by orders) --------------------------------------------------------------


def store_warehouses(store: Store) -> list[Warehouse]:
    """The warehouses a store ships from in its priority order; all active ones if none are linked."""
    links = list(
        StoreWarehouse.objects.filter(store=store, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("priority", "warehouse__priority", "warehouse__code")
    )
    if links:
        return [link.warehouse for link in links]
    return list(Warehouse.objects.filter(is_active=True).order_by("priority", "code"))


@dataclass
class OrderRequest:
    """One order's lines to reserve (see `stock_plan`)."""

    store: Store
    order_id: int
    lines: list[LineRequest]
    offers: dict[int, Offer] | None = None


@retrying
@transaction.atomic
def stock_reserve(
    *,
    store: Store,
    order_id: int,
    lines: list[LineRequest],
    actor: Actor,
    offers: dict[int, Offer] | None = None,
    new_lines: bool = False,
) -> list[LineReservation]:
    """Reserve each line from the store's warehouses; idempotent per (order, line).

    Re-reserving a line tops it up or reduces it to the requested quantity. Shortage never raises: the
    line is reserved partially (`backordered`) or not at all (`out_of_stock`). A caller that has the
    offers (with their products) loaded may pass them; `new_lines` says the lines were created in this
    transaction, so they hold nothing yet.
    """
    request = OrderRequest(store=store, order_id=order_id, lines=lines, offers=offers)
    return stock_plan(orders=[request], actor=actor, new_lines=new_lines).write()[order_id]


@dataclass
class ReservationPlan:
    """Reservations worked out on locked stock rows but not written yet (see `stock_plan`)."""

    actor: Actor
    orders: list[OrderRequest]
    offers: dict[int, Offer]
    results: dict[int, list[LineReservation]]
    ledger: _Ledger
    touched: list[Reservation]
    created: list[Reservation]
    moved: set[int]

    def write(self, ids: dict[int, int] | None = None) -> dict[int, list[LineReservation]]:
        """Write the ledger, the reservations and each order's history. `ids` replaces the placeholder
        order and line ids of orders that were not written when the plan was made."""

        def real(key: int | None) -> int | None:
            return ids.get(key, key) if ids and key is not None else key

        if ids:
            for m in self.ledger.movements:
                m.order_id, m.order_line_id = real(m.order_id), real(m.order_line_id)
            for r in self.created:
                r.order_id, r.line_id = real(r.order_id), real(r.line_id)
        results = {
            real(key): [dataclasses.replace(r, line_id=real(r.line_id)) for r in rows]
            for key, rows in self.results.items()
        }
        for o in self.orders:
            if o.order_id not in self.moved:
                continue
            order_id = real(o.order_id)
            result = results[order_id]
            offer_of = {real(ln.line_id): self.offers[ln.offer_id] for ln in o.lines}
            record_change(
                entity="order",
                entity_id=order_id,
                action="stock_reserved",
                actor=self.actor,
                changes={"reservations": [None, _reserved_text(result, offer_of)]},
                event="stock.reserved",
                payload={"order_id": order_id, "lines": [r.__dict__ for r in result]},
            )
        self.ledger.flush()
        if self.touched:
            Reservation.objects.bulk_update(list({id(r): r for r in self.touched}.values()), ["quantity"])
        if self.created:
            Reservation.objects.bulk_create(self.created)
        return results


def stock_plan(*, orders: list[OrderRequest], actor: Actor, new_lines: bool = False) -> ReservationPlan:
    """Lock the stock rows the orders need (in one statement, primary-key order) and work out what each
    order takes, in the given order; nothing is written until `write()`. With `new_lines` the orders
    hold nothing yet, and their order and line ids may be placeholders (distinct numbers, e.g.
    negative) that `write(ids=...)` replaces once the caller has written the orders. Call it inside
    the caller's transaction, which keeps the rows locked until it commits."""
    offers: dict[int, Offer] = {}
    for o in orders:
        offers.update(o.offers or {})
    wanted = {line.offer_id for o in orders for line in o.lines}
    if not wanted <= offers.keys():
        offers.update(Offer.objects.select_related("product").in_bulk(wanted - offers.keys()))
    requests: dict[int, list[tuple[LineRequest, Decimal]]] = {}
    for o in orders:
        requests[o.order_id] = []
        for i, line in enumerate(o.lines):
            offer = offers.get(line.offer_id)
            if offer is None:
                raise ValidationError({f"lines.{i}.offer_id": _("Unknown offer.")}, code="unknown_offer")
            quantity = clean_quantity(line.quantity, offer=offer, field=f"lines.{i}.quantity")
            requests[o.order_id].append((line, quantity))

    warehouses_of: dict[int, list[Warehouse]] = {}
    for o in orders:
        if o.store.pk not in warehouses_of:
            warehouses_of[o.store.pk] = reference(
                ("store_warehouses", o.store.pk), lambda store=o.store: store_warehouses(store)
            )
    order_ids = [o.order_id for o in orders]
    line_ids = [line.line_id for reqs in requests.values() for line, _q in reqs]
    held = [] if new_lines else list(Reservation.objects.filter(order_id__in=order_ids, line_id__in=line_ids))
    stocked = {o.pk for o in offers.values() if not o.product.is_service}
    pairs = {(r.offer_id, r.warehouse_id) for r in held}
    for o in orders:
        pairs |= {
            (line.offer_id, w.pk)
            for line in o.lines
            if line.offer_id in stocked
            for w in warehouses_of[o.store.pk]
        }
    levels = _lock_levels(pairs)
    # Re-read what the lines hold now that their stock rows are locked: a parallel call may have changed it.
    held_by_line: dict[int, list[Reservation]] = defaultdict(list)
    if not new_lines:
        for r in Reservation.objects.filter(order_id__in=order_ids, line_id__in=line_ids).order_by("pk"):
            held_by_line[r.line_id].append(r)

    plan = ReservationPlan(
        actor=actor,
        orders=orders,
        offers=offers,
        results={},
        ledger=_Ledger(actor),
        touched=[],
        created=[],
        moved=set(),
    )
    for o in orders:
        moved = len(plan.ledger.movements)
        plan.results[o.order_id] = _reserve_order(
            o,
            requests[o.order_id],
            warehouses=warehouses_of[o.store.pk],
            offers=offers,
            stocked=stocked,
            levels=levels,
            held_by_line=held_by_line,
            ledger=plan.ledger,
            touched=plan.touched,
            created=plan.created,
        )
        if len(plan.ledger.movements) > moved:
            plan.moved.add(o.order_id)
    return plan


def _reserve_order(
    o: OrderRequest,
    requests: list[tuple[LineRequest, Decimal]],
    *,
    warehouses: list[Warehouse],
    offers: dict[int, Offer],
    stocked: set[int],
    levels: dict[tuple[int, int], StockLevel],
    held_by_line: dict[int, list[Reservation]],
    ledger: _Ledger,
    touched: list[Reservation],
    created: list[Reservation],
) -> list[LineReservation]:
    order_id = o.order_id
    rank = {w.pk: i for i, w in enumerate(warehouses)}
    strategy = o.store.reservation_strategy
    result: list[LineReservation] = []
    for line, requested in requests:
        offer = offers[line.offer_id]
        if line.offer_id not in stocked:
            result.append(LineReservation(line.line_id, requested, requested, RESERVED))
            continue
        rows = held_by_line[line.line_id]
        # A line whose offer changed gives back what it held of the old offer.
        for r in rows:
            if r.offer_id != offer.pk and r.quantity:
                ledger.move(
                    levels[(r.offer_id, r.warehouse_id)],
                    MovementKind.RELEASE,
                    reserved=-r.quantity,
                    order_id=order_id,
                    line_id=line.line_id,
                    reason="offer changed",
                )
                r.quantity = ZERO
                touched.append(r)
        rows = [r for r in rows if r.offer_id == offer.pk]
        have = sum((r.quantity + r.shipped for r in rows), ZERO)
        if have > requested:
            excess = have - requested
            # Give back from the least preferred warehouse first.
            for r in sorted(rows, key=lambda r: rank.get(r.warehouse_id, 10**6), reverse=True):
                take = min(excess, r.quantity)
                if take > 0:
                    ledger.move(
                        levels[(r.offer_id, r.warehouse_id)],
                        MovementKind.RELEASE,
                        reserved=-take,
                        order_id=order_id,
                        line_id=line.line_id,
                        reason="quantity reduced",
                    )
                    r.quantity -= take
                    excess -= take
                    touched.append(r)
            have = sum((r.quantity + r.shipped for r in rows), ZERO)
        elif have < requested:
            need = requested - have
            candidates = [levels[(offer.pk, w.pk)] for w in warehouses if (offer.pk, w.pk) in levels]
            if strategy == ReservationStrategy.MOST_AVAILABLE:
                candidates.sort(key=lambda lv: (-(lv.on_hand - lv.reserved), rank[lv.warehouse_id]))
            by_wh = {r.warehouse_id: r for r in rows}
            for level in candidates:
                if need <= 0:
                    break
                take = min(need, level.on_hand - level.reserved)
                if take <= 0:
                    continue
                ledger.move(
                    level, MovementKind.RESERVATION, reserved=take, order_id=order_id, line_id=line.line_id
                )
                r = by_wh.get(level.warehouse_id)
                if r is None:
                    r = Reservation(
                        order_id=order_id,
                        line_id=line.line_id,
                        offer=offer,
                        warehouse_id=level.warehouse_id,
                        quantity=take,
                    )
                    by_wh[level.warehouse_id] = r
                    created.append(r)
                else:
                    r.quantity += take
                    touched.append(r)
                need -= take
                have += take
        # Shipped stock cannot be given back here: a line already shipped beyond a reduced quantity
        # is fully covered, and reports the requested quantity, never more.
        have = min(have, requested)
        status = RESERVED if have >= requested else (BACKORDERED if have > 0 else OUT_OF_STOCK)
        result.append(LineReservation(line.line_id, requested, have, status))

    return result


def _qty(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _reserved_text(result: list[LineReservation], offer_of: dict[int, Offer]) -> list[str]:
    """What the order's history shows: "SKU x 2" (with the multiplication sign), "SKU x 1 / 2" when short."""
    out = []
    for r in result:
        sku = offer_of[r.line_id].sku if r.line_id in offer_of else str(r.line_id)
        out.append(
            f"{sku} × {_qty(r.reserved)}"
            if r.reserved >= r.requested
            else f"{sku} × {_qty(r.reserved)} / {_qty(r.requested)}"
        )
    return out


def _order_rows(order_id: int, line_ids: list[int] | None) -> tuple[list[Reservation], dict]:
    qs = Reservation.objects.filter(order_id=order_id)
    if line_ids is not None:
        qs = qs.filter(line_id__in=line_ids)
    rows = list(qs.order_by("pk"))
    levels = _lock_levels({(r.offer_id, r.warehouse_id) for r in rows})
    # Re-read under the lock.
    rows = list(Reservation.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk"))
    return rows, levels


@retrying
@transaction.atomic
def stock_release(*, order_id: int, line_ids: list[int] | None = None, actor: Actor) -> None:
    """Give back what the order (or the given lines) holds reserved."""
    rows, levels = _order_rows(order_id, line_ids)
    ledger = _Ledger(actor)
    for r in rows:
        if r.quantity > 0:
            ledger.move(
                levels[(r.offer_id, r.warehouse_id)],
                MovementKind.RELEASE,
                reserved=-r.quantity,
                order_id=order_id,
                line_id=r.line_id,
            )
            r.quantity = ZERO
    _finish(ledger, rows, order_id, "stock_released", actor)


@retrying
@transaction.atomic
def stock_write_off(*, order_id: int, line_ids: list[int] | None = None, actor: Actor) -> None:
    """Shipment: what the lines hold reserved leaves the warehouse (on hand and reserved both drop)."""
    rows, levels = _order_rows(order_id, line_ids)
    ledger = _Ledger(actor)
    for r in rows:
        if r.quantity > 0:
            q = r.quantity
            ledger.move(
                levels[(r.offer_id, r.warehouse_id)],
                MovementKind.WRITE_OFF,
                on_hand=-q,
                reserved=-q,
                order_id=order_id,
                line_id=r.line_id,
                reason="shipment",
            )
            r.quantity = ZERO
            r.shipped += q
    _finish(ledger, rows, order_id, "stock_written_off", actor)


@retrying
@transaction.atomic
def stock_return(
    *, order_id: int, line_ids: list[int] | None = None, warehouse: Warehouse | None = None, actor: Actor
) -> None:
    """What the lines shipped comes back on hand: to `warehouse`, or where it shipped from."""
    qs = Reservation.objects.filter(order_id=order_id, shipped__gt=0)
    if line_ids is not None:
        qs = qs.filter(line_id__in=line_ids)
    pairs = {(r.offer_id, warehouse.pk if warehouse else r.warehouse_id) for r in qs}
    levels = _lock_levels(pairs, create=True)
    rows = list(qs.order_by("pk"))
    ledger = _Ledger(actor)
    for r in rows:
        level = levels[(r.offer_id, warehouse.pk if warehouse else r.warehouse_id)]
        ledger.move(
            level,
            MovementKind.RETURN,
            on_hand=r.shipped,
            order_id=order_id,
            line_id=r.line_id,
            reason="return",
        )
        r.shipped = ZERO
    _finish(ledger, rows, order_id, "stock_returned", actor)


def _moved_text(movements: list) -> list[str]:
    """ "SKU x 2" (with the multiplication sign) per offer released or written off (the order's history)."""
    moved: dict[int, Decimal] = defaultdict(Decimal)
    for m in movements:
        moved[m.offer_id] += abs(m.on_hand_delta or m.reserved_delta or ZERO)
    skus = dict(Offer.objects.filter(pk__in=moved).values_list("pk", "sku"))
    return [f"{skus.get(offer_id, offer_id)} × {_qty(qty)}" for offer_id, qty in moved.items()]


def _finish(ledger: _Ledger, rows: list[Reservation], order_id: int, action: str, actor: Actor) -> None:
    if not ledger.movements:
        return
    ledger.flush()
    Reservation.objects.bulk_update(rows, ["quantity", "shipped"])
    record_change(
        entity="order",
        entity_id=order_id,
        action=action,
        actor=actor,
        changes={"lines": [None, _moved_text(ledger.movements)]},  # never "items": templates read .items
        event=f"stock.{action.removeprefix('stock_')}",
        payload={"order_id": order_id},
    )


# --- warehouses -----------------------------------------------------------------------------------


@transaction.atomic
def warehouse_create(
    *, code: str, name: str, address: str = "", priority: int = 100, is_active: bool = True, actor: Actor
) -> Warehouse:
    warehouse = Warehouse(code=code, name=name, address=address, priority=priority, is_active=is_active)
    warehouse.full_clean()
    warehouse.save()
    record_change(
        entity="warehouse",
        entity_id=warehouse.pk,
        action="created",
        actor=actor,
        changes={"code": [None, code], "name": [None, name]},
        event="warehouse.created",
        payload={"code": code},
    )
    return warehouse


@transaction.atomic
def warehouse_update(*, warehouse: Warehouse, actor: Actor, **values: Any) -> Warehouse:
    update_recorded(
        warehouse,
        values,
        entity="warehouse",
        actor=actor,
        event="warehouse.updated",
        payload={"code": warehouse.code},
    )
    return warehouse


@transaction.atomic
def store_set_warehouses(*, store: Store, warehouses: list[Warehouse], actor: Actor) -> None:
    """The warehouses `store` ships from, in priority order (first ships first)."""
    before = list(store.warehouse_links.order_by("priority").values_list("warehouse__code", flat=True))
    StoreWarehouse.objects.filter(store=store).delete()
    StoreWarehouse.objects.bulk_create(
        [StoreWarehouse(store=store, warehouse=w, priority=(i + 1) * 10) for i, w in enumerate(warehouses)]
    )
    after = [w.code for w in warehouses]
    if before != after:
        record_change(
            entity="store",
            entity_id=store.pk,
            action="updated",
            actor=actor,
            changes={"warehouses": [before, after]},
            event="store.updated",
            payload={"code": store.code},
        )


@transaction.atomic
def store_set_shipping(
    *, store: Store, warehouses: list[Warehouse], reservation_strategy: str, actor: Actor
) -> Store:
    """Where a store ships from (warehouses in priority order) and how it reserves: one transaction."""
    from shopkeeper.stores.services import store_update

    if reservation_strategy not in ReservationStrategy.values:
        raise ValidationError({"reservation_strategy": _("Unknown reservation strategy.")})
    if len({w.pk for w in warehouses}) != len(warehouses):
        raise ValidationError({"warehouses": _("Each warehouse can be listed once.")})
    if any(not w.is_active for w in warehouses):
        raise ValidationError({"warehouses": _("Only active warehouses can ship.")})
    store_update(store=store, reservation_strategy=reservation_strategy, actor=actor)
    store_set_warehouses(store=store, warehouses=warehouses, actor=actor)
    return store


@transaction.atomic
def stock_receive_bulk(
    *, items: list[tuple[Offer, Warehouse, Decimal | int]], reason: str, actor: Actor
) -> int:
    """Receive many (offer, warehouse, quantity) at once (demo data, opening balances): one change."""
    cleaned = [(o, w, clean_quantity(q, offer=o)) for o, w, q in items if q]
    levels = _lock_levels({(o.pk, w.pk) for o, w, _q in cleaned}, create=True)
    ledger = _Ledger(actor)
    for offer, warehouse, qty in cleaned:
        ledger.move(levels[(offer.pk, warehouse.pk)], MovementKind.RECEIPT, on_hand=qty, reason=reason)
    ledger.flush()
    if cleaned:
        record_change(
            entity="inventory",
            entity_id=0,
            action="stock_received",
            actor=actor,
            changes={"rows": [None, len(cleaned)]},
            event="stock.changed",
            payload={"rows": len(cleaned), "reason": reason},
        )
    return len(cleaned)
