from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from shopkeeper.accounts.models import User
from shopkeeper.accounts.selectors import active_users
from shopkeeper.core.forms import StyledFormMixin
from shopkeeper.core.renderers import FAST_RENDERER
from shopkeeper.stores.models import Store

from .models import (
    AssignmentRule,
    CancelReason,
    Channel,
    DeliveryType,
    OrderType,
    PaymentState,
    PaymentType,
    Status,
)
from .selectors import active_rows


class _CachedRows(ModelChoiceIterator):
    """The options of a `DictionaryChoiceField`: active rows from the dictionary cache."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in active_rows(self.queryset.model):
            yield self.choice(row)

    def __len__(self) -> int:
        return len(active_rows(self.queryset.model)) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(active_rows(self.queryset.model))


class DictionaryChoiceField(forms.ModelChoiceField):
    """An order dictionary (channel, delivery type, payment type ...). The options shown come from the
    per-process cache (orders/dictionaries.py: the rows `is_active=True` reads, in the same order), so
    showing a form costs no query; a posted value is still looked up in the database."""

    iterator = _CachedRows

    def __init__(self, model, **kwargs) -> None:
        super().__init__(queryset=model.objects.filter(is_active=True), **kwargs)


class _PlainIterator(forms.models.ModelChoiceIterator):
    """The choices from one plain query. Django's iterator reads them through `QuerySet.iterator()`,
    which on PostgreSQL opens a server-side cursor: DECLARE, FETCH and CLOSE for a dozen users, on
    every order card."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = self.field.rows if self.field.rows is not None else self.queryset.all()
        for obj in rows:
            yield self.choice(obj)


class UserChoiceField(forms.ModelChoiceField):
    iterator = _PlainIterator
    rows: list[User] | None = None  # the choices already read (the queryset still validates)

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class OrderFieldsForm(StyledFormMixin, forms.Form):
    default_renderer = FAST_RENDERER  # the card shows this form on every view

    manager = UserChoiceField(
        label=_("Manager"), queryset=User.objects.none(), required=False, empty_label=_("unassigned")
    )
    channel = DictionaryChoiceField(Channel, label=_("Channel"), required=False)
    customer_comment = forms.CharField(
        label=_("Customer comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    manager_comment = forms.CharField(
        label=_("Manager comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    discount_percent = forms.DecimalField(
        label=_("Order discount, %"), min_value=0, max_value=100, decimal_places=2, required=False
    )
    discount_amount = forms.DecimalField(
        label=_("Order discount"), min_value=0, decimal_places=2, required=False
    )
    delivery_type = DictionaryChoiceField(DeliveryType, label=_("Delivery type"), required=False)
    delivery_cost = forms.DecimalField(
        label=_("Delivery cost"), min_value=0, decimal_places=2, required=False
    )
    delivery_address_text = forms.CharField(label=_("Delivery address"), required=False, max_length=500)
    delivery_date = forms.DateField(
        label=_("Delivery date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    delivery_time_from = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    delivery_time_to = forms.TimeField(
        label=_("To"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    tracking_number = forms.CharField(label=_("Tracking number"), required=False, max_length=100)

    def __init__(self, *args, custom_initial: dict | None = None, **kwargs) -> None:
        from shopkeeper.customers.customfields import form_fields

        super().__init__(*args, **kwargs)
        self.fields.update(form_fields("order", custom_initial))
        for name, field in self.fields.items():
            if name.startswith("cf_"):
                css = (
                    "form-check-input"
                    if isinstance(field.widget, forms.CheckboxInput)
                    else ("form-select" if isinstance(field.widget, forms.Select) else "form-control")
                )
                field.widget.attrs["class"] = css
        self.fields["manager"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["manager"].rows = active_users()

    def clean(self):
        data = super().clean()
        start, end = data.get("delivery_time_from"), data.get("delivery_time_to")
        if start and end and end <= start:
            self.add_error("delivery_time_to", _("The window must end after it starts."))
        for name in ("discount_percent", "discount_amount", "delivery_cost"):
            if data.get(name) is None:
                data[name] = Decimal(0)
        return data


class StatusForm(forms.Form):
    status = forms.ModelChoiceField(queryset=Status.objects.all())
    comment = forms.CharField(required=False, max_length=4000)
    cancel_reason = forms.ModelChoiceField(
        queryset=CancelReason.objects.filter(is_active=True), required=False
    )


class PaymentForm(StyledFormMixin, forms.Form):
    default_renderer = FAST_RENDERER

    payment_type = DictionaryChoiceField(
        PaymentType, label=_("Payment type"), required=False, empty_label="—"
    )
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), decimal_places=2)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(value, capfirst(label)) for value, label in PaymentState.choices],
        initial=PaymentState.PAID,
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=300)


class NewOrderForm(StyledFormMixin, forms.Form):
    # A store and an order type are always chosen (the first is preselected): no empty choice.
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none(), empty_label=None)
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), required=False, empty_label="—"
    )
    order_type = forms.ModelChoiceField(
        label=_("Order type"), queryset=OrderType.objects.none(), empty_label=None
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel", "autofocus": True}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    delivery_type = forms.ModelChoiceField(
        label=_("Delivery type"), queryset=DeliveryType.objects.none(), required=False, empty_label="—"
    )
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=500, required=False)
    payment_type = forms.ModelChoiceField(
        label=_("Payment type"), queryset=PaymentType.objects.none(), required=False, empty_label="—"
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, stores=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores if stores is not None else Store.objects.filter(is_active=True)
        if not self.initial.get("store"):
            self.fields["store"].initial = self.fields["store"].queryset.first()
        self.fields["channel"].queryset = Channel.objects.filter(is_active=True)
        self.fields["order_type"].queryset = OrderType.objects.filter(is_active=True)
        self.fields["delivery_type"].queryset = DeliveryType.objects.filter(is_active=True)
        self.fields["payment_type"].queryset = PaymentType.objects.filter(is_active=True)
        self.fields["order_type"].initial = OrderType.objects.filter(is_active=True).first()
        self.fields["channel"].initial = Channel.objects.filter(code="phone").first()

    def clean(self):
        data = super().clean()
        if not (
            data.get("customer_id")
            or data.get("phone")
            or data.get("email")
            or data.get("last_name")
            or data.get("first_name")
        ):
            self.add_error("phone", _("Enter the customer's phone, email or name."))
        return data


class DictionaryForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        fields = ["code", "name", "position", "is_active"]


def dictionary_form(model):
    fields = ["code", "name", "position", "is_active"]
    if model is Status:
        fields = [
            "code",
            "name",
            "group",
            "color",
            "time_limit_minutes",
            "stock_action",
            "position",
            "is_active",
        ]
    elif model is DeliveryType:
        fields = [*fields[:2], "default_cost", *fields[2:]]
    widgets = (
        {"color": forms.TextInput(attrs={"type": "color", "class": "form-control-color"})}
        if model is Status
        else {}
    )
    return forms.modelform_factory(model, form=DictionaryForm, fields=fields, widgets=widgets)


class AssignmentRuleForm(StyledFormMixin, forms.ModelForm):
    manager = UserChoiceField(label=_("Manager"), queryset=User.objects.none())

    class Meta:
        model = AssignmentRule
        fields = ["manager", "store", "channel", "order_type", "customer_kind"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = User.objects.filter(
            is_active=True, groups__name__in=["Manager", "Head of sales"]
        ).distinct()
        for name in ("store", "channel", "order_type"):
            self.fields[name].empty_label = _("any")
