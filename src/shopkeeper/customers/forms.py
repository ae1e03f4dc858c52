from __future__ import annotations

import json

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.forms import StyledFormMixin
from shopkeeper.stores.models import Store

from .models import Channel, Company, Customer, Entity, FieldType, Segment, Tag, TaxIdKind
from .segments import compile_rules


class CustomerForm(StyledFormMixin, forms.ModelForm):
    store = forms.ModelChoiceField(Store.objects.filter(is_active=True), label=_("Store"))
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )
    emails = forms.CharField(
        label=_("Emails"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    address = forms.CharField(label=_("Address"), required=False, max_length=500)
    tags = forms.ModelMultipleChoiceField(Tag.objects.all(), label=_("Tags"), required=False)

    class Meta:
        model = Customer
        fields = [
            "last_name",
            "first_name",
            "patronymic",
            "birthday",
            "language",
            "channel",
            "consent_email",
            "consent_sms",
            "source",
            "discount_percent",
            "manager",
            "external_id",
        ]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["channel"].choices = Channel.choices
        if self.instance.pk:
            del self.fields["store"]
            self.fields["phones"].initial = "\n".join(p.e164 or p.raw for p in self.instance.phones.all())
            self.fields["emails"].initial = "\n".join(e.email for e in self.instance.emails.all())
            self.fields["tags"].initial = list(self.instance.tags.all())
            del self.fields["city"], self.fields["address"]

    @staticmethod
    def lines(value: str) -> list[str]:
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def profile_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CompanyForm(StyledFormMixin, forms.ModelForm):
    store = forms.ModelChoiceField(Store.objects.filter(is_active=True), label=_("Store"))
    inn = forms.CharField(label=TaxIdKind.INN.label, required=False, max_length=50)
    kpp = forms.CharField(label=TaxIdKind.KPP.label, required=False, max_length=50)
    ogrn = forms.CharField(label=TaxIdKind.OGRN.label, required=False, max_length=50)
    vat = forms.CharField(label=TaxIdKind.VAT.label, required=False, max_length=50)
    bank_account = forms.CharField(label=_("Bank account"), required=False, max_length=100)
    bank_name = forms.CharField(label=_("Bank"), required=False, max_length=200)

    TAX_FIELDS = ("inn", "kpp", "ogrn", "vat")

    class Meta:
        model = Company
        fields = ["legal_name", "brand", "price_type", "manager", "external_id"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        if self.instance.pk:
            del self.fields["store"]
            taxes = {t.kind: t.value for t in self.instance.tax_ids.all()}
            for name in self.TAX_FIELDS:
                self.fields[name].initial = taxes.get(name, "")
            self.fields["bank_account"].initial = self.instance.bank_details.get("account", "")
            self.fields["bank_name"].initial = self.instance.bank_details.get("bank", "")

    def tax_ids(self) -> dict[str, str]:
        return {k: self.cleaned_data[k] for k in self.TAX_FIELDS if self.cleaned_data[k]}

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["bank_details"] = {
            k: v
            for k, v in (
                ("account", self.cleaned_data["bank_account"]),
                ("bank", self.cleaned_data["bank_name"]),
            )
            if v
        }
        return values


class NoteForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class ContactForm(StyledFormMixin, forms.Form):
    customer = forms.IntegerField(
        label=_("Customer"),
        min_value=1,
        error_messages={"required": _("Find the customer and choose them among the matches.")},
    )
    role = forms.CharField(label=_("Role"), required=False, max_length=100)
    position = forms.CharField(label=_("Position"), required=False, max_length=100)


class MergeForm(forms.Form):
    """The duplicates queue's and the card's merge: `merged` goes into `survivor`."""

    survivor = forms.IntegerField(min_value=1)
    merged = forms.IntegerField(
        min_value=1, error_messages={"required": _("Find the duplicate and choose it among the matches.")}
    )


class BulkForm(forms.Form):
    ACTIONS = [
        ("tag", _("Add tag")),
        ("untag", _("Remove tag")),
        ("manager", _("Assign manager")),
        ("export", _("Export CSV")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    ids = forms.CharField(required=False)
    tag = forms.CharField(required=False, max_length=60)
    manager = forms.ModelChoiceField(get_user_model().objects.filter(is_active=True), required=False)

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data["ids"] or ""
        try:
            return [int(x) for x in raw.replace(",", " ").split()][:5000]
        except ValueError:
            raise forms.ValidationError(_("Invalid selection.")) from None


class SegmentForm(StyledFormMixin, forms.ModelForm):
    rules_json = forms.CharField(
        label=_("Rules (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            'For example: {"match": "all", "conditions": [{"field": "total_spent", "op": "gt", "value": "10000"}, '
            '{"field": "last_order_days", "op": "gt", "value": 90}, {"field": "consent_email", "op": "eq", "value": true}]}'
        ),
    )

    class Meta:
        model = Segment
        fields = ["name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rules_json"].initial = json.dumps(
            self.instance.rules or {"match": "all", "conditions": []}
        )

    def clean_rules_json(self) -> dict:
        try:
            rules = json.loads(self.cleaned_data["rules_json"])
        except ValueError:
            raise forms.ValidationError(_("This is not valid JSON.")) from None
        compile_rules(rules)  # raises ValidationError with the reason
        return rules


# Settings --------------------------------------------------------------------------------------------


class RfmSettingsForm(StyledFormMixin, forms.Form):
    recent_days = forms.IntegerField(label=_("Recent: last order within, days"), min_value=1, max_value=36500)
    fair_days = forms.IntegerField(label=_("Fair: last order within, days"), min_value=1, max_value=36500)
    frequency_fair = forms.IntegerField(label=_("Fair: orders at least"), min_value=1, max_value=100000)
    frequency_good = forms.IntegerField(label=_("Good: orders at least"), min_value=1, max_value=100000)
    monetary_fair = forms.DecimalField(
        label=_("Fair: spent at least"), min_value=0, max_digits=14, decimal_places=2
    )
    monetary_good = forms.DecimalField(
        label=_("Good: spent at least"), min_value=0, max_digits=14, decimal_places=2
    )

    @classmethod
    def from_thresholds(cls, t: dict) -> RfmSettingsForm:
        return cls(
            initial={
                "recent_days": t["recency_days"][0],
                "fair_days": t["recency_days"][1],
                "frequency_fair": t["frequency"][0],
                "frequency_good": t["frequency"][1],
                "monetary_fair": t["monetary"][0],
                "monetary_good": t["monetary"][1],
            },
            prefix="rfm",
        )


class CustomFieldForm(StyledFormMixin, forms.Form):
    entity = forms.ChoiceField(label=_("For"), choices=Entity.choices)
    code = forms.SlugField(
        label=_("Code"), max_length=50, help_text=_("Letters, digits, - and _; fixed later.")
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a choice field: one per line, as “code: label” or just a label."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=1000, initial=0)

    def __init__(self, *args, definition=None, **kwargs) -> None:
        if definition is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "entity": definition.entity,
                "code": definition.code,
                "label": definition.label,
                "type": definition.type,
                "choices": "\n".join(f"{c['code']}: {c['label']}" for c in definition.choices or []),
                "required": definition.required,
                "position": definition.position,
            }
        super().__init__(*args, **kwargs)
        if definition is not None:
            for name in ("entity", "code"):
                self.fields[name].disabled = True


class DedupePolicyForm(StyledFormMixin, forms.Form):
    reuse_on_phone = forms.BooleanField(label=_("Reuse the customer on an exact phone match"), required=False)
    reuse_on_email = forms.BooleanField(label=_("Reuse the customer on an exact email match"), required=False)
