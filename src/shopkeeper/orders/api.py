from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from shopkeeper.core.auth import ApiKeyAuth, allowed_store_ids
from shopkeeper.core.changes import Actor
from shopkeeper.core.idempotency import idempotent
from shopkeeper.core.pagination import paginate
from shopkeeper.core.problems import problem
from shopkeeper.core.scope import attach_reference
from shopkeeper.stores.models import Store
from shopkeeper.stores.selectors import active_stores

from . import dictionaries, services
from .inputs import delivery_input, line_input
from .models import CancelReason, Channel, DeliveryType, Order, OrderType, Payment, PaymentType, Status
from .schemas import (
    CodeName,
    OrderOut,
    OrderPage,
    OrderPatch,
    PaymentIn,
    PaymentOut,
    PaymentPatch,
    StatusIn,
    StatusOut,
    order_out,
)
from .selectors import OrderFilter, order_card, orders_visible

router = Router(tags=["orders"])
READ = ApiKeyAuth("orders:read")
WRITE = ApiKeyAuth("orders:write")


class ListParams(Schema):
    limit: int = 50
    cursor: str | None = None
    count: bool = False


def _visible(request: HttpRequest):
    return orders_visible(store_ids=allowed_store_ids(request))


def _store(request: HttpRequest, code: str) -> Store:
    store = Store.objects.filter(code=code).first()
    ids = allowed_store_ids(request)
    if store is None or (ids is not None and store.pk not in ids):
        raise HttpError(422, f"Unknown store “{code}” (or not allowed for this key).")
    return store


def _card(request: HttpRequest, order_id: int) -> Order:
    try:
        return order_card(order_id=order_id, qs=_visible(request))
    except Order.DoesNotExist as exc:
        raise HttpError(404, "No such order, or it is not visible to this key.") from exc


# What an item of the list holds: the order's other columns (JSON ones among them) are not read.
API_LIST_FIELDS = (
    "id",
    "number",
    "store_id",
    "external_id",
    "status_id",
    "created_at",
    "customer_id",
    "customer_name",
    "phone",
    "email",
    "total",
    "payment_status",
    "manager_id",
    "needs_attention",
)


@router.get("/orders", response=OrderPage, auth=READ, summary="List orders")
def list_orders(request: HttpRequest, params: Query[ListParams]) -> dict:
    """Filters are query parameters: `status`, `group`, `store`, `channel`, `order_type`, `manager`
    (id or `none`), `payment_status`, `delivery_type`, `created_after`, `created_before`,
    `status_changed_after`, `amount_min`, `amount_max`, `overdue`, `attention`, `customer`, `company`, `q`
    (number, external id, phone fragment, email, name, tracking number). Newest first."""
    flt = OrderFilter.from_query(request.GET)
    qs = flt.apply(_visible(request)).only(*API_LIST_FIELDS)
    page = paginate(
        qs,
        cursor=params.cursor,
        limit=params.limit,
        count=params.count,
        order_prefix=flt.order_prefix(("-id",)),
    )
    dictionaries.attach(page["items"], names=["status"])
    attach_reference(page["items"], "store", active_stores)
    page["items"] = [
        {
            "id": o.pk,
            "number": o.number,
            "store": o.store.code,
            "external_id": o.external_id,
            "status": o.status.code,
            "created_at": o.created_at,
            "customer_id": o.customer_id,
            "customer_name": o.customer_name,
            "phone": o.phone,
            "email": o.email,
            "total": o.total,
            "payment_status": o.payment_status,
            "manager_id": o.manager_id,
            "needs_attention": o.needs_attention,
        }
        for o in page["items"]
    ]
    return page


@router.post(
    "/orders",
    response={200: OrderOut, 201: OrderOut},
    auth=WRITE,
    summary="Create an order",
    openapi_extra=__import__("shopkeeper.intake.api", fromlist=["ORDER_BODY"]).ORDER_BODY,
)
def create_order(request: HttpRequest) -> HttpResponse:
    """Creates the order (201). Re-posting the same `(store, external_id)` answers 200 with the existing
    order. Business problems (unknown SKU, price mismatch, no stock, unknown codes, invalid phone) never
    reject the order: they are listed in `problems`. The request is kept in the intake journal before it
    is processed, and the store's code mappings (source `native`) apply."""
    from shopkeeper.intake.api import create_order as journal_first_create

    return journal_first_create(request)


@router.get(
    "/orders/by-external/{store}/{external_id}", response=OrderOut, auth=READ, summary="Order by external id"
)
def get_by_external(request: HttpRequest, store: str, external_id: str) -> dict:
    found = (
        _visible(request)
        .filter(store__code=store, external_id=external_id)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise HttpError(404, "No such order, or it is not visible to this key.")
    return order_out(_card(request, found))


@router.get("/orders/{int:order_id}", response=OrderOut, auth=READ, summary="Get an order")
def get_order(request: HttpRequest, order_id: int) -> dict:
    return order_out(_card(request, order_id))


@router.patch("/orders/{int:order_id}", response=OrderOut, auth=WRITE, summary="Change an order")
def patch_order(request: HttpRequest, order_id: int, payload: OrderPatch) -> dict:
    order = _card(request, order_id)
    actor = Actor.for_api_key(request.api_key)
    # null means "leave as it is" for everything but the manager (null there unassigns).
    values = {
        k: v
        for k, v in payload.model_dump(
            exclude_unset=True, exclude={"lines", "delivery", "manager_id"}
        ).items()
        if v is not None
    }
    if "manager_id" in payload.model_fields_set:
        from shopkeeper.accounts.models import User

        values["manager"] = get_object_or_404(User, pk=payload.manager_id) if payload.manager_id else None
    if payload.delivery is not None:
        d = delivery_input(payload.delivery)
        sent = payload.delivery.model_fields_set
        mapping = {
            "service": ("delivery_service", d.service),
            "cost": ("delivery_cost", d.cost),
            "net_cost": ("delivery_net_cost", d.net_cost),
            "address": ("delivery_address", d.address),
            "date": ("delivery_date", d.date),
            "time_from": ("delivery_time_from", d.time_from),
            "time_to": ("delivery_time_to", d.time_to),
            "tracking_number": ("tracking_number", d.tracking_number),
            "status": ("delivery_status", d.status),
        }
        for key, (field, value) in mapping.items():
            if key in sent:
                values[field] = value
        if "type" in sent:
            delivery_type = DeliveryType.objects.filter(code=d.type).first()
            if d.type and delivery_type is None:
                raise HttpError(422, f"Unknown delivery type “{d.type}”.")
            values["delivery_type"] = delivery_type
    if values:
        services.order_update(order=order, actor=actor, **values)
    if payload.lines is not None:
        keep = {ln.id: line_input(ln) for ln in payload.lines if ln.id}
        existing_ids = set(order.lines.values_list("pk", flat=True))
        if set(keep) - existing_ids:
            raise HttpError(422, "A line id does not belong to this order.")
        services.order_set_lines(
            order=order,
            lines=[line_input(ln) for ln in payload.lines if not ln.id],
            keep_ids=keep,
            actor=actor,
        )
    return order_out(_card(request, order_id))


@router.post("/orders/{int:order_id}/status", response=OrderOut, auth=WRITE, summary="Change the status")
def set_status(request: HttpRequest, order_id: int, payload: StatusIn):
    """Moves the order to another status if the transition matrix allows it; otherwise 409 with
    `allowed` listing the statuses it may move to."""
    order = _card(request, order_id)
    status = Status.objects.select_related("group").filter(code=payload.status).first()
    if status is None:
        raise HttpError(422, f"Unknown status “{payload.status}”.")
    reason = None
    if payload.cancel_reason:
        reason = CancelReason.objects.filter(code=payload.cancel_reason).first()
        if reason is None:
            raise HttpError(422, f"Unknown cancellation reason “{payload.cancel_reason}”.")
    try:
        services.order_set_status(
            order=order,
            status=status,
            actor=Actor.for_api_key(request.api_key),
            comment=payload.comment,
            cancel_reason=reason,
        )
    except services.TransitionNotAllowed as exc:
        return problem(
            409, slug="transition-not-allowed", detail=exc.messages[0], allowed=[s.code for s in exc.allowed]
        )
    return order_out(_card(request, order_id))


@router.post(
    "/orders/{int:order_id}/payments", response={201: PaymentOut}, auth=WRITE, summary="Add a payment"
)
def add_payment(request: HttpRequest, order_id: int, payload: PaymentIn):
    order = _card(request, order_id)

    def create():
        from .services import PaymentInput

        payment = services.payment_add(
            order=order,
            actor=Actor.for_api_key(request.api_key),
            data=PaymentInput(
                amount=payload.amount,
                type=payload.type,
                status=payload.status,
                paid_at=payload.paid_at,
                external_id=payload.external_id,
                comment=payload.comment,
            ),
        )
        return 201, _payment_out(payment)

    return idempotent(request, create)


@router.patch(
    "/orders/{int:order_id}/payments/{int:payment_id}",
    response=PaymentOut,
    auth=WRITE,
    summary="Change a payment",
)
def patch_payment(request: HttpRequest, order_id: int, payment_id: int, payload: PaymentPatch) -> dict:
    order = _card(request, order_id)
    payment = get_object_or_404(Payment, pk=payment_id, order=order)
    payment = services.payment_update(
        payment=payment,
        actor=Actor.for_api_key(request.api_key),
        **payload.model_dump(exclude_unset=True, exclude_none=True),
    )
    return _payment_out(payment)


def _payment_out(payment: Payment) -> dict:
    return {
        "id": payment.pk,
        "type": payment.payment_type.code if payment.payment_type else payment.type_raw,
        "amount": str(payment.amount),
        "status": payment.status,
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "external_id": payment.external_id,
        "comment": payment.comment,
    }


# --- reference data -------------------------------------------------------------------------


class CodeList(Schema):
    items: list[CodeName]
    next_cursor: str | None = None


class StatusList(Schema):
    items: list[StatusOut]
    next_cursor: str | None = None


def _codes(model) -> dict:
    return {"items": list(model.objects.filter(is_active=True).values("code", "name")), "next_cursor": None}


@router.get("/statuses", response=StatusList, auth=ApiKeyAuth(), tags=["reference"], summary="Order statuses")
def list_statuses(request: HttpRequest) -> dict:
    items = [
        {
            "code": s.code,
            "name": s.name,
            "group": s.group.code,
            "color": s.color,
            "is_final": s.group.is_final,
            "time_limit_minutes": s.time_limit_minutes,
        }
        for s in Status.objects.filter(is_active=True).select_related("group")
    ]
    return {"items": items, "next_cursor": None}


@router.get("/channels", response=CodeList, auth=ApiKeyAuth(), tags=["reference"], summary="Channels")
def list_channels(request: HttpRequest) -> dict:
    return _codes(Channel)


@router.get("/order-types", response=CodeList, auth=ApiKeyAuth(), tags=["reference"], summary="Order types")
def list_order_types(request: HttpRequest) -> dict:
    return _codes(OrderType)


@router.get(
    "/delivery-types", response=CodeList, auth=ApiKeyAuth(), tags=["reference"], summary="Delivery types"
)
def list_delivery_types(request: HttpRequest) -> dict:
    return _codes(DeliveryType)


@router.get(
    "/payment-types", response=CodeList, auth=ApiKeyAuth(), tags=["reference"], summary="Payment types"
)
def list_payment_types(request: HttpRequest) -> dict:
    return _codes(PaymentType)


@router.get(
    "/cancel-reasons",
    response=CodeList,
    auth=ApiKeyAuth(),
    tags=["reference"],
    summary="Cancellation reasons",
)
def list_cancel_reasons(request: HttpRequest) -> dict:
    return _codes(CancelReason)
