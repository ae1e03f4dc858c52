from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .models import Change
from .nav import sections_for
from .selectors import TIMELINE_PAGE


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The first section the user may open (orders, once they exist)."""
    sections = sections_for(request.user)
    return redirect(sections[0]["url"] if sections else reverse("accounts:profile"))


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return JsonResponse(
            {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}, status=503
        )
    if pending:
        return JsonResponse(
            {"status": "unavailable", "database": "ok", "pending_migrations": len(pending)},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "pending_migrations": 0})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; a signed-in user keeps it in their profile."""
    from django.conf import settings
    from django.utils import translation

    code = request.POST.get("language", "")
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if code not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated and request.user.language != code:
        from shopkeeper.accounts.services import user_update
        from shopkeeper.core.changes import Actor

        user_update(user=request.user, actor=Actor.for_user(request.user), language=code)
    translation.activate(code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A page that needs a permission, asked for by someone not signed in (or whose session timed out):
    the sign-in page, then back here. A signed-in user without the permission gets the 403 page."""
    from django.contrib.auth.views import redirect_to_login
    from django.views.defaults import permission_denied as default

    if not request.user.is_authenticated and not request.path.startswith("/api/"):
        return redirect_to_login(request.get_full_path())
    return default(request, exception)


# A card's timeline, page by page. `read(limit=..., before_id=...)` reads an entity's changes newest first
# (`core.selectors.timeline` or `customers.selectors.customer_timeline`, its entity bound).
TimelineReader = Callable[..., list[Change]]


def id_param(value: str | None) -> int | None:
    """A row id sent in a query string or a form, or None for anything that is no id."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 19 else None


def timeline_page(read: TimelineReader, url: str, before_id: int | None = None) -> dict[str, Any]:
    """What core/timeline.html shows: the newest `TIMELINE_PAGE` entries (before `before_id`), and the
    address of the ones before them when there are more (one more entry is read to know)."""
    entries = read(limit=TIMELINE_PAGE + 1, before_id=before_id)
    if len(entries) <= TIMELINE_PAGE:
        return {"timeline": entries, "timeline_earlier_url": None}
    entries = entries[:TIMELINE_PAGE]
    return {"timeline": entries, "timeline_earlier_url": f"{url}?before={entries[-1].pk}"}


def timeline_earlier(request: HttpRequest, read: TimelineReader, *, entity: str, url: str) -> HttpResponse:
    """The `<li>`s a card's "Show earlier" adds to its timeline: the page before the `before` id of the
    request (a value that is no id reads as the newest page), with the next "Show earlier" when more
    remain; nothing when none do."""
    page = timeline_page(read, url, id_param(request.GET.get("before")))
    if not page["timeline"]:
        return HttpResponse("")
    context = {"entries": page["timeline"], "entity": entity, "earlier_url": page["timeline_earlier_url"]}
    return render(request, "core/timeline_page.html", context)
