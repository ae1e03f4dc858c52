from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("password/set/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
    path("profile/", views.profile, name="profile"),
    path("profile/status/", views.work_status_set, name="work_status"),
    path("profile/two-factor/start/", views.two_factor_start, name="two_factor_start"),
    path("profile/two-factor/enable/", views.two_factor_enable, name="two_factor_enable"),
    path("profile/two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
    path(
        "profile/two-factor/recovery-codes/",
        views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("profile/api-keys/new/", views.apikey_create, name="apikey_create"),
    path("profile/api-keys/<int:pk>/revoke/", views.apikey_revoke, name="apikey_revoke"),
    path("settings/users/", views.users_list, name="users"),
    path("settings/users/invite/", views.user_invite, name="user_invite"),
    path("settings/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("settings/users/<int:pk>/reinvite/", views.user_reinvite, name="user_reinvite"),
    path(
        "settings/users/<int:pk>/two-factor/reset/", views.user_two_factor_reset, name="user_two_factor_reset"
    ),
]
