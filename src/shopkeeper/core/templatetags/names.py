"""Stored names that may be ones we install (default price types, order dictionary entries)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def translated(value: str) -> str:
    """The name's translation when it is one we ship, else the name as typed. Unlike
    `{% translate variable %}`, a "%" in the name stays one."""
    return gettext(value) if isinstance(value, str) and value else value
