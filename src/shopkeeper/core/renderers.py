"""A form renderer that writes Django's common widgets in Python.

Django renders each widget through its template engine: a `<select>` includes one template per
option and every element includes `attrs.html`, about 0.1-1 ms per field. The order card shows
fifteen such fields on every view. `FastRenderer` produces the same markup as Django's templates in
`django/forms/templates/django/forms/` (input, select, textarea and label) with plain string joins,
escaping every value as the template engine does; any other template, or a value those templates
would localize (a number or date as a label), goes to the template engine as before. A form opts in
with `default_renderer = FAST_RENDERER`; tests/core/test_renderers.py compares the two renderers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData


class _Fallback(Exception):
    """A value the Python templates do not handle: render with the template engine."""


def _text(value: Any) -> str:
    """`{{ value }}`: text escaped unless already safe (other types are localized: fall back)."""
    if isinstance(value, str):
        return conditional_escape(value)
    if isinstance(value, Promise):
        return conditional_escape(str(value))
    raise _Fallback


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` (stringformat keeps a safe value safe)."""
    text = "%s" % (value,)  # noqa: UP031 - the filter's own formatting
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html (and django/forms/attrs.html)."""
    out = []
    for name, value in attrs.items():
        if value is not False:
            out.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


_OPTION = "django/forms/widgets/select_option.html"


def _select(widget: dict[str, Any]) -> str:
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                raise _Fallback
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>"
    )


def _label(context: dict[str, Any]) -> str:
    if not context["use_tag"]:
        return _text(context["label"])
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_text(context['label'])}</{tag}>"


_W = "django/forms/widgets/"
_INPUTS = (
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "search",
    "tel",
)
TEMPLATES: dict[str, Callable[[dict[str, Any]], str]] = {
    **{
        f"{_W}{name}.html": lambda c: _input(c["widget"]) for name in (*_INPUTS, "input", "checkbox", "color")
    },
    f"{_W}select.html": lambda c: _select(c["widget"]),
    f"{_W}textarea.html": lambda c: _textarea(c["widget"]),
    "django/forms/label.html": _label,
}


class FastRenderer(DjangoTemplates):
    """Django's default form renderer with the common widget templates written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        fast = TEMPLATES.get(template_name)
        if fast is not None:
            try:
                return fast(context)
            except (_Fallback, KeyError):
                pass
        return super().render(template_name, context, request=request)


FAST_RENDERER = FastRenderer()
