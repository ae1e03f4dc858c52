from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from shopkeeper.core import events
from shopkeeper.core.changes import Actor, apply_changes, record_change
from shopkeeper.core.models import Change, DeliveryStatus, Event, EventDelivery
from shopkeeper.stores.models import Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def consumers():
    seen: list[tuple[str, int]] = []
    names = []

    def register(name, patterns, handler=None):
        events.register_consumer(name, patterns, handler or (lambda e: seen.append((name, e.pk))))
        names.append(name)

    yield register, seen
    for name in names:
        events.unregister_consumer(name)


@pytest.mark.django_db(transaction=True)
def test_record_change_needs_a_transaction():
    with pytest.raises(RuntimeError):
        record_change(entity="x", entity_id=1, action="created", actor=Actor.system())


def test_change_and_event_are_written_together(consumers):
    register, _seen = consumers
    register("test.audit", ["store.*"])
    with transaction.atomic():
        change = record_change(
            entity="store",
            entity_id=7,
            action="updated",
            actor=Actor.system("cli"),
            changes={"name": ["A", "B"]},
            event="store.updated",
            payload={"code": "main"},
        )
    event = Event.objects.get(change=change)
    assert event.name == "store.updated"
    assert change.changes == {"name": ["A", "B"]}
    assert change.source == "cli"
    assert list(EventDelivery.objects.values_list("consumer", flat=True)) == ["test.audit"]


def test_rolled_back_transaction_emits_nothing(consumers):
    register, _seen = consumers
    register("test.audit", ["*"])
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record_change(
            entity="store",
            entity_id=1,
            action="created",
            actor=Actor.system(),
            event="store.created",
        )
        1 / 0
    assert not Change.objects.exists()
    assert not Event.objects.exists()
    assert not EventDelivery.objects.exists()


def test_apply_changes_reports_only_real_changes():
    store = Store(code="a", name="Old", currency="USD")
    changed = apply_changes(store, {"name": "New", "currency": "USD"})
    assert changed == {"name": ["Old", "New"]}
    assert store.name == "New"


def test_failing_consumer_is_retried_with_backoff_and_does_not_block_others(consumers):
    register, seen = consumers
    calls = {"n": 0}

    def flaky(event):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("receiver down")
        seen.append(("flaky", event.pk))

    register("test.flaky", ["thing.*"], flaky)
    register("test.ok", ["thing.*"])
    with transaction.atomic():
        record_change(
            entity="thing",
            entity_id=1,
            action="created",
            actor=Actor.system(),
            event="thing.created",
        )
        record_change(
            entity="thing",
            entity_id=2,
            action="created",
            actor=Actor.system(),
            event="thing.created",
        )

    assert events.dispatch_pending() == 4
    flaky_row = EventDelivery.objects.filter(consumer="test.flaky", status=DeliveryStatus.PENDING).get()
    assert flaky_row.attempts == 1
    assert "receiver down" in flaky_row.last_error
    assert flaky_row.next_attempt_at > timezone.now()
    assert EventDelivery.objects.filter(consumer="test.ok", status=DeliveryStatus.DONE).count() == 2

    # Not due yet: nothing runs. Once due, it succeeds.
    assert events.dispatch_pending() == 0
    EventDelivery.objects.filter(pk=flaky_row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert events.dispatch_pending() == 1
    assert EventDelivery.objects.get(pk=flaky_row.pk).status == DeliveryStatus.DONE


def test_delivery_is_dead_lettered_after_max_attempts(consumers, settings):
    settings.SHOPKEEPER_EVENT_MAX_ATTEMPTS = 2
    register, _seen = consumers
    register("test.broken", ["thing.*"], lambda e: 1 / 0)
    with transaction.atomic():
        record_change(
            entity="thing",
            entity_id=1,
            action="created",
            actor=Actor.system(),
            event="thing.created",
        )
    for _ in range(2):
        EventDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        events.dispatch_pending()
    row = EventDelivery.objects.get()
    assert row.status == DeliveryStatus.DEAD
    assert row.attempts == 2


def test_consumer_writes_roll_back_with_its_failure(consumers):
    register, _seen = consumers

    def half_then_fail(event):
        Store.objects.create(code="half", name="written then failed")
        raise ValueError("late failure")

    register("test.partial", ["thing.*"], half_then_fail)
    with transaction.atomic():
        record_change(
            entity="thing",
            entity_id=1,
            action="created",
            actor=Actor.system(),
            event="thing.created",
        )
    events.dispatch_pending()
    assert not Store.objects.filter(code="half").exists()


def test_backoff_grows_and_is_capped(settings):
    settings.SHOPKEEPER_EVENT_BACKOFF_CAP = 60
    assert events.backoff(1) < events.backoff(4)
    assert events.backoff(30) <= timedelta(seconds=60 * 1.25)
