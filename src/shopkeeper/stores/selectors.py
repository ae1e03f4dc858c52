from __future__ import annotations

from django.db.models import QuerySet

from shopkeeper.core.scope import reference

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
