"""From API payloads to service inputs (shared by the orders API and intake)."""

from __future__ import annotations

from shopkeeper.customers.services import CustomerInput
from shopkeeper.stores.models import Store

from .schemas import DeliveryIn, LineIn, OrderIn
from .services import DeliveryInput, LineInput, OrderInput, PaymentInput


def line_input(line: LineIn) -> LineInput:
    return LineInput(
        quantity=line.quantity,
        sku=line.sku,
        offer_id=line.offer_id,
        name=line.name,
        price=line.price,
        discount_amount=line.discount_amount,
        discount_percent=line.discount_percent,
        purchase_price=line.purchase_price,
    )


def _naive(value):
    # A delivery window is wall-clock time at the address; an offset sent with it is dropped.
    return value.replace(tzinfo=None) if value is not None else None


def delivery_input(delivery: DeliveryIn) -> DeliveryInput:
    return DeliveryInput(
        type=delivery.type,
        service=delivery.service,
        cost=delivery.cost,
        net_cost=delivery.net_cost,
        address=delivery.address.model_dump() if delivery.address else {},
        date=delivery.date,
        time_from=_naive(delivery.time_from),
        time_to=_naive(delivery.time_to),
        tracking_number=delivery.tracking_number,
        status=delivery.status,
    )


def payment_inputs(payload: OrderIn) -> list[PaymentInput]:
    return [
        PaymentInput(
            amount=p.amount,
            type=p.type,
            status=p.status,
            paid_at=p.paid_at,
            external_id=p.external_id,
            comment=p.comment,
        )
        for p in payload.payments
    ]


def order_input(payload: OrderIn, store: Store) -> OrderInput:
    customer = None
    if payload.customer is not None:
        c = payload.customer
        customer = CustomerInput(
            first_name=c.first_name,
            last_name=c.last_name,
            patronymic=c.patronymic,
            phone=c.phone,
            email=c.email,
            external_id=c.external_id,
            address=payload.delivery.address.model_dump()
            if payload.delivery and payload.delivery.address
            else None,
        )
    return OrderInput(
        store=store,
        lines=[line_input(ln) for ln in payload.lines],
        external_id=payload.external_id,
        channel=payload.channel,
        order_type=payload.order_type,
        status=payload.status,
        created_at=payload.created_at,
        customer=customer,
        customer_id=payload.customer_id,
        company_id=payload.company_id,
        manager_id=payload.manager_id,
        delivery=delivery_input(payload.delivery) if payload.delivery else None,
        payments=payment_inputs(payload),
        customer_comment=payload.comment,
        manager_comment=payload.manager_comment,
        utm=payload.utm,
        custom_fields=payload.custom_fields,
        discount_amount=payload.discount_amount,
        discount_percent=payload.discount_percent,
        price_type=payload.price_type,
    )
