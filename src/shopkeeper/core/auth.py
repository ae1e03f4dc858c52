"""API authentication: `Authorization: Bearer <key>`, scopes, store restriction, rate limits."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from . import ratelimit


class RateLimited(HttpError):
    def __init__(self, window: ratelimit.Window) -> None:
        super().__init__(429, f"Rate limit of {window.limit} requests exceeded; retry in {window.reset}s.")
        self.window = window


class ApiKeyAuth(HttpBearer):
    """Accepts an active API key that has every scope in `scopes`."""

    openapi_description = "An API key: `Authorization: Bearer sk_...`"

    def __init__(self, *scopes: str) -> None:
        super().__init__()
        self.scopes = scopes

    def authenticate(self, request: HttpRequest, token: str):
        from shopkeeper.accounts.services import apikey_authenticate, security_log

        api_key = apikey_authenticate(token)
        if api_key is None:
            security_log(kind="api_key_invalid", request=request)
            return None
        window = ratelimit.hit(
            f"api:{api_key.pk}", limit=settings.API_RATE_LIMIT, window=settings.API_RATE_WINDOW
        )
        request.rate_limit = window
        if not window.allowed:
            raise RateLimited(window)
        missing = [s for s in self.scopes if s not in api_key.scopes]
        if missing:
            security_log(kind="api_scope_denied", request=request, api_key=api_key, detail=",".join(missing))
            raise HttpError(403, f"This API key lacks the scope {', '.join(missing)}.")
        request.api_key = api_key
        return api_key


def allowed_store_ids(request: HttpRequest) -> list[int] | None:
    """Store ids the caller is limited to; None when it may see every store."""
    api_key = getattr(request, "api_key", None)
    return None if api_key is None else api_key.store_ids()
