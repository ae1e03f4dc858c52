from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from shopkeeper.core import ratelimit
from shopkeeper.core.forms import StyledFormMixin
from shopkeeper.core.renderers import FAST_RENDERER
from shopkeeper.stores.models import Store

from .models import TIMEZONE_CHOICES, Scope, User, WorkStatus
from .roles import ROLE_LABELS


def _client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


CODE_WAIT_MESSAGE = _("Too many wrong codes. Wait a few seconds and try again.")
THROTTLED_MESSAGE = _("Too many failed sign-in attempts. Try again in %(minutes)s minutes.")
PASSWORD_THROTTLED_MESSAGE = ngettext_lazy(
    "Too many wrong passwords. Try again in %(minutes)s minute.",
    "Too many wrong passwords. Try again in %(minutes)s minutes.",
    "minutes",
)


class LoginThrottleMixin:
    """Failed sign-in attempts, wrong passwords and wrong codes alike, counted per user name and per
    client address; past the limit even the right answer waits. The pages that ask a signed-in user
    for their password again share the budget: a borrowed session must not become a way to guess it."""

    request = None
    throttled_message = THROTTLED_MESSAGE

    def throttle_username(self) -> str:
        raise NotImplementedError

    def _throttle_keys(self) -> list[str]:
        username = self.throttle_username().strip().lower()
        return [f"login:user:{username}", f"login:ip:{_client_ip(self.request)}"]

    def check_throttle(self) -> None:
        limit, window = settings.LOGIN_THROTTLE_ATTEMPTS, settings.LOGIN_THROTTLE_WINDOW
        for key in self._throttle_keys():
            state = ratelimit.peek(key, limit=limit, window=window)
            if not state.allowed:
                from .services import security_log

                security_log(kind="login_throttled", request=self.request, username=self.throttle_username())
                raise ValidationError(
                    self.throttled_message,
                    code="throttled",
                    params={"minutes": max(1, round(state.reset / 60))},
                )

    def count_failure(self) -> None:
        limit, window = settings.LOGIN_THROTTLE_ATTEMPTS, settings.LOGIN_THROTTLE_WINDOW
        for key in self._throttle_keys():
            ratelimit.hit(key, limit=limit, window=window)


class PasswordRecheckMixin(LoginThrottleMixin):
    """A signed-in user types their password again (to change it or the second factor): wrong ones
    are counted with sign-in failures and logged as `password_failed`."""

    throttled_message = PASSWORD_THROTTLED_MESSAGE
    user: User

    def throttle_username(self) -> str:
        return self.user.get_username()

    def password_failed(self) -> None:
        from .services import security_log

        self.count_failure()
        security_log(
            kind="password_failed", request=self.request, username=self.user.get_username(), user=self.user
        )


class LoginForm(LoginThrottleMixin, StyledFormMixin, auth_forms.AuthenticationForm):
    """Sign-in with throttling per username and per client address."""

    error_messages = {**auth_forms.AuthenticationForm.error_messages, "throttled": THROTTLED_MESSAGE}

    def throttle_username(self) -> str:
        return self.data.get("username") or ""

    def clean(self):
        self.check_throttle()
        try:
            return super().clean()
        except ValidationError:
            from .services import security_log

            self.count_failure()
            security_log(kind="login_failed", request=self.request, username=self.data.get("username", ""))
            raise


class LoginCodeForm(LoginThrottleMixin, StyledFormMixin, forms.Form):
    """The second sign-in step: a code from the authenticator app or a recovery code."""

    code = forms.CharField(
        label=pgettext_lazy("one-time password", "Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, request, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user
        self.verified = None  # the CodeCheck of a right code

    def throttle_username(self) -> str:
        return self.user.get_username()

    def clean(self):
        self.check_throttle()
        code = self.cleaned_data.get("code")
        if not code:
            return self.cleaned_data
        from .services import security_log, two_factor_check

        check = two_factor_check(user=self.user, code=code)
        if check.retry_at is not None:
            raise ValidationError(CODE_WAIT_MESSAGE, code="wait")
        if not check.ok:
            self.count_failure()
            security_log(
                kind="login_code_failed", request=self.request, username=self.user.username, user=self.user
            )
            raise ValidationError(_("This code is not right or has been used already."), code="invalid")
        self.verified = check
        return self.cleaned_data


class PasswordConfirmForm(PasswordRecheckMixin, StyledFormMixin, forms.Form):
    """Asks for the current password before a change to the second factor."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, request, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        self.check_throttle()
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            self.password_failed()
            raise ValidationError(_("The password is not right."), code="password_incorrect")
        return password


class TotpConfirmForm(StyledFormMixin, forms.Form):
    """Turning two-factor on: the code the app shows proves it holds the secret."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordChangeForm(PasswordRecheckMixin, StyledFormMixin, auth_forms.PasswordChangeForm):
    def __init__(self, user: User, *args, request, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        self.check_throttle()
        try:
            return super().clean_old_password()
        except ValidationError:
            self.password_failed()
            raise


class SetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):
    pass


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    pass


def role_choices():
    return Group.objects.filter(name__in=ROLE_LABELS).order_by("id")


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return str(ROLE_LABELS.get(obj.name, obj.name))


def _name_the_defaults(form: forms.ModelForm) -> None:
    """An empty language or time zone means a default: say which, instead of "- Select an option -"."""
    form.fields["language"].choices = [("", _("As the browser asks")), *settings.LANGUAGES]
    form.fields["timezone"].choices = [
        ("", _("Default (%(zone)s)") % {"zone": settings.TIME_ZONE}),
        *TIMEZONE_CHOICES,
    ]


class ProfileForm(StyledFormMixin, forms.ModelForm):
    default_renderer = FAST_RENDERER  # the time zone choice alone is some 600 options

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language", "timezone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _name_the_defaults(self)


class UserInviteForm(StyledFormMixin, forms.ModelForm):
    default_renderer = FAST_RENDERER
    role = RoleChoiceField(label=_("Role"), queryset=Group.objects.none())

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name", "language", "timezone"]

    field_order = ["username", "email", "first_name", "last_name", "role"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = role_choices()
        self.fields["email"].required = True
        _name_the_defaults(self)


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
        widgets = {"stores": forms.CheckboxSelectMultiple}

    field_order = ["first_name", "last_name", "email", "role"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = role_choices()
        self.fields["role"].initial = self.instance.role
        self.fields["is_active"].help_text = _("A deactivated user cannot sign in; their history is kept.")
        self.fields["stores"].queryset = Store.objects.filter(is_active=True)
        _name_the_defaults(self)


class ApiKeyForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the key is for, e.g. 'Site'."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    stores = forms.ModelMultipleChoiceField(
        label=_("Limit to stores"),
        queryset=Store.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to allow every store."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = Store.objects.filter(is_active=True)


class WorkStatusForm(forms.Form):
    work_status = forms.ChoiceField(choices=WorkStatus.choices)
