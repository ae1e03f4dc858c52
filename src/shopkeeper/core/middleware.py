from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from .problems import PROBLEM_CONTENT_TYPE, problem

API_PREFIX = "/api/"


class ApiProblemMiddleware:
    """Keeps every /api/ answer in problem-details form, even those made outside the API's views
    (unknown URLs, methods not allowed, oversized bodies), and adds rate-limit headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return problem(
                413,
                slug="body-too-large",
                detail=f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes.",
            )
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith(
            ("application/json", PROBLEM_CONTENT_TYPE)
        ):
            headers = {k: v for k, v in response.items() if k in ("Allow", "Retry-After", "WWW-Authenticate")}
            detail = {
                404: "No such endpoint. See /api/v1/docs for the list.",
                405: f"Method {request.method} is not allowed here.",
            }.get(response.status_code, "")
            response = problem(response.status_code, detail=detail, headers=headers)
        window = getattr(request, "rate_limit", None)
        if window is not None:
            response["RateLimit-Limit"] = str(window.limit)
            response["RateLimit-Remaining"] = str(window.remaining)
            response["RateLimit-Reset"] = str(window.reset)
        return response


class UserPreferencesMiddleware:
    """Activates the signed-in user's language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.timezone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.timezone))
                except zoneinfo.ZoneInfoNotFoundError:
                    timezone.deactivate()
            else:
                timezone.deactivate()
        return self.get_response(request)
