"""The order card's "Delivery and details" fields, rendered in Python.

The same markup as a `{% for field in form %}` loop (label, widget, errors per field), without the
template engine's per-node cost for fifteen fields on every view of the card.
"""

from __future__ import annotations

from django import template
from django.forms import Form
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

WIDE = {"customer_comment", "manager_comment", "delivery_address_text"}


@register.simple_tag(takes_context=True)
def order_fields(context, form: Form) -> SafeString:
    out = []
    for field in form:
        errors = "".join(
            f'<div class="invalid-feedback d-block">{render_value_in_context(e, context)}</div>'
            for e in field.errors
        )
        out.append(
            f'\n              <div class="{"col-12" if field.name in WIDE else "col-6 col-md-4"}">\n'
            f'                <label class="form-label small mb-0" for="{conditional_escape(field.auto_id)}">'
            f"{render_value_in_context(field.label, context)}</label>{render_value_in_context(field, context)}\n"
            f"                {errors}\n"
            "              </div>\n            "
        )
    return mark_safe("".join(out))  # every value rendered and escaped as the template would
