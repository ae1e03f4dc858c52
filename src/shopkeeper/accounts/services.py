"""Writes for users, roles, API keys and second factors. Each records its change in the core change log."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopkeeper.core.changes import Actor, apply_changes, record_change
from shopkeeper.stores.models import Store

from .models import ApiKey, Scope, SecurityEvent, User

KEY_PREFIX = "sk_"
LAST_USED_PRECISION = timedelta(minutes=1)
RECOVERY_CODE_COUNT = 10
TOTP_CODE = re.compile(r"\d{6}")


def hash_key(secret: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # shown once, never stored


@transaction.atomic
def apikey_create(
    *,
    name: str,
    scopes: Iterable[str],
    stores: Iterable[Store] = (),
    created_by: User | None = None,
    actor: Actor,
) -> IssuedKey:
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        name=name, prefix=prefix, key_hash=hash_key(secret), scopes=scopes, created_by=created_by
    )
    stores = list(stores)
    if stores:
        api_key.stores.set(stores)
    record_change(
        entity="api_key",
        entity_id=api_key.pk,
        action="created",
        actor=actor,
        changes={
            "name": [None, name],
            "scopes": [None, scopes],
            "stores": [None, [s.code for s in stores]],
        },
    )
    return IssuedKey(api_key=api_key, secret=secret)


@transaction.atomic
def apikey_revoke(*, api_key: ApiKey, actor: Actor) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        record_change(
            entity="api_key",
            entity_id=api_key.pk,
            action="revoked",
            actor=actor,
            changes={"revoked_at": [None, api_key.revoked_at]},
        )
    return api_key


def apikey_authenticate(secret: str) -> ApiKey | None:
    """The active key for `secret`, or None. Marks last use at most once a minute per key."""
    parts = secret.split("_")
    if len(parts) < 3 or not secret.startswith(KEY_PREFIX):
        return None
    api_key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if api_key is None or not secrets.compare_digest(api_key.key_hash, hash_key(secret)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


@transaction.atomic
def user_invite(
    *,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: Group,
    language: str = "",
    timezone_name: str = "",
    actor: Actor,
) -> User:
    """Create an account without a usable password; the person sets one through the invitation link."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
        timezone=timezone_name,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([role])
    record_change(
        entity="user",
        entity_id=user.pk,
        action="created",
        actor=actor,
        changes={"username": [None, username], "email": [None, email], "role": [None, role.name]},
        event="user.created",
        payload={"username": username},
    )
    return user


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: Group,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    is_superuser: bool = False,
    actor: Actor,
) -> User:
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    user.set_password(password)
    user.save()
    user.groups.set([role])
    record_change(
        entity="user",
        entity_id=user.pk,
        action="created",
        actor=actor,
        changes={"username": [None, username], "role": [None, role.name]},
        event="user.created",
        payload={"username": username},
    )
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: Actor,
    role: Group | None = None,
    stores: list[Store] | None = None,
    **values: object,
) -> User:
    changed = apply_changes(user, values)
    if changed:
        user.save(update_fields=list(changed))
    if stores is not None:
        old_codes = sorted(user.stores.values_list("code", flat=True))
        new_codes = sorted(s.code for s in stores)
        if old_codes != new_codes:
            user.stores.set(stores)
            changed["stores"] = [old_codes, new_codes]
    if role is not None:
        old = user.role
        if old != role:
            user.groups.set([role])
            changed["role"] = [old.name if old else None, role.name]
    if changed:
        record_change(entity="user", entity_id=user.pk, action="updated", actor=actor, changes=changed)
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, actor: Actor) -> User:
    user.set_password(password)
    user.save(update_fields=["password"])
    record_change(entity="user", entity_id=user.pk, action="password_changed", actor=actor)
    return user


def user_sessions_end(*, user: User) -> None:
    """Sign the user out of all their sessions: the session hash changes, so each one ends at its
    next request. To keep the caller's own session, follow with update_session_auth_hash()."""
    user.session_salt = secrets.token_hex(16)
    user.save(update_fields=["session_salt"])


@dataclass(frozen=True)
class CodeCheck:
    """The answer to a one-time code: the device that took it, or why none did."""

    device: Device | None = None
    recovery: bool = False  # the code was a recovery code (now used up)
    recovery_codes_left: int = 0
    retry_at: datetime | None = None  # after wrong codes the device takes none before this
    recovery_codes: tuple[str, ...] = ()  # new codes, when the check turned two-factor on

    @property
    def ok(self) -> bool:
        return self.device is not None


def normalize_code(code: str) -> str:
    """People type codes with spaces or dashes ("123 456", "abcd-efgh"); recovery codes are lower case."""
    return "".join(code.split()).replace("-", "").lower()


def _verify_locked(device: Device, code: str) -> CodeCheck:
    # django-otp keeps the device's state: a TOTP code is taken once (the last time step used is
    # stored), a recovery code is deleted, and wrong codes make the device wait 1, 2, 4 ... seconds.
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(retry_at=(info or {}).get("locked_until"))
    if not device.verify_token(code):
        return CodeCheck()
    return CodeCheck(device=device)


def two_factor_check(*, user: User, code: str) -> CodeCheck:
    """Check a sign-in code: six digits from the authenticator app, or a recovery code (used up)."""
    code = normalize_code(code)
    recovery = not TOTP_CODE.fullmatch(code)
    model = StaticDevice if recovery else TOTPDevice
    with transaction.atomic():
        device = model.objects.filter(user=user, confirmed=True).select_for_update().order_by("pk").first()
        if device is None:
            return CodeCheck()
        check = _verify_locked(device, code)
        if not check.ok or not recovery:
            return check
        return CodeCheck(device=device, recovery=True, recovery_codes_left=device.token_set.count())


@transaction.atomic
def two_factor_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator (replacing an earlier unconfirmed one). Nothing changes for
    the user until it is confirmed with a code, so nothing is recorded here."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValueError("two-factor authentication is already on")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def _new_recovery_codes(user: User) -> tuple[str, ...]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in sorted(codes)])
    return tuple(sorted(codes))


@transaction.atomic
def two_factor_confirm(*, user: User, code: str, actor: Actor, request=None) -> CodeCheck:
    """Turn two-factor on once the user proves their app has the secret: the current code confirms
    the device started by `two_factor_start` and makes the recovery codes (returned once, in
    `recovery_codes`)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).select_for_update().order_by("pk").first()
    if device is None:
        raise ValueError("no authenticator is waiting for confirmation")
    check = _verify_locked(device, normalize_code(code))
    if not check.ok:
        return check
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    # Sessions signed in before with the password alone end; the view keeps the current one.
    user_sessions_end(user=user)
    record_change(
        entity="user",
        entity_id=user.pk,
        action="two_factor_enabled",
        actor=actor,
        changes={"two_factor": [False, True]},
    )
    security_log(kind="two_factor_enabled", request=request, username=user.username, user=user)
    return CodeCheck(device=device, recovery_codes=codes, recovery_codes_left=len(codes))


@transaction.atomic
def two_factor_recovery_codes_regenerate(*, user: User, actor: Actor, request=None) -> tuple[str, ...]:
    """New recovery codes; the old ones stop working."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValueError("two-factor authentication is off")
    codes = _new_recovery_codes(user)
    record_change(entity="user", entity_id=user.pk, action="recovery_codes_regenerated", actor=actor)
    security_log(kind="recovery_codes_regenerated", request=request, username=user.username, user=user)
    return codes


def _remove_devices(user: User) -> bool:
    had = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return had


@transaction.atomic
def two_factor_disable(*, user: User, actor: Actor, request=None) -> bool:
    """The user turns their second factor off (the view has checked their password)."""
    removed = _remove_devices(user)
    if removed:
        record_change(
            entity="user",
            entity_id=user.pk,
            action="two_factor_disabled",
            actor=actor,
            changes={"two_factor": [True, False]},
        )
        security_log(kind="two_factor_disabled", request=request, username=user.username, user=user)
    return removed


@transaction.atomic
def two_factor_reset(*, user: User, actor: Actor, request=None) -> bool:
    """An administrator removes a user's second factor (a lost phone and no recovery codes): the
    user signs in with the password alone until they turn two-factor on again."""
    removed = _remove_devices(user)
    if removed:
        record_change(
            entity="user",
            entity_id=user.pk,
            action="two_factor_reset",
            actor=actor,
            changes={"two_factor": [True, False]},
        )
        security_log(
            kind="two_factor_reset",
            request=request,
            username=user.username,
            user=user,
            detail=f"by {actor.label}",
        )
    return removed


def security_log(
    *,
    kind: str,
    request=None,
    username: str = "",
    user: User | None = None,
    api_key: ApiKey | None = None,
    detail: str = "",
) -> None:
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    path = request.path[:300] if request is not None else ""
    SecurityEvent.objects.create(
        kind=kind,
        username=username[:150],
        user=user,
        api_key=api_key,
        ip=ip or None,
        path=path,
        detail=detail[:300],
    )
