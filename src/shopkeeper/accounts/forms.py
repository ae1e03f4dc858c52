from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shopkeeper.core import ratelimit
from shopkeeper.core.forms import StyledFormMixin
from shopkeeper.stores.models import Store

from .models import TIMEZONE_CHOICES, Scope, User, WorkStatus
from .roles import ROLE_LABELS


def _client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


class LoginForm(StyledFormMixin, auth_forms.AuthenticationForm):
    """Sign-in with throttling per username and per client address."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-in attempts. Try again in %(minutes)s minutes."),
    }

    def _throttle_keys(self) -> list[str]:
        username = (self.data.get("username") or "").strip().lower()
        return [f"login:user:{username}", f"login:ip:{_client_ip(self.request)}"]

    def clean(self):
        limit, window = settings.LOGIN_THROTTLE_ATTEMPTS, settings.LOGIN_THROTTLE_WINDOW
        for key in self._throttle_keys():
            state = ratelimit.peek(key, limit=limit, window=window)
            if not state.allowed:
                from .services import security_log

                security_log(
                    kind="login_throttled",
                    request=self.request,
                    username=self.data.get("username", ""),
                )
                raise ValidationError(
                    self.error_messages["throttled"],
                    code="throttled",
                    params={"minutes": max(1, round(state.reset / 60))},
                )
        try:
            return super().clean()
        except ValidationError:
            from .services import security_log

            for key in self._throttle_keys():
                ratelimit.hit(key, limit=limit, window=window)
            security_log(kind="login_failed", request=self.request, username=self.data.get("username", ""))
            raise


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):
    pass


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    pass


def role_choices():
    return Group.objects.filter(name__in=ROLE_LABELS).order_by("id")


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return str(ROLE_LABELS.get(obj.name, obj.name))


class ProfileForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language", "timezone"]


class UserInviteForm(StyledFormMixin, forms.ModelForm):
    role = RoleChoiceField(label=_("Role"), queryset=Group.objects.none())

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name", "language", "timezone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = role_choices()
        self.fields["email"].required = True
        self.fields["timezone"].choices = [("", _("Store default")), *TIMEZONE_CHOICES]


class UserEditForm(StyledFormMixin, forms.ModelForm):
    role = RoleChoiceField(label=_("Role"), queryset=Group.objects.none())

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "language",
            "timezone",
            "stores",
            "own_orders_only",
            "receives_orders",
            "is_active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = role_choices()
        self.fields["role"].initial = self.instance.role
        self.fields["is_active"].help_text = _("A deactivated user cannot sign in; their history is kept.")
        self.fields["stores"].queryset = Store.objects.filter(is_active=True)


class ApiKeyForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the key is for, e.g. 'Site'."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    stores = forms.ModelMultipleChoiceField(
        label=_("Limit to stores"),
        queryset=Store.objects.none(),
        required=False,
        help_text=_("Leave empty to allow every store."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = Store.objects.filter(is_active=True)


class WorkStatusForm(forms.Form):
    work_status = forms.ChoiceField(choices=WorkStatus.choices)
