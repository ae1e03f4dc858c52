from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from shopkeeper.core.changes import Actor

from . import selectors, services, two_factor
from .forms import (
    CODE_WAIT_MESSAGE,
    ApiKeyForm,
    LoginCodeForm,
    LoginForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
    TotpConfirmForm,
    UserEditForm,
    UserInviteForm,
    WorkStatusForm,
)
from .models import ApiKey, Scope, User
from .roles import ROLE_LABELS


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if selectors.two_factor_enabled(user):
            # Not signed in yet: the code step finishes the sign-in (login_code).
            two_factor.pending_start(self.request, user, next_url=self.get_success_url())
            return redirect("accounts:login_code")
        services.security_log(kind="login", request=self.request, username=user.username, user=user)
        return super().form_valid(form)


@never_cache
@sensitive_post_parameters("code")
def login_code(request: HttpRequest) -> HttpResponse:
    """The second sign-in step for users with two-factor on."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    pending = two_factor.pending_get(request)
    if pending is None or pending.user is None:
        two_factor.pending_clear(request)
        if pending is not None and pending.expired:
            messages.warning(request, _("The sign-in took too long. Enter your password again."))
        return redirect("accounts:login")
    user = pending.user
    form = LoginCodeForm(request.POST or None, request=request, user=user)
    if request.method == "POST" and form.is_valid():
        check = form.verified
        two_factor.pending_clear(request)
        auth_login(request, user, backend=pending.backend or None)
        otp_login(request, check.device)  # marks the session verified (request.user.is_verified())
        method = "recovery code" if check.recovery else "authenticator app"
        services.security_log(kind="login", request=request, username=user.username, user=user, detail=method)
        if check.recovery:
            services.security_log(
                kind="recovery_code_used",
                request=request,
                username=user.username,
                user=user,
                detail=f"{check.recovery_codes_left} left",
            )
            messages.warning(
                request,
                ngettext(
                    "You signed in with a recovery code; %(count)s code is left. You can make new ones in your profile.",
                    "You signed in with a recovery code; %(count)s codes are left. You can make new ones in your profile.",
                    check.recovery_codes_left,
                )
                % {"count": check.recovery_codes_left},
            )
        target = pending.next_url
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = settings.LOGIN_REDIRECT_URL
        return redirect(target)
    return render(request, "accounts/login_code.html", {"form": form})


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            services.security_log(
                kind="logout", request=request, username=request.user.username, user=request.user
            )
        return super().post(request, *args, **kwargs)


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """Where an invitation or a reset link lands: the person chooses their password."""

    form_class = SetPasswordForm
    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in with it."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


@never_cache
@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(
            user=request.user,
            password=form.cleaned_data["new_password1"],
            actor=Actor.for_user(request.user),
        )
        # The session hash follows the password: other sessions end, this one is kept.
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in form.Meta.fields}
        services.user_update(user=request.user, actor=Actor.for_user(request.user), **values)
        messages.success(request, _("Profile saved."))
        return redirect("accounts:profile")
    keys = list(ApiKey.objects.filter(created_by=request.user).prefetch_related("stores"))
    for key in keys:
        key.scope_labels = [Scope(s).label if s in Scope.values else s for s in key.scopes]
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "api_keys": keys,
            "key_form": ApiKeyForm(),
            "two_factor": selectors.two_factor_state(request.user),
        },
    )


@login_required
@require_POST
def two_factor_start(request: HttpRequest) -> HttpResponse:
    if selectors.two_factor_enabled(request.user):
        return redirect("accounts:profile")
    services.two_factor_start(user=request.user)
    return redirect("accounts:two_factor_enable")


@never_cache
@login_required
@sensitive_post_parameters("code")
def two_factor_enable(request: HttpRequest) -> HttpResponse:
    """The QR code and the secret; the current code from the app confirms them."""
    device = selectors.totp_device(request.user, confirmed=False)
    if device is None or selectors.two_factor_enabled(request.user):
        return redirect("accounts:profile")
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = services.two_factor_confirm(
                user=request.user,
                code=form.cleaned_data["code"],
                actor=Actor.for_user(request.user),
                request=request,
            )
        except ValueError:  # confirmed or replaced meanwhile (another tab)
            return redirect("accounts:profile")
        if check.ok:
            update_session_auth_hash(request, request.user)  # other sessions end, this one stays
            otp_login(request, check.device)  # this session has just proved the second factor
            messages.success(request, _("Two-factor authentication is on."))
            return render(request, "accounts/recovery_codes.html", {"codes": check.recovery_codes})
        form.add_error(
            "code",
            CODE_WAIT_MESSAGE
            if check.retry_at
            else _(
                "This code is not right. Check that the clock of your phone is right and enter the code the app shows now."
            ),
        )
    return render(
        request,
        "accounts/two_factor_enable.html",
        {
            "form": form,
            "qr": two_factor.qr_svg(two_factor.totp_config_url(device)),
            "secret": two_factor.totp_secret(device),
        },
    )


@never_cache
@login_required
@sensitive_post_parameters("password")
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if not selectors.two_factor_enabled(request.user):
        return redirect("accounts:profile")
    form = PasswordConfirmForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        services.two_factor_disable(user=request.user, actor=Actor.for_user(request.user), request=request)
        messages.success(request, _("Two-factor authentication is off."))
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/two_factor_password.html",
        {
            "form": form,
            "title": _("Turn off two-factor authentication"),
            "text": _(
                "Signing in will need only your password. Your authenticator app and recovery codes stop working."
            ),
            "button": _("Turn off"),
            "danger": True,
        },
    )


@never_cache
@login_required
@sensitive_post_parameters("password")
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    if not selectors.two_factor_enabled(request.user):
        return redirect("accounts:profile")
    form = PasswordConfirmForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        codes = services.two_factor_recovery_codes_regenerate(
            user=request.user, actor=Actor.for_user(request.user), request=request
        )
        return render(request, "accounts/recovery_codes.html", {"codes": codes})
    return render(
        request,
        "accounts/two_factor_password.html",
        {
            "form": form,
            "title": _("New recovery codes"),
            "text": _("You get ten new recovery codes; the old ones stop working."),
            "button": _("Make new codes"),
            "danger": False,
        },
    )


@login_required
def apikey_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = services.apikey_create(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            stores=form.cleaned_data["stores"],
            created_by=request.user,
            actor=Actor.for_user(request.user),
        )
        return render(request, "accounts/apikey_created.html", {"issued": issued})
    return render(request, "accounts/apikey_form.html", {"form": form})


@login_required
@require_POST
def apikey_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    keys = ApiKey.objects.all() if request.user.has_perm("accounts.change_apikey") else request.user.api_keys
    api_key = get_object_or_404(keys, pk=pk)
    services.apikey_revoke(api_key=api_key, actor=Actor.for_user(request.user))
    messages.success(request, _("The key %(name)s is revoked.") % {"name": api_key.name})
    return redirect(request.POST.get("next") or "accounts:profile")


@permission_required("accounts.view_user", raise_exception=True)
def users_list(request: HttpRequest) -> HttpResponse:
    users = list(
        selectors.with_two_factor(User.objects.order_by("-is_active", "username")).prefetch_related(
            Prefetch("groups")
        )
    )
    for user in users:
        role = user.role
        user.role_label = ROLE_LABELS.get(role.name, role.name) if role else ""
    return render(request, "accounts/users_list.html", {"users": users})


def _send_invitation(request: HttpRequest, user: User) -> None:
    link = request.build_absolute_uri(
        reverse(
            "accounts:password_set",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    )
    with override(user.language or request.LANGUAGE_CODE):
        context = {"user": user, "link": link, "inviter": request.user}
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])


@permission_required("accounts.add_user", raise_exception=True)
def user_invite(request: HttpRequest) -> HttpResponse:
    form = UserInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.user_invite(
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=data["role"],
            language=data["language"],
            timezone_name=data["timezone"],
            actor=Actor.for_user(request.user),
        )
        _send_invitation(request, user)
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
        return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "title": _("Invite a user")})


@permission_required("accounts.change_user", raise_exception=True)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = UserEditForm(request.POST or None, instance=User.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if user == request.user and not data["is_active"]:
            form.add_error("is_active", _("You cannot deactivate yourself."))
        else:
            values = {f: data[f] for f in form.Meta.fields if f != "stores"}
            services.user_update(
                user=user,
                actor=Actor.for_user(request.user),
                role=data["role"],
                stores=list(data["stores"]),
                **values,
            )
            messages.success(request, _("Saved."))
            return redirect("accounts:users")
    return render(
        request,
        "accounts/user_form.html",
        {
            "form": form,
            "title": f"{user.get_full_name()} ({user.get_username()})"
            if user.get_full_name()
            else user.get_username(),
            "edited": user,
        },
    )


@permission_required("accounts.change_user", raise_exception=True)
@require_POST
def user_reinvite(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk, is_active=True)
    if not user.email:
        messages.error(request, _("This user has no email address."))
    else:
        _send_invitation(request, user)
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
    return redirect("accounts:users")


@permission_required("accounts.change_user", raise_exception=True)
@require_POST
def user_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """For a user who lost their phone and their recovery codes."""
    user = get_object_or_404(User, pk=pk)
    if services.two_factor_reset(user=user, actor=Actor.for_user(request.user), request=request):
        messages.success(
            request,
            _("Two-factor authentication of %(user)s is reset: they sign in with the password alone.")
            % {"user": user.get_username()},
        )
    return redirect("accounts:users")


@login_required
@require_POST
def work_status_set(request: HttpRequest) -> HttpResponse:
    """Online / busy / away: only online managers receive new orders automatically."""
    form = WorkStatusForm(request.POST)
    if form.is_valid():
        services.user_update(user=request.user, actor=Actor.for_user(request.user), **form.cleaned_data)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
