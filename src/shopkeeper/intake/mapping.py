"""Mapping tables: a source's delivery/payment/status/channel codes -> ours, per store."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from shopkeeper.core.scope import reference
from shopkeeper.orders import dictionaries
from shopkeeper.orders.models import Channel, DeliveryType, PaymentType, Status

from .models import CodeMapping, MappingKind

DICTIONARIES = {
    MappingKind.DELIVERY: DeliveryType,
    MappingKind.PAYMENT: PaymentType,
    MappingKind.STATUS: Status,
    MappingKind.CHANNEL: Channel,
}


def _slots(payload: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(kind, container, key) of every code in a native payload."""
    slots: list[tuple[str, Any, Any]] = [
        (MappingKind.CHANNEL, payload, "channel"),
        (MappingKind.STATUS, payload, "status"),
    ]
    delivery = payload.get("delivery")
    if isinstance(delivery, dict):
        slots.append((MappingKind.DELIVERY, delivery, "type"))
    payments = payload.get("payments")
    if isinstance(payments, list):
        slots += [(MappingKind.PAYMENT, p, "type") for p in payments if isinstance(p, dict)]
    return [(k, c, key) for k, c, key in slots if isinstance(c.get(key), str) and c.get(key)]


def apply_mappings(
    *, store_id: int, source: str, payload: dict[str, Any], defaults: dict[str, dict[str, str]]
) -> list[tuple[str, str]]:
    """Replace external codes in `payload` by ours; return the (kind, code) pairs nobody knows."""
    slots = _slots(payload)
    if not slots:
        return []
    table = reference(
        ("code_mappings", store_id, source),
        lambda: {
            (m.kind, m.external_code): m.internal_code
            for m in CodeMapping.objects.filter(store_id=store_id, source=source).exclude(internal_code="")
        },
    )
    unknown: list[tuple[str, str]] = []
    for kind, container, key in slots:
        code = container[key]
        mapped = table.get((kind, code)) or defaults.get(kind, {}).get(code)
        if mapped:
            container[key] = mapped
            continue
        if code not in dictionaries.by_code(DICTIONARIES[kind]) and (kind, code) not in unknown:
            unknown.append((kind, code))
    return unknown


def record_unmapped(*, store_id: int, source: str, codes: list[tuple[str, str]]) -> None:
    """Count unknown codes in the store's table (unmapped rows) so an administrator can map them."""
    now = timezone.now()
    for kind, code in codes:
        code = code[:100]
        updated = CodeMapping.objects.filter(
            store_id=store_id, source=source, kind=kind, external_code=code
        ).update(seen_count=F("seen_count") + 1, last_seen_at=now)
        if not updated:
            CodeMapping.objects.bulk_create(
                [
                    CodeMapping(
                        store_id=store_id,
                        source=source,
                        kind=kind,
                        external_code=code,
                        seen_count=1,
                        last_seen_at=now,
                    )
                ],
                ignore_conflicts=True,
            )
