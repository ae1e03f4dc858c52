from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.forms import StyledFormMixin

from .models import FeedSource, ImportFormat, Offer, PriceType, Product, ProductGroup
from .selectors import groups_tree

# The price types installed by default: their names are shown translated (like the order dictionaries);
# a name somebody types is shown as typed.
DEFAULT_PRICE_TYPE_NAMES = (gettext_noop("Retail"), gettext_noop("Wholesale"))


class JSONObjectField(forms.CharField):
    """A JSON object typed into a textarea (properties such as {"size": "M"})."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False) if value else ""
        return value

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return {}
        try:
            data = json.loads(value)
        except ValueError:
            raise forms.ValidationError(_('Enter a JSON object such as {"size": "M"}.')) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_('Enter a JSON object such as {"size": "M"}.'))
        return data


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ProductForm(StyledFormMixin, forms.ModelForm):
    properties = JSONObjectField(label=_("Properties"), required=False)
    images = forms.CharField(
        label=_("Image URLs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One URL per line."),
    )

    class Meta:
        model = Product
        fields = ["name", "group", "description", "properties", "images", "is_active", "is_service"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(g.pk, f"{'— ' * depth}{g.name}") for g, depth in groups_tree()]
        self.fields["group"].choices = choices
        self.initial["images"] = "\n".join(self.instance.images or [])
        self.fields["description"].widget.attrs["rows"] = 3

    def clean_images(self):
        urls = [u.strip() for u in (self.cleaned_data.get("images") or "").splitlines() if u.strip()]
        validator = forms.URLField()
        for url in urls:
            validator.clean(url)
        return urls

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}

    def _post_clean(self):
        # Validation of the model happens in the service; the form checks only its own fields.
        pass


class OfferForm(StyledFormMixin, forms.ModelForm):
    properties = JSONObjectField(label=_("Variant properties"), required=False)

    class Meta:
        model = Offer
        fields = [
            "sku",
            "name",
            "barcode",
            "properties",
            "unit",
            "weight",
            "purchase_price",
            "min_stock",
            "is_active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.price_types = list(PriceType.objects.filter(is_active=True).order_by("position", "code"))
        current = {}
        if self.instance.pk:
            current = {p.price_type_id: p.amount for p in self.instance.prices.all()}
        for pt in self.price_types:
            self.fields[f"price_{pt.code}"] = forms.DecimalField(
                label=_("Price: %(name)s") % {"name": gettext(pt.name)},
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                initial=current.get(pt.pk),
            )
            self.fields[f"price_{pt.code}"].widget.attrs["class"] = "form-control"

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}

    def prices(self) -> dict:
        return {pt.code: self.cleaned_data.get(f"price_{pt.code}") for pt in self.price_types}

    def _post_clean(self):
        pass


class GroupForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ProductGroup
        fields = ["name", "code", "parent"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The tree as in the product form, and "none" said plainly.
        choices = [(g.pk, f"{'— ' * depth}{g.name}") for g, depth in groups_tree()]
        self.fields["parent"].choices = [("", _("None (a top-level group)")), *choices]

    def _post_clean(self):
        pass


__all__ = ["GroupChoiceField", "GroupForm", "OfferForm", "ProductForm"]


class ImportForm(StyledFormMixin, forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=ImportFormat.choices)
    file = forms.FileField(label=_("File"), required=False)
    url = forms.URLField(label=_("or a feed URL"), required=False, max_length=1000, assume_scheme="https")
    mapping = forms.CharField(
        label=_("Column mapping (CSV/XLSX)"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "sku=Article\nname=Title\nprice_retail=Price"}
        ),
        help_text=_(
            "One per line: field=column title. Fields: sku, name, product, group, barcode, "
            "purchase_price, weight, unit, description, image, price_<price type>, param_<name>. "
            "Empty: columns named like the fields."
        ),
    )

    def clean_mapping(self) -> dict[str, str]:
        return parse_mapping(self.cleaned_data.get("mapping") or "")


def parse_mapping(text: str) -> dict[str, str]:
    """Lines of field=column title into a mapping."""
    mapping = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        target, sep, column = line.partition("=")
        if not sep or not target.strip() or not column.strip():
            raise forms.ValidationError(_("Write each line as field=column title."))
        mapping[target.strip()] = column.strip()
    return mapping


MAPPING_HELP = _(
    "One per line: field=column title. Fields: sku, name, product, group, barcode, "
    "purchase_price, weight, unit, description, image, price_<price type>, param_<name>. "
    "Empty: columns named like the fields."
)


class FeedForm(StyledFormMixin, forms.ModelForm):
    mapping = forms.CharField(
        label=_("Column mapping (CSV/XLSX)"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "sku=Article\nname=Title\nprice_retail=Price"}
        ),
        help_text=MAPPING_HELP,
    )

    class Meta:
        model = FeedSource
        fields = ["name", "url", "format", "mapping", "interval_hours", "is_active"]
        widgets = {"url": forms.URLInput(attrs={"placeholder": "https://example.com/feed.xml"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial["mapping"] = "\n".join(f"{k}={v}" for k, v in (self.instance.mapping or {}).items())

    def clean_mapping(self) -> dict[str, str]:
        return parse_mapping(self.cleaned_data.get("mapping") or "")

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}

    def _post_clean(self):
        pass  # the service validates the model and the URL


class PriceTypeForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = PriceType
        fields = ["code", "name", "position", "is_active", "is_default"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code is used by feeds and the API and cannot be changed.")
        self.fields["is_default"].help_text = _(
            "Prices of the default type are shown in lists and used when no price type is named."
        )

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}

    def _post_clean(self):
        pass  # the service validates the model
