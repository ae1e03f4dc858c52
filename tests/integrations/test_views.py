from __future__ import annotations

import pytest
from django.urls import reverse

from shopkeeper.core.changes import Actor
from shopkeeper.integrations import services
from shopkeeper.integrations.models import WebhookDelivery, WebhookEndpoint, WebhookStatus

pytestmark = pytest.mark.django_db


def test_webhook_pages(admin_client, django_assert_max_num_queries):
    r = admin_client.post(
        reverse("integrations:webhooks"), {"url": "https://example.com/h", "events": "order.*, customer.*"}
    )
    assert r.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["customer.*", "order.*"]
    for _ in range(3):
        d = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_name="order.created",
            body=b"{}",
            next_attempt_at="2000-01-01T00:00Z",
            status=WebhookStatus.DEAD,
        )
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("integrations:webhooks")).status_code == 200
    with django_assert_max_num_queries(12):
        r = admin_client.get(reverse("integrations:endpoint", args=[endpoint.pk]))
    assert r.status_code == 200 and str(d.uid).encode() in r.content
    assert admin_client.post(reverse("integrations:delivery_replay", args=[d.pk])).status_code == 302
    d.refresh_from_db()
    assert d.status == WebhookStatus.PENDING
    assert admin_client.post(reverse("integrations:endpoint_rotate", args=[endpoint.pk])).status_code == 302
    assert admin_client.post(reverse("integrations:endpoint_toggle", args=[endpoint.pk])).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert admin_client.post(reverse("integrations:endpoint_delete", args=[endpoint.pk])).status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_webhook_pages_need_permission(client, make_user):
    from shopkeeper.accounts import roles

    services.endpoint_create(url="https://example.com/", events=["*"], actor=Actor.system("t"))
    client.force_login(make_user("m", roles.MANAGER))
    assert client.get(reverse("integrations:webhooks")).status_code == 403
