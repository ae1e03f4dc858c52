"""The rows of the customers list, rendered in Python.

As a template loop (three inner loops, a URL and a dozen variables a row) fifty rows cost most of the
page. The markup is the loop's own (tests/customers/test_list_rows.py keeps the loop as the reference):
every value escaped, numbers localized as `{{ value }}` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape  # Django's `escape` without its lazy-string check (a dozen values a row)

from django import template
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from shopkeeper.core.templatetags.shopkeeper import url_around_id

register = template.Library()


@register.simple_tag
def customer_rows(customers: Iterable) -> SafeString:
    """The `<tr>`s of `customers`, each with `contacts` set by the view (`selectors.shown_contacts`)."""
    before, after = url_around_id("customers:detail")
    select = escape(gettext("Select"))
    no_name = escape(gettext("(no name)"))
    out = []
    for c in customers:
        pk = escape(localize(c.pk))
        contacts = c.contacts
        phones = "".join(f"<div>{escape(shown)}</div>" for shown, _is_valid in contacts["phones"])
        emails = "".join(f"<div>{escape(email)}</div>" for email, _is_valid in contacts["emails"])
        tags = "".join(
            f'<span class="badge text-bg-{escape(color)}">{escape(name)}</span> '
            for name, color in contacts["tags"]
        )
        manager = (c.manager.get_username() if c.manager is not None else "") or "—"
        out.append(
            "\n    <tr>\n"
            f'      <td><input type="checkbox" class="form-check-input" name="ids" value="{pk}" '
            f'aria-label="{select}"></td>\n'
            f'      <td><a href="{before}{int(c.pk)}{after}">{escape(c.full_name) if c.full_name else no_name}</a>'
            f'<div class="small text-body-secondary">{escape(c.store.code)} · #{pk}</div></td>\n'
            f'      <td class="small">{phones}{emails}</td>\n'
            f'      <td class="d-none d-md-table-cell">{tags}</td>\n'
            f'      <td class="text-end">{escape(localize(c.orders_count))}</td>\n'
            f'      <td class="text-end">{escape(localize(c.total_spent))}</td>\n'
            f'      <td class="d-none d-lg-table-cell">{escape(c.rfm_class or "—")}</td>\n'
            f'      <td class="d-none d-lg-table-cell">{escape(manager)}</td>\n'
            "    </tr>\n  "
        )
    return mark_safe("".join(out))  # every value above is escaped
