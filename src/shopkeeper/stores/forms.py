from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.forms import StyledFormMixin
from shopkeeper.core.renderers import FAST_RENDERER

from .models import Store, code_validator, currency_validator, timezone_names
from .services import STORE_FIELDS


class StoreForm(StyledFormMixin, forms.ModelForm):
    """The store row plus its order settings (prefix, default price type), which live in `orders`."""

    default_renderer = FAST_RENDERER  # the time zone choice alone is some 600 options

    number_prefix = forms.CharField(
        label=_("Order number prefix"),
        max_length=10,
        required=False,
        help_text=_("Put before every new order number of this store, for example NW- gives NW-1001."),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=lambda: [(tz, tz) for tz in timezone_names()], initial="UTC"
    )
    default_price_type = forms.ChoiceField(
        label=_("Default price type"),
        help_text=_("Prices of this type are used for the store's orders when none is named."),
    )

    customers_keep_manager = forms.BooleanField(
        label=_("Customers keep their first manager"),
        required=False,
        help_text=_(
            "A customer without a manager gets the manager of their order once it has one, so their next "
            "orders go to that manager first."
        ),
    )

    class Meta:
        model = Store
        fields = [
            "code",
            "name",
            "currency",
            "timezone",
            "is_active",
            "name_order",
            "legal_name",
            "address",
            "tax_id",
            "bank_details",
            "phone",
            "email",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "bank_details": forms.Textarea(attrs={"rows": 3}),
            "currency": forms.TextInput(attrs={"maxlength": 3, "autocapitalize": "characters"}),
        }

    MAIN = ("code", "name", "currency", "timezone", "is_active", "name_order")
    MAIN += ("number_prefix", "default_price_type", "customers_keep_manager")
    REQUISITES = ("legal_name", "address", "tax_id", "bank_details", "phone", "email")

    def __init__(self, *args, order_settings=None, **kwargs) -> None:
        from shopkeeper.catalog.models import PriceType

        super().__init__(*args, **kwargs)
        price_types = list(PriceType.objects.order_by("position", "code"))
        current = order_settings.default_price_type if order_settings else None
        self.fields["default_price_type"].choices = [
            (pt.code, f"{pt.name} ({pt.code})") for pt in price_types if pt.is_active or pt.code == current
        ]
        default = next((pt.code for pt in price_types if pt.is_default), "retail")
        self.fields["default_price_type"].initial = current or default
        if order_settings is not None:
            self.fields["number_prefix"].initial = order_settings.number_prefix
            self.fields["customers_keep_manager"].initial = order_settings.customers_keep_manager
        self.fields["currency"].help_text = _("Three letters, for example USD, EUR, RUB.")
        self.fields["name_order"].help_text = _("How customers' names are written in lists and orders.")
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code is used by the API and intake and cannot be changed.")
        else:
            self.fields["code"].help_text = _(
                "Lowercase letters, digits, '-' and '_', for example main-site."
            )
        for name in self.REQUISITES:
            self.fields[name].required = False
        self.order_fields([*self.MAIN, *self.REQUISITES])

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        code_validator(code)
        return code

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        currency_validator(currency)
        return currency

    def _post_clean(self):
        pass  # the service validates the model

    def main_fields(self):
        return [self[n] for n in self.MAIN]

    def requisite_fields(self):
        return [self[n] for n in self.REQUISITES]

    def store_values(self) -> dict:
        """Keyword arguments for `store_create` / `store_update` (the code only when creating)."""
        names = STORE_FIELDS - {"reservation_strategy"}
        if not self.instance.pk:
            names = names | {"code"}
        return {n: self.cleaned_data[n] for n in names if n in self.cleaned_data}
