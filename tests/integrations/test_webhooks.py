from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.db import transaction

from shopkeeper.core.changes import Actor, record_change
from shopkeeper.core.events import dispatch_pending
from shopkeeper.integrations import dispatcher, services
from shopkeeper.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookStatus

from .conftest import drain

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def emit(name: str = "order.created", entity_id: int = 1) -> None:
    with transaction.atomic():
        record_change(
            entity="order",
            entity_id=entity_id,
            action="created",
            actor=SYSTEM,
            event=name,
            payload={"n": entity_id},
        )
    dispatch_pending()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    parts = [p.split("=", 1) for p in headers["Shopkeeper-Signature"].split(",")]
    t = next(v for k, v in parts if k == "t")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts)


def test_retries_until_delivered_once_and_logs_every_attempt(receiver_factory):
    receiver = receiver_factory(fail_first=3)
    endpoint = services.endpoint_create(url=receiver.url, events=["order.*"], actor=SYSTEM)
    emit("order.created", 1)
    emit("customer.created", 2)  # not subscribed
    drain()
    assert len(receiver.requests) == 4
    assert len(receiver.processed) == 1
    request = receiver.requests[-1]
    assert request["headers"]["Shopkeeper-Event"] == "order.created"
    assert verify(endpoint.secret, request["headers"], request["body"])
    body = json.loads(request["body"])
    assert body["event"] == "order.created" and body["data"] == {"n": 1}
    assert body["id"] == request["headers"]["Shopkeeper-Delivery"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookStatus.DELIVERED and delivery.attempts == 4
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True))
    assert attempts == [500, 500, 500, 200]
    assert all(a.duration_ms >= 0 for a in WebhookAttempt.objects.all())
    # the outbox consumer is idempotent: a second run adds no delivery
    from shopkeeper.core.models import Event

    services.webhooks_fan_out(Event.objects.get(name="order.created"))
    assert WebhookDelivery.objects.count() == 1


def test_dead_letter_and_replay(receiver_factory, settings):
    settings.SHOPKEEPER_WEBHOOK_MAX_ATTEMPTS = 3
    receiver = receiver_factory(fail_first=3)
    endpoint = services.endpoint_create(url=receiver.url, events=["*"], actor=SYSTEM)
    emit()
    drain()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookStatus.DEAD and delivery.attempts == 3
    services.delivery_replay(delivery=delivery, actor=SYSTEM)
    drain()
    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.DELIVERED
    assert len(receiver.processed) == 1 and str(delivery.uid) in receiver.processed
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 4
    assert endpoint.deliveries.count() == 1


def test_receiver_that_never_answers_ends_dead(settings):
    import socket

    settings.SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE = True
    settings.SHOPKEEPER_WEBHOOK_BACKOFF_SCALE = 0
    settings.SHOPKEEPER_WEBHOOK_MAX_ATTEMPTS = 2
    settings.SHOPKEEPER_WEBHOOK_TIMEOUT = 0.3
    dispatcher._client = None
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections, never answers
    try:
        services.endpoint_create(
            url=f"http://127.0.0.1:{silent.getsockname()[1]}/", events=["*"], actor=SYSTEM
        )
        emit()
        drain()
    finally:
        silent.close()
        dispatcher._client = None
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookStatus.DEAD
    assert all("Timeout" in a.error for a in WebhookAttempt.objects.all())


def test_gone_disables_the_endpoint(receiver_factory):
    receiver = receiver_factory(fail_first=100, fail_status=410)
    endpoint = services.endpoint_create(url=receiver.url, events=["*"], actor=SYSTEM)
    emit()
    drain()
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().status == WebhookStatus.DEAD
    emit(entity_id=2)  # a disabled endpoint gets no new deliveries
    assert WebhookDelivery.objects.count() == 1


def test_private_targets_refused_by_default(settings, receiver_factory):
    receiver = receiver_factory()
    settings.SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE = False
    services.endpoint_create(url=receiver.url, events=["*"], actor=SYSTEM)
    emit()
    drain(1)
    assert receiver.requests == []
    assert "refused" in WebhookAttempt.objects.get().error
    for url in ("http://10.0.0.1/", "http://169.254.169.254/latest", "http://[::1]/", "http://localhost/"):
        with pytest.raises(dispatcher.TargetRefused):
            dispatcher.check_target(url)


def test_secret_rotation_signs_twice(receiver_factory):
    receiver = receiver_factory()
    endpoint = services.endpoint_create(url=receiver.url, events=["*"], actor=SYSTEM)
    old = endpoint.secret
    new = services.endpoint_rotate_secret(endpoint=endpoint, actor=SYSTEM)
    emit()
    drain()
    request = receiver.requests[0]
    assert verify(old, request["headers"], request["body"]) and verify(
        new, request["headers"], request["body"]
    )
    assert request["headers"]["Shopkeeper-Signature"].count("v1=") == 2


def test_backoff_spans_about_a_day():
    total = sum(dispatcher.SCHEDULE)
    assert 20 * 3600 <= total <= 30 * 3600
    assert dispatcher.max_attempts() == len(dispatcher.SCHEDULE) + 1


def test_webhooks_api(api, make_key, django_assert_max_num_queries):
    api.key = make_key("webhooks:manage")
    r = api.post("/webhooks", {"url": "https://example.com/hook", "events": ["order.created"]})
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["secret"].startswith("whsec_")
    assert api.post("/webhooks", {"url": "ftp://x", "events": ["*"]}).status_code == 422
    assert api.post("/webhooks", {"url": "https://x.test", "events": []}).status_code == 422
    with django_assert_max_num_queries(6):
        listing = api.get("/webhooks").json()
    assert [e["url"] for e in listing["items"]] == ["https://example.com/hook"]
    assert "secret" not in listing["items"][0]
    endpoint = WebhookEndpoint.objects.get()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_name="order.created",
        body=b"{}",
        next_attempt_at="2000-01-01T00:00Z",
        status=WebhookStatus.DEAD,
    )
    dead = api.get(f"/webhooks/{endpoint.pk}/deliveries", status="dead").json()["items"]
    assert [d["delivery_id"] for d in dead] == [str(delivery.uid)]
    r = api.post(f"/webhooks/{endpoint.pk}/deliveries/{delivery.uid}/replay")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert api.post(f"/webhooks/{endpoint.pk}/deliveries/nope/replay").status_code == 404
    assert api.post(f"/webhooks/{endpoint.pk}/rotate-secret").json()["secret"] != created["secret"]
    assert api.request("DELETE", f"/webhooks/{endpoint.pk}").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    api.key = make_key("orders:read")
    assert api.get("/webhooks").status_code == 403
