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


CHOOSE_WAREHOUSE = _("Choose a warehouse")


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
        self.fields["warehouse"].empty_label = CHOOSE_WAREHOUSE


class TransferForm(StyledFormMixin, forms.Form):
    offer = SkuField(label=_("SKU"), max_length=100)
    source = forms.ModelChoiceField(label=_("From"), queryset=_warehouses(), to_field_name="code")
    target = forms.ModelChoiceField(label=_("To"), queryset=_warehouses(), to_field_name="code")
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = _warehouses()
        self.fields["target"].queryset = _warehouses()
        self.fields["source"].empty_label = self.fields["target"].empty_label = CHOOSE_WAREHOUSE


class StockFilterForm(StyledFormMixin, forms.Form):
    sku = forms.CharField(
        label=_("SKU"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("SKU starts with…"), "type": "search"}),
    )
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=Warehouse.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All warehouses"),
    )


class StoreShippingForm(StyledFormMixin, forms.Form):
    """The store's reservation strategy and, per warehouse, its place in the shipping order (empty: not used)."""

    reservation_strategy = forms.ChoiceField(label=_("Stock reservation"))

    def __init__(self, *args, store, warehouses: list[Warehouse], **kwargs):
        from shopkeeper.stores.models import ReservationStrategy

        super().__init__(*args, **kwargs)
        self.store = store
        self.warehouses = warehouses
        self.fields["reservation_strategy"].choices = ReservationStrategy.choices
        self.fields["reservation_strategy"].initial = store.reservation_strategy
        current = {link.warehouse_id: i + 1 for i, link in enumerate(store.links)}
        for w in warehouses:
            field = forms.IntegerField(
                label=w.name if w.is_active else _("%(name)s (inactive)") % {"name": w.name},
                required=False,
                min_value=1,
                max_value=1000,
                initial=current.get(w.pk),
                disabled=not w.is_active,
                help_text=w.code,
            )
            field.widget.attrs.update({"placeholder": "—", "class": "form-control"})
            self.fields[f"wh_{w.pk}"] = field
        self.fields["reservation_strategy"].help_text = _(
            "Warehouse priority order: take from the first warehouse, then the next. Most available first: "
            "take from the warehouse with the most available stock."
        )

    def warehouse_fields(self):
        return [self[f"wh_{w.pk}"] for w in self.warehouses]

    def clean(self):
        data = super().clean()
        chosen = [(data.get(f"wh_{w.pk}"), w.priority, w.code, w) for w in self.warehouses if w.is_active]
        chosen = [c for c in chosen if c[0] is not None]
        positions = [c[0] for c in chosen]
        if len(set(positions)) != len(positions):
            raise forms.ValidationError(_("Give each warehouse a different place in the order."))
        data["warehouses"] = [c[3] for c in sorted(chosen, key=lambda c: (c[0], c[1], c[2]))]
        return data
