"""API schemas of orders: the create payload is the one in docs/api.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from shopkeeper.core.schemas import Out

Money = Decimal


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(Schema):
    external_id: str = Field("", max_length=100)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    patronymic: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)


class AddressIn(Schema):
    country: str = ""
    region: str = ""
    city: str = ""
    street: str = ""
    building: str = ""
    flat: str = ""
    postcode: str = ""
    text: str = Field("", max_length=500)


class LineIn(Schema):
    sku: str = Field("", max_length=100)
    offer_id: int | None = None
    name: str = Field("", max_length=300)
    quantity: Decimal = Field(..., gt=0, max_digits=14, decimal_places=3)
    price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    discount_amount: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    purchase_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)


class DeliveryIn(Schema):
    type: str = Field("", max_length=50)
    service: str = Field("", max_length=100)
    cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    net_cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    address: AddressIn | None = None
    date: dt.date | None = None
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    tracking_number: str = Field("", max_length=100)
    status: str = Field("", max_length=50)


class PaymentIn(Schema):
    type: str = Field("", max_length=100)
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    status: str = Field("not_paid", pattern="^(not_paid|paid|refunded|failed)$")
    paid_at: dt.datetime | None = None
    external_id: str = Field("", max_length=100)
    comment: str = Field("", max_length=300)


class OrderIn(Schema):
    store: str = Field(..., max_length=50)
    external_id: str = Field("", max_length=100)
    channel: str = Field("", max_length=50)
    order_type: str = Field("", max_length=50)
    status: str = Field("", max_length=50)
    created_at: dt.datetime | None = None
    customer: CustomerIn | None = None
    customer_id: int | None = None
    company_id: int | None = None
    manager_id: int | None = None
    lines: list[LineIn] = Field(default_factory=list, max_length=500)
    delivery: DeliveryIn | None = None
    payments: list[PaymentIn] = Field(default_factory=list, max_length=50)
    comment: str = Field("", max_length=4000)
    manager_comment: str = Field("", max_length=4000)
    utm: dict[str, str] = Field(default_factory=dict)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    discount_amount: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    price_type: str = Field("", max_length=50)


class OrderPatch(Schema):
    """Fields to change; omitted fields stay. `lines`, when given, replaces the active lines:
    lines with an `id` keep that line with new values, lines without one are added."""

    customer_comment: str | None = Field(None, max_length=4000)
    manager_comment: str | None = Field(None, max_length=4000)
    manager_id: int | None = None
    delivery: DeliveryIn | None = None
    discount_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    discount_percent: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    utm: dict[str, str] | None = None
    custom_fields: dict[str, Any] | None = None
    lines: list[LinePatch] | None = Field(None, max_length=500)


class LinePatch(LineIn):
    id: int | None = None


OrderPatch.model_rebuild()


class StatusIn(Schema):
    status: str = Field(..., max_length=50)
    comment: str = Field("", max_length=4000)
    cancel_reason: str = Field("", max_length=50)


class PaymentPatch(Schema):
    status: str | None = Field(None, pattern="^(not_paid|paid|refunded|failed)$")
    amount: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2)
    paid_at: dt.datetime | None = None
    comment: str | None = Field(None, max_length=300)


class CodeName(Schema):
    code: str
    name: str


class StatusOut(Schema):
    code: str
    name: str
    group: str
    color: str
    is_final: bool
    time_limit_minutes: int | None


class LineOut(Out):
    id: int
    offer_id: int | None
    sku: str
    name: str
    quantity: Decimal
    price: Decimal
    catalog_price: Decimal | None
    discount_amount: Decimal
    discount_percent: Decimal
    total: Decimal
    status: str
    reserved: Decimal
    stock_state: str


class PaymentOut(Out):
    id: int
    type: str
    amount: Decimal
    status: str
    paid_at: dt.datetime | None
    external_id: str
    comment: str


class TotalsOut(Out):
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    delivery_cost: Decimal
    total: Decimal
    paid: Decimal
    payment_status: str


class CustomerRef(Out):
    id: int | None
    name: str
    phone: str
    email: str
    company_id: int | None


class DeliveryOut(Out):
    type: str | None
    service: str
    cost: Decimal
    net_cost: Decimal
    address: dict[str, Any]
    date: dt.date | None
    time_from: dt.time | None
    time_to: dt.time | None
    tracking_number: str
    status: str


class ProblemOut(Out):
    code: str
    detail: str = ""


class OrderOut(Out):
    id: int
    number: str
    store: str
    external_id: str
    status: str
    status_group: str
    channel: str | None
    order_type: str
    manager_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    status_changed_at: dt.datetime
    customer: CustomerRef
    lines: list[LineOut]
    payments: list[PaymentOut]
    delivery: DeliveryOut
    totals: TotalsOut
    stock_state: str
    comment: str
    manager_comment: str
    utm: dict[str, Any]
    custom_fields: dict[str, Any]
    cancel_reason: str | None
    problems: list[ProblemOut]
    needs_attention: bool


class OrderListItem(Out):
    id: int
    number: str
    store: str
    external_id: str
    status: str
    created_at: dt.datetime
    customer_id: int | None
    customer_name: str
    phone: str
    email: str
    total: Decimal
    payment_status: str
    manager_id: int | None
    needs_attention: bool


class OrderPage(Out):
    items: list[OrderListItem]
    next_cursor: str | None = None
    count: int | None = None


def order_out(order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "store": order.store.code,
        "external_id": order.external_id,
        "status": order.status.code,
        "status_group": order.status.group.code,
        "channel": order.channel.code if order.channel else None,
        "order_type": order.order_type.code,
        "manager_id": order.manager_id,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "status_changed_at": order.status_changed_at,
        "customer": {
            "id": order.customer_id,
            "name": order.customer_name,
            "phone": order.phone,
            "email": order.email,
            "company_id": order.company_id,
        },
        "lines": [
            {
                "id": ln.pk,
                "offer_id": ln.offer_id,
                "sku": ln.sku,
                "name": ln.name,
                "quantity": ln.quantity,
                "price": ln.price,
                "catalog_price": ln.catalog_price,
                "discount_amount": ln.discount_amount,
                "discount_percent": ln.discount_percent,
                "total": ln.total,
                "status": ln.status,
                "reserved": ln.reserved,
                "stock_state": ln.stock_state,
            }
            for ln in order.lines.all()
        ],
        "payments": [
            {
                "id": p.pk,
                "type": p.payment_type.code if p.payment_type else p.type_raw,
                "amount": p.amount,
                "status": p.status,
                "paid_at": p.paid_at,
                "external_id": p.external_id,
                "comment": p.comment,
            }
            for p in order.payments.all()
        ],
        "delivery": {
            "type": order.delivery_type.code if order.delivery_type else None,
            "service": order.delivery_service,
            "cost": order.delivery_cost,
            "net_cost": order.delivery_net_cost,
            "address": order.delivery_address,
            "date": order.delivery_date,
            "time_from": order.delivery_time_from,
            "time_to": order.delivery_time_to,
            "tracking_number": order.tracking_number,
            "status": order.delivery_status,
        },
        "totals": {
            "currency": order.store.currency,
            "subtotal": order.subtotal,
            "discount_total": order.discount_total,
            "delivery_cost": order.delivery_cost,
            "total": order.total,
            "paid": order.paid_amount,
            "payment_status": order.payment_status,
        },
        "stock_state": order.stock_state,
        "comment": order.customer_comment,
        "manager_comment": order.manager_comment,
        "utm": order.utm,
        "custom_fields": order.custom_fields,
        "cancel_reason": order.cancel_reason.code if order.cancel_reason else None,
        "problems": order.problems,
        "needs_attention": order.needs_attention,
    }
