"""Roles are groups with permissions. The permission sets live here, in code, and are synced
after every migrate so a new capability's permissions reach the roles that should have them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ADMINISTRATOR = "Administrator"
HEAD_OF_SALES = "Head of sales"
MANAGER = "Manager"
WAREHOUSE = "Warehouse"
ANALYST = "Analyst"

ROLE_LABELS = {
    ADMINISTRATOR: _("Administrator"),
    HEAD_OF_SALES: _("Head of sales"),
    MANAGER: _("Manager"),
    # The role (the people who pick and ship), not the place: "Warehouse" alone is the place.
    WAREHOUSE: pgettext_lazy("role", "Warehouse"),
    ANALYST: _("Analyst"),
}

# app_label.codename patterns; "*" means every permission of the app, "view_*" every view permission.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    ADMINISTRATOR: ["*.*"],
    HEAD_OF_SALES: [
        "stores.view_*",
        "catalog.*",
        "inventory.view_*",
        "customers.*",
        "orders.*",
        "intake.*",
        "accounts.view_user",
        "core.view_change",
    ],
    MANAGER: [
        "stores.view_*",
        "catalog.view_*",
        "inventory.view_*",
        "core.view_change",
        "customers.view_*",
        "customers.add_*",
        "customers.change_customer",
        "customers.change_company",
        "customers.change_companycontact",
        "customers.change_note",
        "customers.change_tag",
        "customers.change_duplicatecandidate",
        "customers.change_savedview",
        "customers.delete_savedview",
        "customers.change_segment",
        "orders.view_*",
        "orders.add_order",
        "orders.change_order",
        "orders.add_payment",
        "orders.change_payment",
        "orders.add_savedview",
        "orders.change_savedview",
        "orders.delete_savedview",
    ],
    WAREHOUSE: ["stores.view_*", "catalog.view_*", "inventory.*", "orders.view_*"],
    ANALYST: [
        "stores.view_*",
        "catalog.view_*",
        "inventory.view_*",
        "customers.view_*",
        "orders.view_*",
        "core.view_change",
    ],
}
# Apps whose permissions are the platform's own; only administrators get them by "*.*".
_PLATFORM_APPS = {"admin", "auth", "contenttypes", "sessions", "django_tasks_database"}


def _matching(patterns: list[str]) -> Q:
    q = Q(pk__in=[])
    for pattern in patterns:
        app, codename = pattern.split(".", 1)
        # Not Q(): `Q(pk__in=[]) | Q()` is just the empty match, so "*.*" matched no permission at all.
        part = Q(pk__isnull=False) if app == "*" else Q(content_type__app_label=app)
        if codename.endswith("*"):
            part &= Q(codename__startswith=codename[:-1]) if codename != "*" else Q()
        else:
            part &= Q(codename=codename)
        q |= part
    return q


def roles_sync() -> None:
    for name, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(_matching(patterns))
        if name != ADMINISTRATOR:
            perms = perms.exclude(content_type__app_label__in=_PLATFORM_APPS)
        group.permissions.set(perms)


def roles_sync_after_migrate(*, app_config: Any, using: str = "default", **kwargs: Any) -> None:
    from django.apps import apps

    # post_migrate is sent once per app; permissions of every app exist only after the last one.
    if app_config is list(apps.get_app_configs())[-1]:
        roles_sync()
