"""Batch handlers of outbox consumers: one call per consumer and chunk, the same outcome as one call per
event, and a failing batch falls back to the events one by one (the failing one retried alone)."""

from __future__ import annotations

import pytest
from django.db import transaction

from shopkeeper.core import events
from shopkeeper.core.changes import Actor, record_change
from shopkeeper.core.models import DeliveryStatus, EventDelivery
from shopkeeper.stores.models import Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def consumer():
    names = []

    def register(name, handler, batch_handler):
        events.register_consumer(name, ["thing.*"], handler, batch_handler=batch_handler)
        names.append(name)

    yield register
    for name in names:
        events.unregister_consumer(name)


def emit(n: int) -> None:
    with transaction.atomic():
        for i in range(1, n + 1):
            record_change(
                entity="thing",
                entity_id=i,
                action="created",
                actor=Actor.system(),
                event="thing.created",
                payload={"i": i},
            )


def test_a_chunk_goes_to_the_batch_handler_in_one_call(consumer):
    single, batches = [], []
    consumer("test.batch", lambda e: single.append(e.payload["i"]), lambda es: batches.append(es))
    emit(5)
    assert events.dispatch_pending() == 5
    assert single == []
    assert [[e.payload["i"] for e in batch] for batch in batches] == [[1, 2, 3, 4, 5]]
    rows = EventDelivery.objects.filter(consumer="test.batch")
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {(DeliveryStatus.DONE, 1, "")}
    assert events.dispatch_pending() == 0  # each delivery exactly once


def test_one_due_delivery_goes_to_the_plain_handler(consumer):
    single, batches = [], []
    consumer("test.batch", lambda e: single.append(e.payload["i"]), lambda es: batches.append(es))
    emit(1)
    events.dispatch_pending()
    assert single == [1] and batches == []


def test_failing_batch_rolls_back_and_runs_the_events_one_by_one(consumer):
    def batch(evs):
        Store.objects.create(code="batch", name="written by the failed batch")
        raise RuntimeError("batch failed")

    def one(event):
        if event.payload["i"] == 2:
            raise ValueError("event 2 is broken")
        Store.objects.create(code=f"s{event.payload['i']}", name="one by one")

    consumer("test.batch", one, batch)
    emit(3)
    assert events.dispatch_pending() == 3
    assert not Store.objects.filter(code="batch").exists()  # the batch's writes were rolled back
    assert set(Store.objects.filter(name="one by one").values_list("code", flat=True)) == {"s1", "s3"}
    rows = {r.event.payload["i"]: r for r in EventDelivery.objects.select_related("event")}
    assert rows[1].status == rows[3].status == DeliveryStatus.DONE
    assert rows[2].status == DeliveryStatus.PENDING and rows[2].attempts == 1
    assert "event 2 is broken" in rows[2].last_error
    assert all(rows[i].attempts == 1 for i in (1, 3))
