from __future__ import annotations

from django.contrib import messages
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
from django.utils.translation import override
from django.views.decorators.http import require_POST

from shopkeeper.core.changes import Actor

from . import services
from .forms import (
    ApiKeyForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
    UserEditForm,
    UserInviteForm,
    WorkStatusForm,
)
from .models import ApiKey, User
from .roles import ROLE_LABELS


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        services.security_log(
            kind="login",
            request=self.request,
            username=form.get_user().username,
            user=form.get_user(),
        )
        return super().form_valid(form)


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


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(
            user=request.user,
            password=form.cleaned_data["new_password1"],
            actor=Actor.for_user(request.user),
        )
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
    keys = ApiKey.objects.filter(created_by=request.user).prefetch_related("stores")
    return render(
        request, "accounts/profile.html", {"form": form, "api_keys": keys, "key_form": ApiKeyForm()}
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
    users = list(User.objects.order_by("-is_active", "username").prefetch_related(Prefetch("groups")))
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
        {"form": form, "title": user.get_username(), "edited": user},
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
