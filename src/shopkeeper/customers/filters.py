"""The one filter definition of the customer list, used by the HTML list and the API list alike."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.forms import StyledFormMixin
from shopkeeper.core.renderers import FAST_RENDERER

SORTS = {
    "-created": "-id",
    "created": "id",
    "name": "search_name",
    "-total_spent": "-total_spent",
    "-orders": "-orders_count",
    # Customers who never ordered go last on either database (PostgreSQL puts NULLs first when
    # descending, SQLite last); customer_last_order_idx serves this order.
    "-last_order": F("last_order_at").desc(nulls_last=True),
}
YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class CustomerFilterForm(StyledFormMixin, forms.Form):
    default_renderer = FAST_RENDERER  # the list shows a dozen of its fields on every view

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    store = forms.CharField(label=_("Store"), required=False, max_length=50)
    segment = forms.IntegerField(label=_("Segment"), required=False, min_value=1)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=60)
    manager = forms.IntegerField(label=_("Manager"), required=False, min_value=0)
    rfm = forms.RegexField(label=_("RFM"), required=False, regex=r"^[1-3]{1,3}$")
    spent_min = forms.DecimalField(label=_("Spent from"), required=False, max_digits=14, decimal_places=2)
    spent_max = forms.DecimalField(label=_("Spent to"), required=False, max_digits=14, decimal_places=2)
    orders_min = forms.IntegerField(label=_("Orders from"), required=False, min_value=0)
    orders_max = forms.IntegerField(label=_("Orders to"), required=False, min_value=0)
    created_after = forms.DateField(label=_("Created from"), required=False)
    created_before = forms.DateField(label=_("Created to"), required=False)
    last_order_after = forms.DateField(label=_("Last order from"), required=False)
    last_order_before = forms.DateField(label=_("Last order to"), required=False)
    consent_email = forms.ChoiceField(label=_("Email consent"), required=False, choices=YES_NO)
    consent_sms = forms.ChoiceField(label=_("SMS consent"), required=False, choices=YES_NO)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-created", _("Newest")),
            ("created", _("Oldest")),
            ("name", _("Name")),
            ("-total_spent", _("Total spent")),
            ("-orders", _("Orders")),
            ("-last_order", _("Last order")),
        ],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("created_after", "created_before", "last_order_after", "last_order_before"):
            self.fields[name].widget.input_type = "date"

    @staticmethod
    def managers():
        return get_user_model().objects.filter(is_active=True).order_by("username")
