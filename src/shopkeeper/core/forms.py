from __future__ import annotations

from django import forms
from django.utils.translation import gettext_noop

# The empty choice Django 6.1 puts first in optional selects. Django's own catalogs have no Russian,
# Ukrainian or Chinese for it yet; named here, makemessages takes it into ours, which Django reads too.
BLANK_CHOICE_LABEL = gettext_noop("- Select an option -")


class StyledFormMixin:
    """Gives widgets the CSS classes of the UI kit, so templates can render `{{ field }}` plainly."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
