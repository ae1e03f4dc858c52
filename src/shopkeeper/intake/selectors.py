"""Reads of the intake journal and mapping tables."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q, QuerySet

from .models import CodeMapping, EntryStatus, InboundRequest, MappingKind

INBOX_STATUSES = [EntryStatus.FAILED, EntryStatus.FLAGGED]


@dataclass
class InboxFilter:
    """The inbox list's filters (query parameters `status`, `source`, `store`, `q`)."""

    status: str = ""
    source: str = ""
    store: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params) -> InboxFilter:
        return cls(
            status=params.get("status", "")[:20],
            source=params.get("source", "")[:20],
            store=params.get("store", "")[:50],
            q=params.get("q", "").strip()[:100],
        )

    def query(self) -> str:
        """The filters as a query string, for the pagination links."""
        return urlencode({k: v for k, v in vars(self).items() if v})

    def apply(self, qs: QuerySet[InboundRequest]) -> QuerySet[InboundRequest]:
        if self.status == "all":
            pass
        elif self.status in EntryStatus.values:
            qs = qs.filter(status=self.status)
        else:
            qs = qs.filter(status__in=INBOX_STATUSES)
        if self.source:
            qs = qs.filter(source=self.source)
        if self.store:
            # Signed sources name the store in the address; the others in the order they made.
            qs = qs.filter(Q(store_code=self.store) | Q(order__store__code=self.store))
        if self.q:
            qs = qs.filter(error__icontains=self.q) | qs.filter(delivery_id=self.q)
        return qs


def inbox(flt: InboxFilter) -> QuerySet[InboundRequest]:
    return flt.apply(InboundRequest.objects.all()).defer("body", "headers").select_related("order__store")


def mappings(*, store_id: int | None = None, unmapped_only: bool = False) -> QuerySet[CodeMapping]:
    qs = CodeMapping.objects.select_related("store")
    if store_id:
        qs = qs.filter(store_id=store_id)
    if unmapped_only:
        qs = qs.filter(internal_code="")
    return qs.order_by("internal_code", "store__name", "source", "kind", "external_code")


def our_codes() -> list[tuple[str, str, str]]:
    """(code, name, kind label) of every active code a mapping can point at, for the form's suggestions."""
    from shopkeeper.orders import dictionaries

    from .mapping import DICTIONARIES

    return [
        (row.code, row.name, str(MappingKind(kind).label))
        for kind, model in DICTIONARIES.items()
        for row in dictionaries.ordered(model)
        if row.is_active
    ]
