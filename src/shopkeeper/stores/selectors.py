from __future__ import annotations

from django.db.models import QuerySet

from .models import Store


def stores_visible(*, store_ids: list[int] | None) -> QuerySet[Store]:
    """Stores a key or user may see; `None` means no restriction."""
    qs = Store.objects.all()
    if store_ids is not None:
        qs = qs.filter(pk__in=store_ids)
    return qs
