"""FastRenderer writes the same markup as Django's widget templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from shopkeeper.core.forms import StyledFormMixin
from shopkeeper.core.renderers import FAST_RENDERER

NASTY = '<b>"it\'s" & co</b>'


class Everything(StyledFormMixin, forms.Form):
    text = forms.CharField(label=NASTY, max_length=10, help_text="help")
    lazy = forms.CharField(label=gettext_lazy("Comment"), required=False)
    safe = forms.CharField(label=mark_safe("<i>safe</i>"), required=False)
    number = forms.DecimalField(min_value=0, decimal_places=2, required=False)
    integer = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"step": 5, "data-x": NASTY}))
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    moment = forms.DateTimeField(required=False)
    flag = forms.BooleanField(required=False)
    flag_attrs = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"disabled": True}))
    textarea = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    choice = forms.ChoiceField(choices=[("", "—"), ("a", NASTY), ("b", "B"), (3, "3")], required=False)
    numeric = forms.ChoiceField(choices=[(3, 4), (5, 6)], required=False)  # localized labels: the engine
    grouped = forms.ChoiceField(choices=[("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")], required=False)
    several = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    maybe = forms.NullBooleanField(required=False)
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect, required=False)
    color = forms.CharField(widget=forms.TextInput(attrs={"type": "color"}), required=False)
    autofocus = forms.CharField(
        widget=forms.TextInput(attrs={"autofocus": True, "off": False}), required=False
    )


class Slow(Everything):
    default_renderer = DjangoTemplates()


class Fast(Everything):
    default_renderer = FAST_RENDERER


def _markup(form: forms.Form) -> dict[str, str]:
    out = {}
    for bound in form:
        out[bound.name] = str(bound)
        out[f"{bound.name}-label"] = str(bound.label_tag())
        out[f"{bound.name}-label-plain"] = str(bound.label_tag(attrs={"class": "x"}, label_suffix=""))
    return out


INITIAL = {
    "text": NASTY,
    "number": Decimal("12.50"),
    "integer": 7,
    "date": dt.date(2026, 1, 31),
    "time": dt.time(9, 30),
    "moment": dt.datetime(2026, 1, 31, 9, 30),
    "flag": True,
    "textarea": f"line 1\n{NASTY}",
    "choice": "a",
    "grouped": "y",
    "several": ["a", "b"],
    "maybe": True,
    "hidden": mark_safe("<safe>"),
    "password": "secret",
}
POSTED = {
    "text": NASTY * 3,  # too long: an error
    "number": "-1",
    "integer": "x",
    "date": "2026-02-30",
    "flag": "on",
    "textarea": "",
    "choice": "nope",
    "several": ["b"],
    "maybe": "false",
}


@pytest.mark.parametrize(
    "make",
    [
        lambda cls: cls(),
        lambda cls: cls(initial=INITIAL),
        lambda cls: cls(POSTED),
        lambda cls: cls(initial=INITIAL, auto_id=False),
        lambda cls: cls(initial=INITIAL, prefix="p<1>"),
    ],
)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_fast_renderer_writes_what_the_templates_write(make, language):
    with override(language):
        slow, fast = make(Slow), make(Fast)
        if slow.is_bound:
            assert not slow.is_valid() and not fast.is_valid()
        assert _markup(fast) == _markup(slow)


def test_other_templates_go_to_the_engine():
    form = Fast(initial=INITIAL)
    assert str(form["radio"]) == str(Slow(initial=INITIAL)["radio"])
    assert "<div" in str(form["radio"])
    assert form.render() == Slow(initial=INITIAL).render()


def test_orders_and_customers_forms_render_alike(db):
    from shopkeeper.orders.forms import OrderFieldsForm, PaymentForm

    for form_class in (OrderFieldsForm, PaymentForm):
        fast = form_class(initial={"customer_comment": NASTY, "amount": Decimal("5.00")})
        slow = form_class(
            initial={"customer_comment": NASTY, "amount": Decimal("5.00")}, renderer=DjangoTemplates()
        )
        assert fast.renderer is FAST_RENDERER
        assert _markup(fast) == _markup(slow)


def test_customers_filter_form_renders_alike(db):
    from shopkeeper.customers.filters import CustomerFilterForm

    data = {"q": NASTY, "sort": "-total_spent", "rfm": "555", "spent_min": "10", "consent_email": "yes"}
    for fast, slow in (
        (CustomerFilterForm(), CustomerFilterForm(renderer=DjangoTemplates())),
        (CustomerFilterForm(data), CustomerFilterForm(data, renderer=DjangoTemplates())),
    ):
        assert fast.renderer is FAST_RENDERER
        assert _markup(fast) == _markup(slow)


def test_forms_with_a_time_zone_choice_render_alike(db, admin):
    from shopkeeper.accounts.forms import ProfileForm, UserInviteForm
    from shopkeeper.stores.forms import StoreForm

    for form_class, kwargs in ((ProfileForm, {"instance": admin}), (UserInviteForm, {}), (StoreForm, {})):
        fast, slow = form_class(**kwargs), form_class(**kwargs, renderer=DjangoTemplates())
        assert fast.renderer is FAST_RENDERER
        assert _markup(fast) == _markup(slow) and "Europe/Moscow" in str(fast["timezone"])


def test_common_widgets_skip_the_template_engine(monkeypatch):
    used = []
    real = DjangoTemplates.render

    def spy(self, template_name, context, request=None):
        used.append(template_name)
        return real(self, template_name, context, request=request)

    monkeypatch.setattr(DjangoTemplates, "render", spy)
    _markup(Fast(initial=INITIAL))
    assert sorted(used) == ["django/forms/widgets/radio.html", "django/forms/widgets/select.html"]
