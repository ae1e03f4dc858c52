"""Reads for accounts: active users for choices, the state of a user's second factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopkeeper.core.scope import reference

from .models import User


def active_users() -> list[User]:
    """Active users by username (id and names only), as every list's manager filter and every order
    card offer them; kept with the process's reference rows (`core.scope`), cleared when a user is saved."""

    def read() -> list[User]:
        return list(
            User.objects.filter(is_active=True)
            .only("id", "username", "first_name", "last_name")
            .order_by("username")
        )

    return reference(("active_users",), read)


def user_label(value: int | str) -> str:
    """A user as a change stored them (their id, or their sign-in name) read by their name while their
    account is active: "Manager: — → Anna Kovalenko", not "→ 3". KeyError for anyone else (a former
    user), whom a timeline then shows as stored."""

    def read() -> dict[int | str, str]:
        return {
            key: u.get_full_name() or u.get_username() for u in active_users() for key in (u.pk, u.username)
        }

    return reference(("user_labels",), read)[value]


@dataclass(frozen=True)
class TwoFactorState:
    enabled: bool
    since: datetime | None = None
    recovery_codes_left: int = 0


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def two_factor_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_state(user: User) -> TwoFactorState:
    device = totp_device(user)
    if device is None:
        return TwoFactorState(enabled=False)
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return TwoFactorState(enabled=True, since=device.created_at, recovery_codes_left=left)


def with_two_factor(users: QuerySet[User]) -> QuerySet[User]:
    """Adds `two_factor` (True when the user has a confirmed authenticator) in the same query."""
    return users.annotate(two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
