"""The navigation: each app adds its sections when it is installed (no placeholder pages)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    url_name: str
    icon: str
    order: int
    permission: str | None = None  # shown only to users who have it
    group: str = "main"  # "main" (left) or "settings"


_sections: dict[str, Section] = {}


def register_section(section: Section) -> None:
    _sections[section.key] = section


_urls: dict[tuple[str, str, object, str], str] = {}


def _url(url_name: str) -> str:
    """`reverse(url_name)`, kept per script prefix and URLconf (every page's menu reverses ~20 names)."""
    key = (url_name, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    url = _urls.get(key)
    if url is None:
        url = _urls[key] = reverse(url_name)
    return url


def sections_for(user, group: str | None = None) -> list[dict]:
    items = []
    for s in sorted(_sections.values(), key=lambda s: s.order):
        if group and s.group != group:
            continue
        if s.permission and not user.has_perm(s.permission):
            continue
        items.append(
            {
                "key": s.key,
                "label": s.label,
                "url": _url(s.url_name),
                "icon": s.icon,
                "group": s.group,
            }
        )
    return items
