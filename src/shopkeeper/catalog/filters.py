"""The one filter definition of the catalog list: the HTML list and GET /api/v1/products both use it."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.forms import StyledFormMixin

from .models import Offer, Price, PriceType, Product, ProductGroup

ACTIVE_CHOICES = [("", _("Any")), ("true", _("Active")), ("false", _("Inactive"))]


class ProductFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=ProductGroup.objects.all(), to_field_name="code", required=False
    )
    active = forms.ChoiceField(label=_("Status"), choices=ACTIVE_CHOICES, required=False)
    in_stock = forms.BooleanField(label=_("In stock"), required=False)
    price_type = forms.ModelChoiceField(
        label=_("Price type"), queryset=PriceType.objects.all(), to_field_name="code", required=False
    )
    price_min = forms.DecimalField(
        label=_("Price from"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("Price to"), required=False, min_value=0, max_digits=14, decimal_places=2
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Name, SKU or barcode")
        self.fields["group"].empty_label = _("All groups")

    def filter(self, qs: QuerySet[Product]) -> QuerySet[Product]:
        data = self.cleaned_data
        if q := (data.get("q") or "").strip():
            # One uncorrelated `id IN (a UNION b)`: the SKU prefix / barcode part is served by their
            # indexes; OR-ed with the name condition instead, it made PostgreSQL walk every product.
            offers = Offer.objects.filter(Q(sku__istartswith=q) | Q(barcode=q)).values("product_id")
            named = Product.objects.filter(name__icontains=q).values("id")
            qs = qs.filter(pk__in=offers.union(named))
        if group := data.get("group"):
            qs = qs.filter(group__in=_subtree_ids(group))
        if data.get("active") in ("true", "false"):
            qs = qs.filter(is_active=data["active"] == "true")
        if data.get("in_stock"):
            from shopkeeper.inventory.models import StockLevel

            free = StockLevel.objects.filter(
                offer__product=OuterRef("pk"), warehouse__is_active=True, on_hand__gt=0
            ).exclude(reserved__gte=F("on_hand"))
            qs = qs.filter(Q(is_service=True) | Q(Exists(free)))
        price_min, price_max = data.get("price_min"), data.get("price_max")
        if price_min is not None or price_max is not None:
            prices = Price.objects.filter(offer__product=OuterRef("pk"))
            price_type = data.get("price_type")
            prices = (
                prices.filter(price_type=price_type)
                if price_type
                else prices.filter(price_type__is_default=True)
            )
            if price_min is not None:
                prices = prices.filter(amount__gte=price_min)
            if price_max is not None:
                prices = prices.filter(amount__lte=price_max)
            qs = qs.filter(Exists(prices))
        return qs


def _subtree_ids(group: ProductGroup) -> list[int]:
    """The group and all its descendants (one query per tree level; trees are shallow)."""
    ids, level = [group.pk], [group.pk]
    while level:
        level = list(ProductGroup.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        ids.extend(level)
    return ids
