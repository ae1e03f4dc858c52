"""Saved views of the customer list: personal or shared, filters only, change-logged."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from shopkeeper.core.models import Change
from shopkeeper.customers.models import SavedView

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_save_keeps_only_filters_and_lists_the_view(manager_client, manager, make_customer):
    make_customer(first_name="Anna")
    response = manager_client.post(
        reverse("customers:view_save"),
        {"name": "  Big  spenders ", "query": "spent_min=1000&page=3&evil=1&q=&rfm=33"},
    )
    view = SavedView.objects.get()
    assert view.name == "Big spenders" and view.owner == manager
    assert view.query == "rfm=33&spent_min=1000"
    assert response.status_code == 302 and response["Location"].endswith("?rfm=33&spent_min=1000")
    assert Change.objects.filter(entity="customer_view", entity_id=view.pk, action="created").exists()
    body = manager_client.get(reverse("customers:list")).content.decode()
    assert "Big spenders" in body and "?rfm=33&amp;spent_min=1000" in body
    # Same name again replaces the filters instead of adding a second view.
    manager_client.post(reverse("customers:view_save"), {"name": "Big spenders", "query": "rfm=3"})
    view.refresh_from_db()
    assert SavedView.objects.count() == 1 and view.query == "rfm=3"
    assert Change.objects.filter(entity="customer_view", action="updated").count() == 1


def test_empty_name_is_refused(manager_client):
    response = manager_client.post(
        reverse("customers:view_save"), {"name": " ", "query": "rfm=3"}, follow=True
    )
    assert not SavedView.objects.exists()
    assert "Give the view a name." in response.content.decode()


def test_personal_views_are_private_and_shared_ones_visible(client, make_user):
    from shopkeeper.accounts import roles

    manager = make_user("head", roles.HEAD_OF_SALES)
    other = make_user("colleague")
    client.force_login(manager)
    client.post(reverse("customers:view_save"), {"name": "Mine <b>", "query": "tag=vip"}, follow=True)
    client.post(
        reverse("customers:view_save"), {"name": "Team", "query": "tag=b2b", "is_shared": "1"}, follow=True
    )
    assert SavedView.objects.get(name="Team").is_shared  # heads of sales may share
    client.force_login(other)
    body = client.get(reverse("customers:list")).content.decode()
    assert "Team" in body and "Mine" not in body
    # Not the owner: cannot delete.
    team = SavedView.objects.get(name="Team")
    assert client.post(reverse("customers:view_delete", args=[team.pk])).status_code == 404
    client.force_login(manager)
    assert "Mine &lt;b&gt;" in client.get(reverse("customers:list")).content.decode()
    assert client.post(reverse("customers:view_delete", args=[team.pk])).status_code == 302
    assert not SavedView.objects.filter(pk=team.pk).exists()
    assert Change.objects.filter(entity="customer_view", entity_id=team.pk, action="deleted").exists()


def test_sharing_needs_the_permission(client):
    user = get_user_model().objects.create_user(username="viewer", password="x-Long-pass-1")
    user.user_permissions.add(
        Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    )
    client.force_login(user)
    client.post(reverse("customers:view_save"), {"name": "Try", "query": "", "is_shared": "1"})
    assert SavedView.objects.get().is_shared is False


def test_list_with_views_pins_queries(manager_client, manager, make_customer, django_assert_max_num_queries):
    for i in range(5):
        manager_client.post(reverse("customers:view_save"), {"name": f"v{i}", "query": f"tag=t{i}"})
        make_customer(first_name=f"N{i}")
    with django_assert_max_num_queries(17):
        response = manager_client.get(reverse("customers:list"))
    assert response.content.decode().count('data-testid="saved-views"') == 1
