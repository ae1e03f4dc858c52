"""Garbage in: never a 500, always problem details, always journaled."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopkeeper.intake.models import InboundRequest

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
order_like = st.fixed_dictionaries(
    {},
    optional={
        "store": st.one_of(st.just("main"), json_values),
        "external_id": json_values,
        "lines": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {}, optional={"sku": json_values, "quantity": json_values, "price": json_values}
                ),
                max_size=3,
            ),
            json_values,
        ),
        "customer": json_values,
        "delivery": json_values,
        "payments": json_values,
        "utm": json_values,
        "name": json_values,
        "phone": json_values,
        "id": json_values,
        "line_items": json_values,
        "billing": json_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    order_like.map(lambda v: json.dumps(v).encode()),
)


@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    path=st.sampled_from(
        [
            "/orders",
            "/intake/native",
            "/intake/form",
            "/intake/woocommerce?store=main",
            "/intake/shopify?store=main",
        ]
    ),
)
def test_intake_never_500(writer, secrets, body, path):
    from .conftest import sign

    before = InboundRequest.objects.count()
    headers = {
        "X-WC-Webhook-Signature": sign(secrets["woocommerce"], body),
        "X-Shopify-Hmac-Sha256": sign(secrets["shopify"], body),
        "X-WC-Webhook-Topic": "order.created",
        "X-Shopify-Topic": "orders/create",
    }
    r = writer.post(path, raw=body, headers=headers)
    assert r.status_code < 500, (r.status_code, r.content)
    if r.status_code >= 400:
        assert r["Content-Type"] == "application/problem+json"
        assert r.json()["status"] == r.status_code
    assert InboundRequest.objects.count() == before + 1
    assert not InboundRequest.objects.filter(status="received").exists()
