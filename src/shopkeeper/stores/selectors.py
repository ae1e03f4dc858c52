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


def store_ids_of_codes(codes: list[str]) -> list[int]:
    """Ids of the stores with these codes (unknown codes match none), from the process's reference rows;
    a code they lack (a store another process just created) is looked up."""
    by_code = reference(("store_ids_by_code",), lambda: dict(Store.objects.values_list("code", "pk")))
    if any(code not in by_code for code in codes):
        return list(Store.objects.filter(code__in=codes).values_list("pk", flat=True))
    return [by_code[code] for code in dict.fromkeys(codes)]


def attach_store_and_manager(objects: list) -> None:
    """Set the store and manager (names only) of loaded orders or customers from the process's
    reference rows instead of joining them in."""
    attach_reference(objects, "store", active_stores)
    attach_reference(objects, "manager", active_users)
