from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.forms import StyledFormMixin


class EndpointForm(StyledFormMixin, forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.CharField(
        label=_("Events"),
        max_length=1000,
        initial="order.*",
        help_text=_("Comma-separated event types or patterns, e.g. order.created, order.*, customer.*, *"),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    secret = forms.CharField(
        label=_("Secret"), max_length=255, required=False, help_text=_("Leave empty to generate one.")
    )

    def clean_events(self) -> list[str]:
        return [e.strip() for e in self.cleaned_data["events"].split(",") if e.strip()]
