"""Customer settings: RFM thresholds, custom field definitions, per-store duplicate policy."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from shopkeeper.core.models import Change
from shopkeeper.customers.metrics import rfm_thresholds
from shopkeeper.customers.models import CustomFieldDefinition, DedupePolicy

pytestmark = pytest.mark.django_db
URL = "/customers/settings/"


@pytest.fixture
def head_client(client, make_user):
    from shopkeeper.accounts import roles

    client.force_login(make_user("head", roles.HEAD_OF_SALES))
    return client


def _rfm(**over):
    data = {
        "section": "rfm",
        "rfm-recent_days": "20",
        "rfm-fair_days": "90",
        "rfm-frequency_fair": "3",
        "rfm-frequency_good": "6",
        "rfm-monetary_fair": "1000",
        "rfm-monetary_good": "9000.5",
    }
    data.update({f"rfm-{k}": v for k, v in over.items()})
    return data


def test_page_needs_permission_and_is_in_settings_nav(
    client, head_client, store, django_assert_max_num_queries
):
    assert reverse("customers:settings") == URL
    with django_assert_max_num_queries(14):
        response = head_client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-nav="customer_settings"' in body
    user = get_user_model().objects.create_user(username="viewer", password="x-Long-pass-1")
    user.user_permissions.add(
        Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    )
    client.force_login(user)
    assert client.get(URL).status_code == 403


def test_rfm_thresholds_saved_validated_and_logged(head_client):
    assert head_client.post(URL, _rfm()).status_code == 302
    assert rfm_thresholds() == {
        "recency_days": [20, 90],
        "frequency": [3, 6],
        "monetary": ["1000.00", "9000.50"],
    }
    change = Change.objects.get(entity="customer_settings", action="rfm_changed")
    assert change.changes["recency_days"] == [[], [20, 90]]
    bad = head_client.post(URL, _rfm(recent_days="100", frequency_good="2", monetary_fair="-1"))
    body = bad.content.decode()
    assert bad.status_code == 200 and "invalid-feedback" in body
    bad = head_client.post(URL, _rfm(recent_days="100"))
    assert "below the" in bad.content.decode()
    assert rfm_thresholds()["recency_days"] == [20, 90]  # unchanged
    head_client.post(URL, _rfm())  # the same values again: no new change row
    assert Change.objects.filter(entity="customer_settings").count() == 1


def test_custom_fields_created_edited_deleted(head_client, make_customer):
    data = {
        "section": "field",
        "field-entity": "customer",
        "field-code": "size",
        "field-label": "<b>Size</b>",
        "field-type": "choice",
        "field-choices": "s: Small\nm: Medium\nLarge",
        "field-position": "1",
    }
    assert head_client.post(URL, data).status_code == 302
    field = CustomFieldDefinition.objects.get()
    assert field.choices == [
        {"code": "s", "label": "Small"},
        {"code": "m", "label": "Medium"},
        {"code": "large", "label": "Large"},
    ]
    assert Change.objects.filter(
        entity="custom_field", entity_id=field.pk, action="custom_field_created"
    ).exists()
    assert "&lt;b&gt;Size&lt;/b&gt;" in head_client.get(URL).content.decode()
    # Same code again, and a choice field without choices, are refused.
    again = head_client.post(URL, data)
    assert "already exists" in again.content.decode()
    empty = head_client.post(URL, {**data, "field-code": "other", "field-choices": ""})
    assert "at least one choice" in empty.content.decode()
    dup = head_client.post(URL, {**data, "field-code": "other", "field-choices": "a: A\na: B"})
    assert "repeats" in dup.content.decode()
    assert CustomFieldDefinition.objects.count() == 1
    # Edit: the code cannot change, the label can.
    edit = reverse("customers:custom_field", args=[field.pk])
    response = head_client.post(
        edit,
        {"code": "hacked", "entity": "company", "label": "Size", "type": "string", "position": "2"},
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.code, field.entity, field.label, field.type, field.choices) == (
        "size",
        "customer",
        "Size",
        "string",
        [],
    )
    assert Change.objects.filter(entity="custom_field", action="custom_field_changed").count() == 1
    assert head_client.post(edit, {"delete": "1"}).status_code == 302
    assert not CustomFieldDefinition.objects.exists()
    assert Change.objects.filter(entity="custom_field", action="custom_field_deleted").exists()


def test_dedupe_policy_per_store(head_client, store, us_store):
    response = head_client.post(
        URL, {"section": "policy", "store": store.pk, f"policy-{store.pk}-reuse_on_email": "on"}
    )
    assert response.status_code == 302
    policy = DedupePolicy.objects.get(store=store)
    assert policy.reuse_on_email and not policy.reuse_on_phone
    assert not DedupePolicy.objects.filter(store=us_store).exists()
    change = Change.objects.get(entity="store", entity_id=store.pk, action="dedupe_policy_changed")
    assert change.changes["reuse_on_phone"] == [True, False]
    assert head_client.post(URL, {"section": "policy", "store": 999999}).status_code == 404
