"""The second sign-in step's state in the session, and the QR code for the authenticator app.

After a correct password a user with two-factor on is not signed in: the session only remembers who
passed the password, for PENDING_SECONDS, until a code finishes the sign-in.
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import segno
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

PENDING_SESSION_KEY = "sk_two_factor_pending"
PENDING_SECONDS = 300
ISSUER = "Shopkeeper"


@dataclass(frozen=True)
class Pending:
    user: User | None  # None once expired, or when the account is gone or deactivated
    backend: str
    next_url: str
    expired: bool


def pending_start(request: HttpRequest, user: User, *, next_url: str) -> None:
    # A new session key at the password step, as login() does at the end: a session id planted
    # before the password was typed is worth nothing afterwards.
    request.session.cycle_key()
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ""),
        "next": next_url,
        "until": timezone.now().timestamp() + PENDING_SECONDS,
    }


def pending_get(request: HttpRequest) -> Pending | None:
    data = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    if timezone.now().timestamp() > data.get("until", 0):
        return Pending(user=None, backend="", next_url="", expired=True)
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    return Pending(user=user, backend=data.get("backend", ""), next_url=data.get("next", ""), expired=False)


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed in (base32)."""
    return b32encode(device.bin_key).decode()


def totp_config_url(device: TOTPDevice) -> str:
    """The otpauth:// address the QR code carries (Key Uri Format of authenticator apps)."""
    label = f"{ISSUER}:{device.user.get_username()}"
    params = urlencode(
        {
            "secret": totp_secret(device),
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{quote(label)}?{params}"


def qr_svg(data: str) -> SafeString:
    """An inline SVG (no script, no style attributes: fine under the CSP), dark on light in any theme."""
    svg = segno.make(data, error="m").svg_inline(scale=5, dark="#000", light="#fff", svgclass="sk-qr")
    # segno's own markup: the data is encoded in the path, never echoed as text.
    return mark_safe(svg)
