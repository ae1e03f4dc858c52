"""Random sequences of stock operations: the stock rows always equal the ledger's sums."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from shopkeeper.inventory import services
from shopkeeper.inventory.models import Movement, Reservation, StockLevel
from shopkeeper.inventory.services import LineRequest
from shopkeeper.stores.models import Store
from tests.catalog.factories import ACTOR, make_offer

qty = st.integers(min_value=1, max_value=20)
orders = st.integers(min_value=1, max_value=4)
lines = st.integers(min_value=1, max_value=3)


@pytest.mark.django_db
def test_stock_equals_ledger_for_random_operations():
    class StockMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            # Each example runs in its own transaction, rolled back at teardown.
            self._atomic = transaction.atomic()
            self._atomic.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        @initialize()
        def setup(self):
            self.store = Store.objects.create(code="sm", name="SM")
            self.whs = [
                services.warehouse_create(code=f"w{i}", name=f"W{i}", priority=i, actor=ACTOR)
                for i in range(2)
            ]
            self.offers = [make_offer() for _ in range(2)]

        def _try(self, fn, **kwargs):
            # Refused operations must leave nothing behind; the invariants check that.
            with contextlib.suppress(ValidationError):
                fn(**kwargs)

        @rule(o=st.integers(0, 1), w=st.integers(0, 1), q=qty)
        def receipt(self, o, w, q):
            self._try(
                services.stock_adjust,
                offer=self.offers[o],
                warehouse=self.whs[w],
                delta=q,
                reason="r",
                kind="receipt",
                actor=ACTOR,
            )

        @rule(o=st.integers(0, 1), w=st.integers(0, 1), q=st.integers(-20, 20).filter(bool))
        def adjust(self, o, w, q):
            self._try(
                services.stock_adjust,
                offer=self.offers[o],
                warehouse=self.whs[w],
                delta=q,
                reason="count",
                actor=ACTOR,
            )

        @rule(o=st.integers(0, 1), w=st.integers(0, 1), q=qty)
        def write_off_manual(self, o, w, q):
            self._try(
                services.stock_adjust,
                offer=self.offers[o],
                warehouse=self.whs[w],
                delta=q,
                reason="broken",
                kind="write_off",
                actor=ACTOR,
            )

        @rule(order=orders, line=lines, o=st.integers(0, 1), q=st.integers(1, 15))
        def reserve(self, order, line, o, q):
            line_id = order * 10 + line
            held = Reservation.objects.filter(line_id=line_id).exclude(offer=self.offers[o]).exists()
            if held:
                o = 1 - o  # keep a line on one offer, as orders do most of the time
            [res] = services.stock_reserve(
                store=self.store,
                order_id=order,
                lines=[LineRequest(line_id, self.offers[o].pk, q)],
                actor=ACTOR,
            )
            assert res.reserved <= res.requested
            assert res.status == (
                "reserved" if res.reserved == q else "backordered" if res.reserved else "out_of_stock"
            )

        @rule(order=orders, partial=st.booleans(), line=lines)
        def release(self, order, partial, line):
            services.stock_release(
                order_id=order, line_ids=[order * 10 + line] if partial else None, actor=ACTOR
            )

        @rule(order=orders)
        def ship(self, order):
            services.stock_write_off(order_id=order, actor=ACTOR)

        @rule(order=orders, w=st.one_of(st.none(), st.integers(0, 1)))
        def give_back(self, order, w):
            services.stock_return(order_id=order, warehouse=None if w is None else self.whs[w], actor=ACTOR)

        @rule(o=st.integers(0, 1), q=qty, forward=st.booleans())
        def transfer(self, o, q, forward):
            src, dst = self.whs if forward else self.whs[::-1]
            self._try(
                services.stock_transfer, offer=self.offers[o], source=src, target=dst, quantity=q, actor=ACTOR
            )

        @invariant()
        def stock_equals_ledger(self):
            if not hasattr(self, "offers"):
                return
            for lv in StockLevel.objects.all():
                sums = Movement.objects.filter(offer_id=lv.offer_id, warehouse_id=lv.warehouse_id).aggregate(
                    on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
                )
                assert (sums["on_hand"] or 0) == lv.on_hand
                assert (sums["reserved"] or 0) == lv.reserved
                assert Decimal(0) <= lv.reserved <= lv.on_hand
                held = (
                    Reservation.objects.filter(offer_id=lv.offer_id, warehouse_id=lv.warehouse_id).aggregate(
                        q=Sum("quantity")
                    )["q"]
                    or 0
                )
                assert held == lv.reserved

    StockMachine.TestCase.settings = settings(
        max_examples=40,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    StockMachine.TestCase().runTest()
