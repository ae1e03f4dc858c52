from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.forms import StyledFormMixin
from shopkeeper.stores.models import Store

from .models import EntryStatus, MappingKind, Source


class InboxFilterForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Failed and flagged")), ("all", _("All")), *EntryStatus.choices],
    )
    source = forms.ChoiceField(label=_("Source"), required=False, choices=[("", _("Any")), *Source.choices])
    store = forms.ChoiceField(label=_("Store"), required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Error text or delivery id"), "type": "search"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stores = Store.objects.order_by("name").values_list("code", "name")
        self.fields["store"].choices = [("", _("All stores")), *stores]


class ReplayForm(StyledFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Payload"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
        required=False,
        help_text=_("Edit the payload if needed, then replay. Signed sources are not re-verified on replay."),
    )

    def clean_body(self) -> bytes:
        text = self.cleaned_data["body"]
        if text.strip():
            try:
                json.loads(text)
            except ValueError as exc:
                raise forms.ValidationError(_("This is not valid JSON: %(e)s") % {"e": exc}) from exc
        return text.encode("utf-8")


class MappingForm(StyledFormMixin, forms.Form):
    store = forms.ModelChoiceField(
        label=_("Store"), queryset=Store.objects.all(), empty_label=_("Choose a store")
    )
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=MappingKind.choices)
    external_code = forms.CharField(label=_("Their code"), max_length=100)
    internal_code = forms.CharField(
        label=_("Our code"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"list": "sk-our-codes", "autocomplete": "off"}),
        help_text=_("Start typing: our delivery, payment, status and channel codes are suggested."),
    )

    def clean(self):
        from .mapping import DICTIONARIES

        data = super().clean()
        code = (data.get("internal_code") or "").strip()
        kind = data.get("kind")
        if code and kind and not DICTIONARIES[kind].objects.filter(code=code).exists():
            self.add_error("internal_code", _("“%(code)s” is not one of our codes.") % {"code": code})
        return data


class CredentialForm(StyledFormMixin, forms.Form):
    store = forms.ModelChoiceField(
        label=_("Store"), queryset=Store.objects.all(), empty_label=_("Choose a store")
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[(Source.WOOCOMMERCE, "WooCommerce"), (Source.SHOPIFY, "Shopify")]
    )
    secret = forms.CharField(label=_("Webhook secret"), max_length=255, widget=forms.PasswordInput)
