from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shopkeeper.core.changes import Actor

from . import selectors, services
from .forms import EndpointForm
from .models import WebhookDelivery, WebhookEndpoint, WebhookStatus


@login_required
@permission_required("integrations.view_webhookendpoint", raise_exception=True)
def webhooks(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("integrations.add_webhookendpoint"):
            return HttpResponse(status=403)
        if form.is_valid():
            d = form.cleaned_data
            try:
                endpoint = services.endpoint_create(
                    url=d["url"],
                    events=d["events"],
                    secret=d["secret"],
                    description=d["description"],
                    actor=Actor.for_user(request.user),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request, _("Endpoint added. Its signing secret: %(s)s") % {"s": endpoint.secret}
                )
                return redirect("integrations:endpoint", pk=endpoint.pk)
    dead = selectors.deliveries(status=WebhookStatus.DEAD).order_by("-id")[:50]
    return render(
        request,
        "integrations/webhooks.html",
        {"endpoints": selectors.endpoints(), "form": form, "dead": dead},
    )


# The filter tabs: "dead letter" is the queue's word; people read "failed".
STATUS_TABS = [
    (WebhookStatus.PENDING, WebhookStatus.PENDING.label),
    (WebhookStatus.DELIVERED, WebhookStatus.DELIVERED.label),
    (WebhookStatus.DEAD, gettext_lazy("Failed")),
]


@login_required
@permission_required("integrations.view_webhookendpoint", raise_exception=True)
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    status = request.GET.get("status", "")
    deliveries = (
        selectors.deliveries(endpoint_id=endpoint.pk, status=status if status in WebhookStatus.values else "")
        .prefetch_related("attempt_log")
        .order_by("-id")[:100]
    )
    return render(
        request,
        "integrations/endpoint.html",
        {"endpoint": endpoint, "deliveries": deliveries, "status": status, "statuses": STATUS_TABS},
    )


@login_required
@permission_required("integrations.change_webhookendpoint", raise_exception=True)
@require_POST
def endpoint_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.endpoint_update(
        endpoint=endpoint, is_active=not endpoint.is_active, actor=Actor.for_user(request.user)
    )
    return redirect("integrations:endpoint", pk=pk)


@login_required
@permission_required("integrations.change_webhookendpoint", raise_exception=True)
@require_POST
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    secret = services.endpoint_rotate_secret(endpoint=endpoint, actor=Actor.for_user(request.user))
    messages.success(
        request, _("New secret: %(s)s — the old one keeps signing for 24 hours.") % {"s": secret}
    )
    return redirect("integrations:endpoint", pk=pk)


@login_required
@permission_required("integrations.delete_webhookendpoint", raise_exception=True)
@require_POST
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.endpoint_delete(
        endpoint=get_object_or_404(WebhookEndpoint, pk=pk), actor=Actor.for_user(request.user)
    )
    return redirect("integrations:webhooks")


@login_required
@permission_required("integrations.change_webhookdelivery", raise_exception=True)
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    services.delivery_replay(delivery=delivery, actor=Actor.for_user(request.user))
    messages.success(request, _("The delivery is queued again."))
    return redirect("integrations:endpoint", pk=delivery.endpoint_id)
