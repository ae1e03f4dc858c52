from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shopkeeper.orders import totals

money = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
qty = st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3, allow_nan=False, allow_infinity=False)
percent = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
line = st.tuples(qty, money, money, percent)


@given(lines=st.lists(line, max_size=20), order_amount=money, order_percent=percent, delivery=money)
def test_order_totals_are_consistent(lines, order_amount, order_percent, delivery):
    computed = [
        (totals.line_amounts(quantity=q, price=p, discount_amount=da, discount_percent=dp), q, None)
        for q, p, da, dp in lines
    ]
    for amounts, _q, _pp in computed:
        assert amounts.total == amounts.gross - amounts.discount
        assert Decimal(0) <= amounts.discount <= amounts.gross
        assert amounts.total.as_tuple().exponent == -2
    result = totals.order_amounts(
        lines=computed, discount_amount=order_amount, discount_percent=order_percent, delivery_cost=delivery
    )
    assert result.subtotal == sum((a.total for a, _q, _p in computed), Decimal("0.00"))
    assert Decimal(0) <= result.order_discount <= result.subtotal
    assert result.total == result.subtotal - result.order_discount + result.delivery_cost
    assert result.total >= result.delivery_cost
    assert (
        result.discount_total
        == sum((a.discount for a, _q, _p in computed), Decimal(0)) + result.order_discount
    )


@given(
    total=money,
    payments=st.lists(
        st.tuples(st.sampled_from(["paid", "not_paid", "refunded", "failed"]), money), max_size=6
    ),
)
def test_payment_status_matches_paid_amount(total, payments):
    status, paid = totals.payment_status(total=total, payments=payments)
    assert paid == sum((totals.money(a) for s, a in payments if s == "paid"), Decimal(0))
    if paid == 0:
        assert status in {"unpaid", "refunded"}
    elif paid < total:
        assert status == "partly_paid"
    elif paid == total:
        assert status == "paid"
    else:
        assert status == "overpaid"
