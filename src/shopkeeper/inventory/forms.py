from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shopkeeper.catalog.models import Offer
from shopkeeper.core.forms import StyledFormMixin

from .models import MovementKind, Warehouse


class WarehouseForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = ["code", "name", "address", "priority", "is_active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        pass  # the service validates the model


class SkuField(forms.CharField):
    def clean(self, value):
        sku = super().clean(value).strip()
        offer = Offer.objects.select_related("product").filter(sku=sku).first()
        if offer is None:
            raise forms.ValidationError(_("No offer has this SKU."), code="unknown_sku")
        return offer


def _warehouses():
    return Warehouse.objects.filter(is_active=True).order_by("priority", "code")


class AdjustForm(StyledFormMixin, forms.Form):
    KINDS = [
        (MovementKind.RECEIPT, _("Receipt (adds stock)")),
        (MovementKind.ADJUSTMENT, _("Adjustment (+ or -)")),
        (MovementKind.WRITE_OFF, _("Write-off (removes stock)")),
    ]
    offer = SkuField(label=_("SKU"), max_length=100)
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=_warehouses(), to_field_name="code")
    kind = forms.ChoiceField(label=_("Operation"), choices=KINDS, initial=MovementKind.RECEIPT)
    delta = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses()


class TransferForm(StyledFormMixin, forms.Form):
    offer = SkuField(label=_("SKU"), max_length=100)
    source = forms.ModelChoiceField(label=_("From"), queryset=_warehouses(), to_field_name="code")
    target = forms.ModelChoiceField(label=_("To"), queryset=_warehouses(), to_field_name="code")
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = _warehouses()
        self.fields["target"].queryset = _warehouses()


class StockFilterForm(StyledFormMixin, forms.Form):
    sku = forms.CharField(label=_("SKU"), required=False, max_length=100)
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.all(), to_field_name="code", required=False
    )
