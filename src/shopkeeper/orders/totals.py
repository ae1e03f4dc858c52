"""Order arithmetic. Pure functions: the services store what these return, so totals are always
consistent with lines and payments (property-tested in tests/orders/test_totals.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity x price
    discount: Decimal  # amount + percent of what is left, never more than gross
    total: Decimal


def line_amounts(
    *, quantity: Decimal, price: Decimal, discount_amount: Decimal = ZERO, discount_percent: Decimal = ZERO
) -> LineAmounts:
    gross = money(Decimal(quantity) * Decimal(price))
    discount = money(discount_amount) + money(
        (gross - money(discount_amount)) * Decimal(discount_percent) / HUNDRED
    )
    discount = min(max(discount, ZERO), gross)
    return LineAmounts(gross=gross, discount=discount, total=gross - discount)


@dataclass(frozen=True)
class OrderAmounts:
    subtotal: Decimal  # sum of line totals (after line discounts)
    order_discount: Decimal
    discount_total: Decimal  # line discounts + order discount
    delivery_cost: Decimal
    total: Decimal
    purchase_total: Decimal


def order_amounts(
    *,
    lines: Iterable[tuple[LineAmounts, Decimal, Decimal | None]],
    discount_amount: Decimal = ZERO,
    discount_percent: Decimal = ZERO,
    delivery_cost: Decimal = ZERO,
) -> OrderAmounts:
    """`lines` are (amounts, quantity, purchase price) of the active lines."""
    subtotal = ZERO
    line_discounts = ZERO
    purchase = ZERO
    for amounts, quantity, purchase_price in lines:
        subtotal += amounts.total
        line_discounts += amounts.discount
        if purchase_price is not None:
            purchase += money(Decimal(quantity) * purchase_price)
    order_discount = money(discount_amount) + money(
        (subtotal - money(discount_amount)) * Decimal(discount_percent) / HUNDRED
    )
    order_discount = min(max(order_discount, ZERO), subtotal)
    delivery = money(delivery_cost)
    return OrderAmounts(
        subtotal=subtotal,
        order_discount=order_discount,
        discount_total=line_discounts + order_discount,
        delivery_cost=delivery,
        total=subtotal - order_discount + delivery,
        purchase_total=purchase,
    )


def payment_status(*, total: Decimal, payments: Iterable[tuple[str, Decimal]]) -> tuple[str, Decimal]:
    """The order's payment status and paid amount from its payments' (status, amount)."""
    paid = ZERO
    refunded = ZERO
    for status, amount in payments:
        if status == "paid":
            paid += money(amount)
        elif status == "refunded":
            refunded += money(amount)
    if paid == ZERO:
        return ("refunded" if refunded > ZERO else "unpaid"), paid
    if paid < total:
        return "partly_paid", paid
    if paid == total:
        return "paid", paid
    return "overpaid", paid
