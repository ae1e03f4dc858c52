"""Concurrent identical submissions create exactly one order (real threads, committed transactions)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections

from shopkeeper.intake.models import EntryStatus, InboundRequest
from shopkeeper.orders.models import Order

from .conftest import native


def _fire(n: int, headers: dict, payload: dict, key: str) -> list[int]:
    from django.test import Client

    statuses: list[int] = []
    barrier = threading.Barrier(n)

    def run():
        try:
            barrier.wait()
            r = Client().post(
                "/api/v1/orders",
                json.dumps(payload),
                content_type="application/json",
                headers={"Authorization": f"Bearer {key}", **headers},
            )
            statuses.append(r.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["external_id", "idempotency_key"])
def test_parallel_identical_submissions_make_one_order(make_key, offers, mode):
    key = make_key("orders:write", "orders:read")
    if mode == "external_id":
        statuses = _fire(8, {}, native(external_id="same"), key)
    else:
        statuses = _fire(8, {"Idempotency-Key": "one"}, native(external_id=""), key)
    assert Order.objects.count() == 1, statuses
    assert statuses.count(201) >= 1 and all(s in {200, 201, 409} for s in statuses), statuses
    assert InboundRequest.objects.count() == 8
    assert not InboundRequest.objects.filter(status=EntryStatus.RECEIVED).exists()
