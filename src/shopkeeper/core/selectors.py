"""Reads of the change log: the timeline of any entity, built the same way for every entity."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from .models import Change


def timeline(
    *,
    entity: str,
    entity_id: int | None = None,
    entity_ids: Sequence[int] = (),
    before_id: int | None = None,
    limit: int = 50,
) -> list[Change]:
    """Changes of the entity (or of each of `entity_ids`) and of everything linked to it, newest first.

    One statement: the newest `limit` ids of its own changes and of its links, each through its index,
    then those rows (it was three round trips on every card)."""
    ids = [entity_id] if entity_id is not None else list(entity_ids)
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    own_before, link_before = (" AND id < %s", " AND change_id < %s") if before_id is not None else ("", "")
    # Constant SQL but for the number of placeholders; every value travels as a parameter.
    own = f"SELECT id FROM core_change WHERE entity = %s AND entity_id IN ({marks}){own_before}"  # noqa: S608
    link = f"SELECT change_id FROM core_changelink WHERE entity = %s AND entity_id IN ({marks}){link_before}"  # noqa: S608
    sql = (
        f"SELECT id FROM ({own} ORDER BY id DESC LIMIT %s) own UNION "  # noqa: S608
        f"SELECT change_id FROM ({link} ORDER BY change_id DESC LIMIT %s) linked"
    )
    params = [entity, *ids, *([before_id] if before_id is not None else []), limit] * 2
    return list(Change.objects.filter(id__in=RawSQL(sql, params)).order_by("-id")[:limit])  # noqa: S611


def changes_after(*, after: int, entities: list[str] | None = None) -> QuerySet[Change]:
    qs = Change.objects.filter(id__gt=after).order_by("id")
    if entities:
        qs = qs.filter(entity__in=entities)
    return qs


TIMELINE_PAGE = 30  # a card shows the newest entries; "Show earlier" brings the ones before, page by page
