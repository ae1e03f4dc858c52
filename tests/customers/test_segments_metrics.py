from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from shopkeeper.customers.metrics import on_order_event, rfm_class
from shopkeeper.customers.models import Customer, RfmSettings
from shopkeeper.customers.segments import compile_rules
from shopkeeper.customers.services import customer_update

from .conftest import ACTOR

pytestmark = pytest.mark.django_db

T = {"recency_days": [30, 180], "frequency": [2, 5], "monetary": ["5000", "20000"]}


@given(
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=1, max_value=100),
    st.decimals(min_value=0, max_value=10**9, places=2),
)
def test_rfm_is_three_digits_in_range_and_monotonic(days, orders, spent):
    cls = rfm_class(days_since_last=days, orders=orders, spent=spent, thresholds=T)
    assert len(cls) == 3 and set(cls) <= {"1", "2", "3"}
    better = rfm_class(days_since_last=max(days - 10, 0), orders=orders + 1, spent=spent + 1, thresholds=T)
    assert all(b >= a for a, b in zip(cls, better, strict=True))


def test_rfm_empty_without_orders():
    assert rfm_class(days_since_last=None, orders=0, spent=Decimal(0), thresholds=T) == ""


def _set(customer, **values):
    Customer.objects.filter(pk=customer.pk).update(**values)


def test_segment_rule_total_spent_last_order_and_consent(make_customer):
    hit = make_customer(first_name="Hit")
    cold = make_customer(first_name="Recent")
    poor = make_customer(first_name="Poor")
    long_ago = timezone.now() - dt.timedelta(days=120)
    _set(hit, total_spent=Decimal("15000"), last_order_at=long_ago)
    _set(cold, total_spent=Decimal("15000"), last_order_at=timezone.now())
    _set(poor, total_spent=Decimal("100"), last_order_at=long_ago)
    for c in (hit, cold, poor):
        customer_update(customer=c, values={"consent_email": True}, actor=ACTOR)
    rules = {
        "match": "all",
        "conditions": [
            {"field": "total_spent", "op": "gt", "value": "10000"},
            {"field": "last_order_days", "op": "gt", "value": 90},
            {"field": "consent_email", "op": "eq", "value": True},
        ],
    }
    assert list(Customer.objects.filter(compile_rules(rules)).values_list("first_name", flat=True)) == ["Hit"]
    any_rules = {"match": "any", "conditions": rules["conditions"][:2]}
    assert Customer.objects.filter(compile_rules(any_rules)).count() == 3


def test_segment_custom_field_and_tag(make_customer):
    a = make_customer(first_name="A")
    _set(a, custom_fields={"level": "gold"})
    make_customer(first_name="B")
    q = compile_rules({"conditions": [{"field": "cf:level", "op": "eq", "value": "gold"}]})
    assert list(Customer.objects.filter(q).values_list("first_name", flat=True)) == ["A"]


@pytest.mark.parametrize(
    "rules",
    [
        [],
        {"conditions": "x"},
        {"conditions": [{"field": "password", "op": "eq", "value": 1}]},
        {"conditions": [{"field": "total_spent", "op": "drop", "value": 1}]},
        {"conditions": [{"field": "total_spent", "op": "gt", "value": "NaN"}]},
        {"conditions": [{"field": "cf:a__b;", "op": "eq", "value": 1}]},
    ],
)
def test_invalid_rules_rejected(rules):
    with pytest.raises(ValidationError):
        compile_rules(rules)


def test_consumer_and_command_are_idempotent_without_orders(make_customer):
    customer = make_customer()
    RfmSettings.objects.create(recency_days=[10, 20], frequency=[1, 2], monetary=["1", "2"])

    class E:
        payload = {"customer_id": customer.pk, "previous_customer_id": None}

    on_order_event(E())
    on_order_event(E())
    call_command("recompute_metrics", batch=1)
    customer.refresh_from_db()
    assert customer.orders_count == 0 and customer.lifetime_days == 0
