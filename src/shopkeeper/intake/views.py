from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shopkeeper.core.changes import Actor

from . import selectors, services
from .forms import CredentialForm, InboxFilterForm, MappingForm, ReplayForm
from .models import CodeMapping, InboundRequest, SourceCredential


@login_required
@permission_required("intake.view_inboundrequest", raise_exception=True)
def inbox(request: HttpRequest) -> HttpResponse:
    flt = selectors.InboxFilter.from_query(request.GET)
    page = Paginator(selectors.inbox(flt).order_by("-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/inbox.html",
        {"page": page, "form": InboxFilterForm(request.GET or None), "filters": flt},
    )


@login_required
@permission_required("intake.view_inboundrequest", raise_exception=True)
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(InboundRequest.objects.select_related("order__store"), pk=pk)
    form = ReplayForm(initial={"body": _readable(entry.body_text)})
    return render(request, "intake/detail.html", _detail_context(entry, form))


def _detail_context(entry: InboundRequest, form: ReplayForm) -> dict:
    flags = entry.result.get("flags") if isinstance(entry.result, dict) else None
    unmapped = any(isinstance(f, dict) and f.get("code") == "unmapped_code" for f in flags or [])
    return {"entry": entry, "form": form, "unmapped": unmapped}


def _readable(body: str) -> str:
    """JSON indented for reading and editing (a one-line payload is hard to edit); else as received."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _same_json(a: bytes, b: bytes) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


@login_required
@permission_required("intake.change_inboundrequest", raise_exception=True)
@require_POST
def entry_replay(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(InboundRequest, pk=pk)
    form = ReplayForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/detail.html", _detail_context(entry, form), status=422)
    body = form.cleaned_data["body"]
    if not body.strip() or _same_json(body, bytes(entry.body or b"")):
        body = None  # only indented for reading: replay the payload as it was received
    outcome = services.inbound_replay(entry=entry, body=body, actor=Actor.for_user(request.user))
    if outcome.ok:
        messages.success(request, _("Replayed: the entry is processed."))
    else:
        messages.error(
            request,
            _("Replayed, and it failed again: %(d)s") % {"d": (outcome.problem or {}).get("detail", "")},
        )
    return redirect("intake:detail", pk=entry.pk)


@login_required
@permission_required("intake.view_codemapping", raise_exception=True)
def mapping_list(request: HttpRequest) -> HttpResponse:
    # "Map" on an unmapped row fills the form with its store, source, kind and code.
    prefill = {k: request.GET[k] for k in ("store", "source", "kind", "external_code") if k in request.GET}
    form = MappingForm(request.POST or None, initial=prefill)
    if request.method == "POST":
        if not request.user.has_perm("intake.change_codemapping"):
            return HttpResponse(status=403)
        if form.is_valid():
            d = form.cleaned_data
            services.mapping_set(
                store=d["store"],
                source=d["source"],
                kind=d["kind"],
                external_code=d["external_code"],
                internal_code=d["internal_code"],
                actor=Actor.for_user(request.user),
            )
            messages.success(request, _("Mapping saved."))
            return redirect("intake:mappings")
    rows = selectors.mappings(unmapped_only=request.GET.get("unmapped") == "1")
    return render(
        request,
        "intake/mappings.html",
        {
            "rows": rows[:1000],
            "form": form,
            "unmapped_only": request.GET.get("unmapped") == "1",
            "our_codes": selectors.our_codes(),
        },
    )


@login_required
@permission_required("intake.delete_codemapping", raise_exception=True)
@require_POST
def mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.mapping_delete(mapping=get_object_or_404(CodeMapping, pk=pk), actor=Actor.for_user(request.user))
    return redirect("intake:mappings")


@login_required
@permission_required("intake.change_sourcecredential", raise_exception=True)
def credentials(request: HttpRequest) -> HttpResponse:
    form = CredentialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        services.credential_set(
            store=d["store"], source=d["source"], secret=d["secret"], actor=Actor.for_user(request.user)
        )
        messages.success(request, _("Secret saved."))
        return redirect("intake:credentials")
    rows = SourceCredential.objects.select_related("store").order_by("store__name", "source")
    return render(request, "intake/credentials.html", {"rows": rows, "form": form})
