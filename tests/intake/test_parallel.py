"""Concurrent identical submissions create exactly one order (real threads, committed transactions)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections

from shopkeeper.intake.models import EntryStatus, InboundRequest
from shopkeeper.orders.models import Order

from .conftest import native


def _fire(path: str, bodies: list[dict], key: str, headers: dict | None = None) -> list:
    """POST each body to `path` from its own thread, all at once; the responses (any order)."""
    from django.test import Client

    responses: list = []
    barrier = threading.Barrier(len(bodies))

    def run(body):
        try:
            barrier.wait()
            responses.append(
                Client().post(
                    path,
                    json.dumps(body),
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {key}", **(headers or {})},
                )
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["external_id", "idempotency_key"])
def test_parallel_identical_submissions_make_one_order(make_key, offers, mode):
    key = make_key("orders:write", "orders:read")
    if mode == "external_id":
        responses = _fire("/api/v1/orders", [native(external_id="same")] * 8, key)
    else:
        responses = _fire("/api/v1/orders", [native(external_id="")] * 8, key, {"Idempotency-Key": "one"})
    statuses = [r.status_code for r in responses]
    assert Order.objects.count() == 1, statuses
    assert statuses.count(201) >= 1 and all(s in {200, 201, 409} for s in statuses), statuses
    assert InboundRequest.objects.count() == 8
    assert not InboundRequest.objects.filter(status=EntryStatus.RECEIVED).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_batches_share_stock_and_external_ids(make_key, offers):
    """Batches naming the same external ids and SKUs at once: one order per external id, no deadlock,
    stock never oversold, every entry answered."""
    from shopkeeper.inventory.models import StockLevel

    key = make_key("orders:write", "orders:read")
    body = {
        "orders": [
            native(
                external_id=f"o{i}",
                lines=[{"sku": "MUG", "quantity": 3}, {"sku": "TSHIRT-RED-M", "quantity": 2}],
            )
            for i in range(20)
        ]
    }
    answers = [(r.status_code, r.json()) for r in _fire("/api/v1/orders/batch", [body] * 4, key)]
    assert [status for status, _body in answers] == [200] * 4, answers
    for _status, answer in answers:
        assert all(item["status"] in {200, 201} for item in answer["items"]), answer
    assert Order.objects.count() == 20
    created = [item["id"] for _s, a in answers for item in a["items"] if item["status"] == 201]
    assert sorted(created) == sorted(Order.objects.values_list("id", flat=True))
    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand
    assert not InboundRequest.objects.filter(status=EntryStatus.RECEIVED).exists()
