from __future__ import annotations

from django.db.models import QuerySet

from shopkeeper.accounts.selectors import active_users
from shopkeeper.core.scope import attach_reference, reference

from .models import Store


def stores_visible(*, store_ids: list[int] | None) -> QuerySet[Store]:
    """Stores a key or user may see; `None` means no restriction."""
    qs = Store.objects.all()
    if store_ids is not None:
        qs = qs.filter(pk__in=store_ids)
    return qs


def active_stores() -> list[Store]:
    """Active stores in their model order, as the lists' store filters offer them; kept with the
    process's reference rows (`core.scope`), cleared when a store is saved."""
    return reference(("active_stores",), lambda: list(Store.objects.filter(is_active=True)))


def attach_store_and_manager(objects: list) -> None:
    """Set the store and manager (names only) of loaded orders or customers from the process's
    reference rows instead of joining them in."""
    attach_reference(objects, "store", active_stores)
    attach_reference(objects, "manager", active_users)
