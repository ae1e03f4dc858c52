"""The cells of one row of the single window, rendered in Python.

The list shows 50 rows of up to 11 chosen columns; as template `{% if key == ... %}` chains they cost
about 20 ms per page (most of the page's time). Here each cell is one `format_html` call; the markup is
the same as before and every value is escaped by `format_html`.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.template.defaultfilters import capfirst, date, floatformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from shopkeeper.core.templatetags.shopkeeper import phone

register = template.Library()


def _number(o, url: str, now: dt.datetime) -> str:
    flags = ""
    if o.needs_attention:
        flags += format_html(
            ' <i class="bi bi-exclamation-triangle-fill text-warning" title="{}"></i>', _("Needs attention")
        )
    if o.overdue_at and not o.is_final and o.overdue_at < now:
        flags += format_html(' <i class="bi bi-alarm text-danger" title="{}"></i>', _("Overdue"))
    return format_html(
        '<td class="text-nowrap"><a class="fw-semibold" href="{}">{}</a>{}</td>',
        url,
        o.number,
        mark_safe(flags),
    )


def _manager(o) -> str:
    if o.manager is None:
        return '<td class="small text-nowrap d-none d-lg-table-cell"><span class="text-body-secondary">—</span></td>'
    name = o.manager.get_full_name() or o.manager.username
    return format_html('<td class="small text-nowrap d-none d-lg-table-cell">{}</td>', name)


CELLS = {
    "number": _number,
    "created": lambda o, url, now: format_html(
        '<td class="text-nowrap small d-none d-sm-table-cell">{}</td>',
        date(template_localtime(o.created_at), "d M Y H:i"),
    ),
    "status": lambda o, url, now: format_html(
        '<td><span class="badge sk-status" data-color="{}">{}</span></td>', o.status.color, _(o.status.name)
    ),
    "customer": lambda o, url, now: format_html(
        '<td class="text-truncate sk-col-customer">{}</td>', o.customer_name or "—"
    ),
    "phone": lambda o, url, now: format_html(
        '<td class="text-nowrap small d-none d-md-table-cell">{}</td>', phone(o.phone)
    ),
    "total": lambda o, url, now: format_html(
        '<td class="text-end text-nowrap">{} <span class="small text-body-secondary">{}</span></td>',
        floatformat(o.total, 2),
        o.store.currency,
    ),
    "payment": lambda o, url, now: format_html(
        '<td><span class="badge sk-pay-{}">{}</span></td>',
        o.payment_status,
        capfirst(str(o.get_payment_status_display())),
    ),
    "manager": lambda o, url, now: _manager(o),
    "store": lambda o, url, now: format_html(
        '<td class="small d-none d-lg-table-cell">{}</td>', o.store.code
    ),
    "channel": lambda o, url, now: format_html(
        '<td class="small">{}</td>', _(o.channel.name) if o.channel else ""
    ),
    "delivery": lambda o, url, now: format_html(
        '<td class="small">{}</td>', _(o.delivery_type.name) if o.delivery_type else ""
    ),
}


@register.simple_tag
def order_cells(order, columns: list[str], now: dt.datetime, url: str) -> SafeString:
    """The `<td>`s of `columns` for `order` (`url`: the order's card)."""
    return mark_safe("".join(CELLS[key](order, url, now) for key in columns if key in CELLS))


@register.simple_tag
def order_url(order) -> str:
    return reverse("orders:detail", args=[order.pk])
