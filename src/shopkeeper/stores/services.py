from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shopkeeper.core.changes import Actor, record_change, update_recorded

from .models import NameOrder, Store

if TYPE_CHECKING:
    from shopkeeper.inventory.models import Warehouse

# Fields set through `store_update` (the code names the store in the API and intake: never changed).
STORE_FIELDS = {
    "name",
    "currency",
    "timezone",
    "is_active",
    "reservation_strategy",
    "name_order",
    "legal_name",
    "address",
    "tax_id",
    "bank_details",
    "phone",
    "email",
}


@transaction.atomic
def store_create(
    *,
    code: str,
    name: str,
    currency: str,
    timezone: str,
    actor: Actor,
    is_active: bool = True,
    name_order: str = NameOrder.LAST_FIRST,
    legal_name: str = "",
    address: str = "",
    tax_id: str = "",
    bank_details: str = "",
    phone: str = "",
    email: str = "",
) -> Store:
    store = Store(
        code=code,
        name=name,
        currency=currency.strip().upper(),
        timezone=timezone,
        is_active=is_active,
        name_order=name_order,
        legal_name=legal_name,
        address=address,
        tax_id=tax_id,
        bank_details=bank_details,
        phone=phone,
        email=email,
    )
    store.full_clean()
    store.save()
    changes: dict[str, list[Any]] = {
        "code": [None, code],
        "name": [None, name],
        "currency": [None, store.currency],
        "timezone": [None, timezone],
    }
    if not is_active:
        changes["is_active"] = [None, False]
    if name_order != NameOrder.LAST_FIRST:
        changes["name_order"] = [None, name_order]
    for field in ("legal_name", "address", "tax_id", "bank_details", "phone", "email"):
        if getattr(store, field):
            changes[field] = [None, getattr(store, field)]
    record_change(
        entity="store",
        entity_id=store.pk,
        action="created",
        actor=actor,
        changes=changes,
        event="store.created",
        payload={"code": code},
    )
    return store


@transaction.atomic
def store_update(*, store: Store, actor: Actor, **values: Any) -> Store:
    unknown = set(values) - STORE_FIELDS
    if unknown == {"code"} and values["code"] == store.code:
        values.pop("code")
    elif "code" in unknown:
        raise ValidationError({"code": _("The code of a store cannot be changed.")})
    elif unknown:
        raise TypeError(f"store_update() got unknown fields: {', '.join(sorted(unknown))}")
    if isinstance(values.get("currency"), str):
        values["currency"] = values["currency"].strip().upper()
    update_recorded(
        store, values, entity="store", actor=actor, event="store.updated", payload={"code": store.code}
    )
    return store


@transaction.atomic
def store_settings_save(
    *,
    store: Store | None,
    values: dict[str, Any],
    warehouses: list[Warehouse],
    reservation_strategy: str,
    number_prefix: str,
    default_price_type: str,
    customers_keep_manager: bool | None = None,
    actor: Actor,
) -> Store:
    """Everything of the Settings -> Stores form in one transaction: the store row (created when `store` is
    None), where it ships from and how it reserves, its order numbering and default price type."""
    from shopkeeper.inventory.services import store_set_shipping
    from shopkeeper.orders.settings_services import store_order_settings_save

    if store is None:
        store = store_create(actor=actor, **values)
    else:
        store_update(store=store, actor=actor, **values)
    store_set_shipping(
        store=store, warehouses=warehouses, reservation_strategy=reservation_strategy, actor=actor
    )
    store_order_settings_save(
        store=store,
        number_prefix=number_prefix,
        default_price_type=default_price_type,
        customers_keep_manager=customers_keep_manager,
        actor=actor,
    )
    return store
