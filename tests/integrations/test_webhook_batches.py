"""Webhooks in batches: the fan-out of a chunk of events (one endpoint query, one insert), concurrent
sends recorded together (every attempt logged, each delivery delivered exactly once), mixed outcomes in
one batch, and the wake-up of the sender."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shopkeeper.core.changes import Actor, record_change
from shopkeeper.core.events import dispatch_pending
from shopkeeper.integrations import dispatcher, services
from shopkeeper.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookStatus

from .conftest import drain

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def emit_many(names: list[str]) -> None:
    """Events in one transaction: they are due together and land in one outbox chunk (<= 10)."""
    with transaction.atomic():
        for i, name in enumerate(names, start=1):
            record_change(
                entity="order", entity_id=i, action="created", actor=SYSTEM, event=name, payload={"n": i}
            )


def test_fan_out_of_a_chunk_is_one_query_and_one_insert(receiver_factory):
    receiver = receiver_factory()
    customers = services.endpoint_create(url=receiver.url, events=["customer.*"], actor=SYSTEM)
    everything = services.endpoint_create(url=receiver.url, events=["*"], actor=SYSTEM)
    services.endpoint_create(url=receiver.url, events=["stock.*"], actor=SYSTEM)  # matches none
    # (events only the webhook consumer takes: 10 outbox rows, one chunk on SQLite too)
    names = ["customer.created", "product.created", "customer.updated", "customer.created", "product.updated"]
    emit_many(names * 2)
    with CaptureQueriesContext(connection) as queries:
        assert dispatch_pending() == 10
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum(1 for s in sql if "integrations_webhookendpoint" in s and s.startswith("SELECT")) == 1
    assert sum(1 for s in sql if s.startswith("INSERT") and "integrations_webhookdelivery" in s) == 1
    by_endpoint = Counter(WebhookDelivery.objects.values_list("endpoint_id", flat=True))
    assert by_endpoint == {customers.pk: 6, everything.pk: 10}
    # One delivery per (endpoint, event), each with its own id and body naming it.
    assert WebhookDelivery.objects.values("endpoint_id", "event_id").distinct().count() == 16
    for delivery in WebhookDelivery.objects.all():
        assert f'"id":"{delivery.uid}"' in bytes(delivery.body).decode()
    # Running the chunk again (a worker that crashed before marking it done) adds nothing.
    from shopkeeper.core.models import Event

    services.webhooks_fan_out_many(list(Event.objects.all()))
    assert WebhookDelivery.objects.count() == 16


def test_concurrent_sends_deliver_each_id_once_and_log_every_attempt(receiver_factory):
    receiver = receiver_factory(fail_first=4)  # the first 4 requests (whichever they are) get 500
    services.endpoint_create(url=receiver.url, events=["order.*"], actor=SYSTEM)
    for _chunk in range(3):
        emit_many(["order.created"] * 10)
        dispatch_pending()
    assert WebhookDelivery.objects.count() == 30
    drain()
    deliveries = list(WebhookDelivery.objects.all())
    assert {d.status for d in deliveries} == {WebhookStatus.DELIVERED}
    ok_receipts = Counter(r["headers"]["Shopkeeper-Delivery"] for r in receiver.requests)
    assert set(ok_receipts) == {str(d.uid) for d in deliveries}
    assert len(receiver.requests) == 34 and len(receiver.processed) == 30
    # Every request has its attempt row, on the delivery it was for; one 200 per delivery.
    assert (
        list(WebhookAttempt.objects.exclude(status_code__in=[200, 500]).values_list("error", flat=True)) == []
    )
    assert WebhookAttempt.objects.count() == 34
    for d in deliveries:
        codes = list(WebhookAttempt.objects.filter(delivery=d).values_list("status_code", flat=True))
        assert codes in ([200], [500, 200]) and len(codes) == ok_receipts[str(d.uid)] == d.attempts
        assert d.last_status_code == 200 and d.last_error == "" and d.delivered_at is not None
    assert sum(1 for d in deliveries if d.attempts == 2) == 4


def test_one_batch_with_delivered_retried_and_gone(receiver_factory):
    ok = receiver_factory()
    failing = receiver_factory(fail_first=100, fail_status=503)
    gone = receiver_factory(fail_first=100, fail_status=410)
    endpoints = {
        name: services.endpoint_create(url=r.url, events=["*"], actor=SYSTEM)
        for name, r in (("ok", ok), ("failing", failing), ("gone", gone))
    }
    emit_many(["order.created", "order.updated"])
    dispatch_pending()
    assert dispatcher.dispatch_due() == 6  # one claim, one concurrent round, one record
    rows = {(d.endpoint_id, d.event_name): d for d in WebhookDelivery.objects.select_related("endpoint")}
    for event in ("order.created", "order.updated"):
        delivered = rows[(endpoints["ok"].pk, event)]
        assert (delivered.status, delivered.attempts, delivered.last_status_code) == (
            WebhookStatus.DELIVERED,
            1,
            200,
        )
        retried = rows[(endpoints["failing"].pk, event)]
        assert (retried.status, retried.attempts, retried.last_error) == (
            WebhookStatus.PENDING,
            1,
            "HTTP 503",
        )
        dead = rows[(endpoints["gone"].pk, event)]
        assert (dead.status, dead.attempts, dead.last_status_code) == (WebhookStatus.DEAD, 1, 410)
        assert dead.delivered_at is None
    assert WebhookAttempt.objects.count() == 6
    assert not WebhookEndpoint.objects.get(pk=endpoints["gone"].pk).is_active
    assert WebhookEndpoint.objects.get(pk=endpoints["ok"].pk).is_active


def test_fan_out_wakes_the_sender_through_the_shared_event(
    receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory()
    services.endpoint_create(url=receiver.url, events=["order.*"], actor=SYSTEM)
    shared = threading.Event()  # the supervisor hands a multiprocessing event instead
    before = dispatcher.wake
    dispatcher.use_wake(shared)
    try:
        emit_many(["customer.created"])
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_pending()
        assert not shared.is_set()  # nothing to send: no wake-up
        emit_many(["order.created"])
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_pending()
        assert shared.is_set()
    finally:
        dispatcher.use_wake(before)
