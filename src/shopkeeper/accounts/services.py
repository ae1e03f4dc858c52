"""Writes for users, roles and API keys. Each records its change in the core change log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from shopkeeper.core.changes import Actor, apply_changes, record_change
from shopkeeper.stores.models import Store

from .models import ApiKey, Scope, SecurityEvent, User

KEY_PREFIX = "sk_"
LAST_USED_PRECISION = timedelta(minutes=1)


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
