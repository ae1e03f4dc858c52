"""The rows of the single window, rendered in Python.

The list shows 50 rows of up to 11 chosen columns; as a template loop with `{% if key == ... %}` chains
they cost most of the page's time. Here a row is a few string joins: each cell an f-string with every
value escaped, and whatever depends only on a dictionary row, a store, a manager or a payment status
(status badge, payment badge, store code, manager name ...) is built once per page (`format_html`) and
reused for the rows that share it. The markup is the same as the template's was
(tests/orders/test_list_tags.py pins a row with every column).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Container, Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import capfirst, floatformat
from django.utils.formats import get_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _

from shopkeeper.core.dates import formatter
from shopkeeper.core.templatetags.shopkeeper import once, phone, url_around_id

register = template.Library()

# Per-row values are escaped by the standard library's `html.escape`, which is what Django's `escape`
# does, without its lazy-string check and SafeString per call (fifty rows, a few values each).
_escape = html.escape


@lru_cache(maxsize=8192)
def _phone_cell(value: str) -> str:
    """Formatting a phone parses it (phonenumbers); the first page of the list is the same for everyone."""
    return format_html('<td class="text-nowrap small d-none d-md-table-cell">{}</td>', phone(value))


class _Page:
    """What one rendering of rows shares: translations, formats and cells built once per page."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.memo: dict[tuple, str] = {}
        self.date = formatter()
        self.decimal_separator: str | None = None

    def money(self, value: Any) -> str:
        """`floatformat(value, 2)`. A money column holds a Decimal with two places: its digits as they
        are, with the language's decimal separator (floatformat's own result for such a value when no
        thousand separator is configured); anything else goes to floatformat."""
        if (
            type(value) is Decimal
            and value.as_tuple().exponent == -2
            and (value or not value.is_signed())  # floatformat drops the sign of -0.00
            and not settings.USE_THOUSAND_SEPARATOR
        ):
            text = str(value)
            if "E" not in text:
                if self.decimal_separator is None:
                    self.decimal_separator = get_format("DECIMAL_SEPARATOR", get_language(), use_l10n=True)
                return text.replace(".", self.decimal_separator)
        return floatformat(value, 2)

    def once(self, key: tuple, build: Callable[[], str]) -> str:
        return once(self.memo, key, build)

    def created(self, value: dt.datetime) -> str:
        """`value|date:"SHORT_DATETIME_FORMAT"` in the current time zone and language."""
        return f'<td class="text-nowrap small d-none d-sm-table-cell">{_escape(self.date(template_localtime(value)))}</td>'


def _number(o, url: str, page: _Page) -> str:
    flags = ""
    if o.needs_attention:
        flags += page.once(
            ("attention",),
            lambda: format_html(
                ' <i class="bi bi-exclamation-triangle-fill text-warning" title="{}"></i>',
                _("Needs attention"),
            ),
        )
    if o.overdue_at and not o.is_final and o.overdue_at < page.now:
        flags += page.once(
            ("overdue",),
            lambda: format_html(' <i class="bi bi-alarm text-danger" title="{}"></i>', _("Overdue")),
        )
    return f'<td class="text-nowrap"><a class="fw-semibold" href="{url}">{_escape(o.number)}</a>{flags}</td>'


def _customer_cell(name: str) -> str:
    """The name, cut to the column's width; the whole of it on hover."""
    if not name:
        return '<td class="text-truncate sk-col-customer">—</td>'
    name = _escape(name)
    return f'<td class="text-truncate sk-col-customer" title="{name}">{name}</td>'


def _manager(o) -> str:
    if o.manager is None:
        return '<td class="small text-nowrap d-none d-lg-table-cell"><span class="text-body-secondary">—</span></td>'
    name = o.manager.get_full_name() or o.manager.username
    return format_html('<td class="small text-nowrap d-none d-lg-table-cell">{}</td>', name)


def _status(o) -> str:
    return format_html(
        '<td><span class="badge sk-status" data-color="{}">{}</span></td>', o.status.color, _(o.status.name)
    )


def _payment(o) -> str:
    return format_html(
        '<td><span class="badge sk-pay-{}">{}</span></td>',
        o.payment_status,
        capfirst(str(o.get_payment_status_display())),
    )


CELLS: dict[str, Callable[[Any, str, _Page], str]] = {
    "number": _number,
    "created": lambda o, url, page: page.created(o.created_at),
    "status": lambda o, url, page: page.once(("status", o.status_id), lambda: _status(o)),
    "customer": lambda o, url, page: _customer_cell(o.customer_name),
    "phone": lambda o, url, page: _phone_cell(o.phone),
    "total": lambda o, url, page: (
        f'<td class="text-end text-nowrap">{_escape(page.money(o.total))} '
        f'<span class="small text-body-secondary">{_escape(o.store.currency)}</span></td>'
    ),
    "payment": lambda o, url, page: page.once(("payment", o.payment_status), lambda: _payment(o)),
    "manager": lambda o, url, page: page.once(("manager", o.manager_id), lambda: _manager(o)),
    "store": lambda o, url, page: page.once(
        ("store", o.store_id),
        lambda: format_html('<td class="small d-none d-lg-table-cell">{}</td>', o.store.code),
    ),
    "channel": lambda o, url, page: page.once(
        ("channel", o.channel_id),
        lambda: format_html('<td class="small">{}</td>', _(o.channel.name) if o.channel else ""),
    ),
    "delivery": lambda o, url, page: page.once(
        ("delivery", o.delivery_type_id),
        lambda: format_html('<td class="small">{}</td>', _(o.delivery_type.name) if o.delivery_type else ""),
    ),
}


@register.simple_tag
def order_rows(orders: Iterable, columns: list[str], now: dt.datetime) -> SafeString:
    """The `<tr>`s of the list for `orders` with the chosen `columns`."""
    page = _Page(now)
    cells = [CELLS[key] for key in columns if key in CELLS]
    before, after = url_around_id("orders:detail")
    select = escape(_("Select"))
    out = []
    for o in orders:
        pk = int(o.pk)
        url = f"{before}{pk}{after}"
        out.append(
            f'\n          <tr data-order-id="{pk}" data-href="{url}" class="sk-order-row'
            f'{" sk-attention" if o.needs_attention else ""}">\n'
            f'            <td class="sk-check"><input class="form-check-input" type="checkbox" name="ids" '
            f'value="{pk}" form="sk-bulk" aria-label="{select} {_escape(o.number)}"></td>\n'
            f"            {''.join([cell(o, url, page) for cell in cells])}\n"
            "          </tr>\n          "
        )
    return mark_safe("".join(out))  # every value above is escaped


# --- The filter bar's options (the same markup as `{% for %}<option ...>{% endfor %}` loops) ---------


def _translated(name: str) -> str:
    """`{% translate name %}` of a variable: its translation, escaped ("%" kept as typed)."""
    return conditional_escape(gettext(name.replace("%", "%%"))).replace("%%", "%")


def _options(pairs: Iterable[tuple[str, str]], selected: Container[str] | None) -> SafeString:
    """`<option>`s from (escaped value, escaped label) pairs; `selected`: the chosen values (raw)."""
    out = []
    for value, label, raw in pairs:
        chosen = " selected" if selected is not None and raw in selected else ""
        out.append(f'<option value="{value}"{chosen}>{label}</option>')
    return mark_safe("".join(out))  # values and labels escaped by the callers


@register.simple_tag
def dictionary_options(
    rows: Iterable, selected: Container[str] | None = None, value: str = "code"
) -> SafeString:
    """Options of dictionary rows (statuses, channels ...): value `code` (or `pk`), translated name."""
    if value == "pk":
        return _options(((str(int(r.pk)), _translated(r.name), None) for r in rows), None)
    return _options(((escape(r.code), _translated(r.name), r.code) for r in rows), selected)


@register.simple_tag
def store_options(stores: Iterable, selected: Container[str] | None = None) -> SafeString:
    return _options(((escape(s.code), escape(s.name), s.code) for s in stores), selected)


@register.simple_tag
def manager_options(users: Iterable, selected: Container[str] | None = None) -> SafeString:
    """Options of users by id, named by full name or else username."""
    return _options(
        ((str(int(u.pk)), escape(u.get_full_name() or u.username), str(u.pk)) for u in users), selected
    )


@register.simple_tag
def choice_options(choices: Iterable[tuple[str, Any]], selected: Container[str] | None = None) -> SafeString:
    return _options(((escape(v), conditional_escape(str(label)), v) for v, label in choices), selected)


# --- The column picker and the table's header ---------------------------------------------------------

_HEADER_CLASS = {
    "phone": "d-none d-md-table-cell",
    "manager": "d-none d-lg-table-cell",
    "store": "d-none d-lg-table-cell",
    "created": "d-none d-sm-table-cell",
}
_SORTABLE = {"created": ("-created", "created"), "total": ("-total", "total")}  # (descending, ascending)


@register.simple_tag
def column_choices(all_columns: Iterable[tuple[str, Any]], columns: Container[str]) -> SafeString:
    """The "Columns" checkboxes of the filter bar."""
    out = []
    for key, label in all_columns:
        k = escape(key)
        checked = " checked" if key in columns else ""
        out.append(
            f'<div class="form-check form-check-inline"><input class="form-check-input" type="checkbox" '
            f'name="cols" value="{k}" id="sk-col-{k}"{checked}><label class="form-check-label small" '
            f'for="sk-col-{k}">{conditional_escape(str(label))}</label></div>'
        )
    return mark_safe("".join(out))  # escaped above


@register.simple_tag
def column_headers(
    all_columns: Iterable[tuple[str, Any]], columns: Container[str], sort: str, query: str
) -> SafeString:
    """The `<th>`s of the chosen columns; "created" and "total" link to their sorts."""
    out = []
    for key, label in all_columns:
        if key not in columns:
            continue
        text = conditional_escape(str(label))
        if key in _SORTABLE:
            descending, ascending = _SORTABLE[key]
            target = ascending if sort == descending else descending
            arrow = (
                ' <i class="bi bi-arrow-down"></i>'
                if sort == descending
                else (' <i class="bi bi-arrow-up"></i>' if sort == ascending else "")
            )
            text = f'<a href="?{conditional_escape(query)}&sort={target}">{text}{arrow}</a>'
        out.append(f'\n              <th class="{_HEADER_CLASS.get(key, "")}">{text}</th>\n            ')
    return mark_safe("".join(out))  # escaped above
