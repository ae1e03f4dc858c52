"""Reads of the change log: the timeline of any entity, built the same way for every entity."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Change, ChangeLink


def timeline(*, entity: str, entity_id: int, before_id: int | None = None, limit: int = 50) -> list[Change]:
    """Changes of the entity itself and of everything linked to it, newest first."""
    own = Change.objects.filter(entity=entity, entity_id=entity_id)
    linked_ids = ChangeLink.objects.filter(entity=entity, entity_id=entity_id)
    if before_id is not None:
        own = own.filter(id__lt=before_id)
        linked_ids = linked_ids.filter(change_id__lt=before_id)
    own_ids = list(own.order_by("-id").values_list("id", flat=True)[:limit])
    link_ids = list(linked_ids.order_by("-change_id").values_list("change_id", flat=True)[:limit])
    ids = sorted(set(own_ids) | set(link_ids), reverse=True)[:limit]
    return list(Change.objects.filter(id__in=ids).order_by("-id"))


def changes_after(*, after: int, entities: list[str] | None = None) -> QuerySet[Change]:
    qs = Change.objects.filter(id__gt=after).order_by("id")
    if entities:
        qs = qs.filter(entity__in=entities)
    return qs
