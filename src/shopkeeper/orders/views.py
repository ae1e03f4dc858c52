from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import time
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from shopkeeper.accounts.models import User
from shopkeeper.accounts.selectors import active_users
from shopkeeper.catalog.models import Offer, Price
from shopkeeper.core.changes import Actor
from shopkeeper.core.models import Change
from shopkeeper.core.selectors import timeline
from shopkeeper.core.views import timeline_earlier, timeline_page
from shopkeeper.customers.selectors import user_store_ids
from shopkeeper.inventory.models import StockLevel
from shopkeeper.inventory.selectors import order_reservations
from shopkeeper.stores.models import Store
from shopkeeper.stores.selectors import active_stores, store_ids_of_codes

from . import counts, dictionaries, services
from .forms import NewOrderForm, OrderFieldsForm, PaymentForm, StatusForm, dictionary_form
from .models import (
    CancelReason,
    Channel,
    DeliveryType,
    Order,
    OrderType,
    Payment,
    PaymentStatus,
    PaymentType,
    SavedView,
    Status,
    Transition,
)
from .selectors import (
    OrderFilter,
    active_rows,
    attach_related,
    group_counters,
    keyset_page,
    list_queryset,
    order_card,
    orders_visible,
    status_counts,
)

PAGE_SIZE = 50
COLUMNS = [
    ("number", _l("Number")),
    ("created", _l("Created")),
    ("status", _l("Status")),
    ("customer", _l("Customer")),
    ("phone", _l("Phone")),
    ("total", _l("Total")),
    ("payment", _l("Payment")),
    ("manager", _l("Manager")),
    ("store", _l("Store")),
    ("channel", _l("Channel")),
    ("delivery", _l("Delivery")),
]
DEFAULT_COLUMNS = ["number", "created", "status", "customer", "phone", "total", "payment", "manager", "store"]


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user, source="ui")


def _visible(request: HttpRequest):
    return orders_visible(user=request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _columns(request: HttpRequest) -> list[str]:
    chosen = [c for c in request.GET.getlist("cols") if c in dict(COLUMNS)]
    return chosen or DEFAULT_COLUMNS


def _counters(request: HttpRequest, flt: OrderFilter, *, wait: bool = True):
    """Counts per status group. Filtered by nothing but stores (the usual view) they come from the
    counts the services keep; under other filters from a grouped count, cached briefly when costly.
    Without `wait`, None when that count is still to be made: the page asks for it on its own
    (`order_counters`), so a filtered list never waits for it (up to seconds at a million orders)."""
    user = request.user
    if not user.own_orders_only and flt == OrderFilter(sort=flt.sort, store=flt.store, group=flt.group):
        store_ids = user_store_ids(user) if not user.is_superuser else None
        if flt.store:
            chosen = set(store_ids_of_codes(flt.store))
            store_ids = [i for i in store_ids if i in chosen] if store_ids is not None else list(chosen)
        return group_counters(counts.per_status(store_ids))
    scope = repr(OrderFilter(**{**flt.__dict__, "group": [], "sort": ""}))
    key = f"orders:counters:{user.pk}:{hashlib.sha256(scope.encode()).hexdigest()[:32]}"
    per_status = cache.get(key)
    if per_status is None and not wait:
        return None
    if per_status is None:
        started = time.monotonic()
        per_status = status_counts(flt.apply(_visible(request), skip_group=True))
        if time.monotonic() - started > 0.05:  # only a costly count is worth showing a few seconds stale
            cache.set(key, per_status, 10)
    return group_counters(per_status)


@permission_required("orders.view_order", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    flt = OrderFilter.from_query(request.GET)
    qs = list_queryset(flt.apply(_visible(request)))
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()][:100]
    columns = _columns(request)
    if ids:  # live updates: just these rows, if they match the filters
        rows = list(qs.filter(pk__in=ids).order_by("-created_at", "-id"))
        attach_related(rows)
        response = render(
            request, "orders/list.html#rows", {"orders": rows, "columns": columns, "now": timezone.now()}
        )
        # The group counters move with the rows (the page updates its badges from this header).
        response["X-Group-Counts"] = json.dumps(
            {c["group"].code: c["count"] for c in _counters(request, flt)}
        )
        return response
    rows, next_cursor = keyset_page(qs, flt=flt, cursor=request.GET.get("cursor"), limit=PAGE_SIZE)
    query = request.GET.copy()
    for name in ("cursor", "fragment", "ids"):
        query.pop(name, None)
    query_nogroup = query.copy()
    query_nogroup.pop("group", None)
    context = {
        "orders": rows,
        "next_cursor": next_cursor,
        "filter": flt,
        "columns": columns,
        "all_columns": COLUMNS,
        "query": query.urlencode(),
        "query_nogroup": query_nogroup.urlencode(),
        "now": timezone.now(),
    }
    if _is_htmx(request) and request.GET.get("fragment") == "page":
        return render(request, "orders/list.html#page", context)
    context.update(
        counters=_counters(request, flt, wait=False),
        # The dictionaries from the per-process cache (same rows and order as the queries they replace).
        statuses=active_rows(Status),
        stores=active_stores(),
        channels=active_rows(Channel),
        delivery_types=active_rows(DeliveryType),
        managers=active_users(),
        saved_views=SavedView.objects.filter(Q(owner=request.user) | Q(is_shared=True)),
        payment_statuses=PaymentStatus.choices,
    )
    template = "orders/list.html#results" if _is_htmx(request) else "orders/list.html"
    return render(request, template, context)


@permission_required("orders.view_order", raise_exception=True)
def order_counters(request: HttpRequest) -> HttpResponse:
    """The group buttons with their counts, for a filtered list that did not wait for them."""
    flt = OrderFilter.from_query(request.GET)
    query = request.GET.copy()
    query.pop("group", None)
    context = {"counters": _counters(request, flt), "filter": flt, "query_nogroup": query.urlencode()}
    return render(request, "orders/list.html#group_buttons", context)


def live_stream(request: HttpRequest) -> HttpResponse:
    """Server-sent events: ids of orders changed since the stream opened, polled from the change log
    (works across processes without a broker)."""
    if not request.user.is_authenticated or not request.user.has_perm("orders.view_order"):
        return HttpResponse(status=403)
    last = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with contextlib.suppress(ValueError):
        last = max(
            last if not request.headers.get("Last-Event-ID") else int(request.headers["Last-Event-ID"]), 0
        )

    def batch(after: int) -> tuple[int, list[int]]:
        rows = list(
            Change.objects.filter(id__gt=after, entity="order")
            .order_by("id")
            .values_list("id", "entity_id")[:500]
        )
        if not rows:
            newest = Change.objects.filter(id__gt=after).order_by("-id").values_list("id", flat=True).first()
            return (newest or after), []
        return rows[-1][0], sorted({entity_id for _id, entity_id in rows})

    def message(after: int, ids: list[int]) -> str:
        return f"id: {after}\nevent: orders\ndata: {json.dumps({'ids': ids})}\n\n"

    def poll(after: int) -> tuple[int, list[int]]:
        """`batch` on a shared thread: its connection goes back to the pool (PostgreSQL) after each poll."""
        try:
            return batch(after)
        finally:
            close_old_connections()

    async def stream_async():
        after = last
        yield "retry: 3000\n\n"
        for _tick in range(600):  # the browser reconnects after ~10 minutes
            after, ids = await sync_to_async(poll, thread_sensitive=False)(after)
            yield message(after, ids) if ids else ": keep-alive\n\n"
            await asyncio.sleep(1)

    def stream_sync():
        after = last
        yield "retry: 1000\n\n"
        for _tick in range(30):
            after, ids = batch(after)
            yield message(after, ids) if ids else ": keep-alive\n\n"
            time.sleep(1)

    content = stream_async() if isinstance(request, ASGIRequest) else stream_sync()
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _card_context(request: HttpRequest, order: Order) -> dict:
    lines = list(order.lines.all())
    # Where the reserved stock sits, per warehouse: read only when a line holds any (a shipped or
    # cancelled order, most of them, holds none).
    stock = order_reservations(order_id=order.pk) if any(ln.reserved for ln in lines) else {}
    for ln in lines:
        ln.stock = stock.get(ln.pk)
    customer_orders = []
    if order.customer_id:
        customer_orders = list(
            _visible(request)
            .filter(customer_id=order.customer_id)
            .exclude(pk=order.pk)
            .only("id", "number", "created_at", "total", "status_id")
            .order_by("-created_at")[:5]
        )
        for o in customer_orders:  # the status from the dictionary cache, not a join
            status = dictionaries.by_pk(Status, o.status_id)
            if status is not None:
                o.status = status
    fields_form = OrderFieldsForm(
        initial={
            "manager": order.manager_id,
            "channel": order.channel_id,
            "customer_comment": order.customer_comment,
            "manager_comment": order.manager_comment,
            "discount_percent": order.discount_percent,
            "discount_amount": order.discount_amount,
            "delivery_type": order.delivery_type_id,
            "delivery_cost": order.delivery_cost,
            "delivery_address_text": order.delivery_address_text,
            "delivery_date": order.delivery_date,
            "delivery_time_from": order.delivery_time_from,
            "delivery_time_to": order.delivery_time_to,
            "tracking_number": order.tracking_number,
        },
        custom_initial=order.custom_fields,  # else the card shows them empty and a save clears them
    )
    can_edit = request.user.has_perm("orders.change_order")
    # The status buttons and the payment form are shown to editors only: built only for them.
    return {
        "order": order,
        "lines": lines,
        "allowed": services.allowed_targets(order, request.user, cached=True) if can_edit else [],
        **timeline_page(_timeline_of(order.pk), reverse("orders:timeline", args=[order.pk])),
        "customer_orders": customer_orders,
        "fields_form": fields_form,
        # What is still due, when anything is (a refund or a correction is typed in by hand).
        "payment_form": PaymentForm(
            initial={"amount": order.total - order.paid_amount} if order.total > order.paid_amount else {}
        )
        if can_edit
        else None,
        "cancel_reasons": active_rows(CancelReason),
        "can_edit": can_edit,
    }


def _get_card(request: HttpRequest, pk: int) -> Order:
    try:
        return order_card(order_id=pk, qs=_visible(request))
    except Order.DoesNotExist as exc:
        raise Http404 from exc


@permission_required("orders.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_card(request, pk)
    return render(request, "orders/detail.html", _card_context(request, order))


@permission_required("orders.view_order", raise_exception=True)
def order_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The order card's earlier timeline entries ("Show earlier")."""
    order = get_object_or_404(_visible(request).only("id"), pk=pk)
    url = reverse("orders:timeline", args=[order.pk])
    return timeline_earlier(request, _timeline_of(order.pk), entity="order", url=url)


def _timeline_of(order_id: int):
    return functools.partial(timeline, entity="order", entity_id=order_id)


def _error_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


def _back(request: HttpRequest, order: Order) -> HttpResponse:
    return redirect(reverse("orders:detail", args=[order.pk]))


@require_POST
@permission_required("orders.change_order", raise_exception=True)
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_card(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return _back(request, order)
    try:
        services.order_set_status(
            order=order,
            status=form.cleaned_data["status"],
            actor=_actor(request),
            user=request.user,
            comment=form.cleaned_data["comment"],
            cancel_reason=form.cleaned_data["cancel_reason"],
        )
        messages.success(
            request, _("Status changed to “%(status)s”.") % {"status": _(form.cleaned_data["status"].name)}
        )
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    return _back(request, order)


@require_POST
@permission_required("orders.change_order", raise_exception=True)
def order_fields(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_card(request, pk)
    form = OrderFieldsForm(request.POST, custom_initial=order.custom_fields)
    if form.is_valid():
        from shopkeeper.customers.customfields import values_from_form

        data = form.cleaned_data
        values = {
            k: v
            for k, v in data.items()
            if k not in {"manager", "channel", "delivery_type"} and not k.startswith("cf_")
        }
        values.update(manager=data["manager"], channel=data["channel"], delivery_type=data["delivery_type"])
        custom = values_from_form(data)
        if custom or order.custom_fields:
            values["custom_fields"] = {**order.custom_fields, **custom}
        if order.is_final:  # only these may change once an order is final
            values = {k: values[k] for k in ("manager_comment", "manager", "tracking_number")}
        try:
            services.order_update(order=order, actor=_actor(request), **values)
            messages.success(request, _("Order saved."))
            return _back(request, order)
        except ValidationError as exc:
            messages.error(request, _error_message(exc))
    context = _card_context(request, order)
    context["fields_form"] = form
    return render(request, "orders/detail.html", context, status=422)


@require_POST
@permission_required("orders.change_order", raise_exception=True)
def order_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """The line editor posts every line: `line-<id>-quantity/price/discount_percent` for existing
    lines (absent = removed) and `new-sku/new-quantity/new-price` rows to add."""
    order = _get_card(request, pk)
    keep: dict[int, services.LineInput] = {}
    try:
        for ln in order.lines.all():
            if ln.status != "active" or request.POST.get(f"line-{ln.pk}-remove"):
                continue
            prefix = f"line-{ln.pk}-"
            if f"{prefix}quantity" not in request.POST:
                keep[ln.pk] = services.LineInput(
                    quantity=ln.quantity,
                    price=ln.price,
                    discount_amount=ln.discount_amount,
                    discount_percent=ln.discount_percent,
                )
                continue
            keep[ln.pk] = services.LineInput(
                quantity=_dec(request.POST.get(f"{prefix}quantity"), _("quantity")),
                price=_dec(request.POST.get(f"{prefix}price"), _("price")),
                discount_percent=_dec(request.POST.get(f"{prefix}discount_percent") or "0", _("discount")),
            )
        new = []
        for sku, qty, price in zip(
            request.POST.getlist("new-sku"),
            request.POST.getlist("new-quantity"),
            request.POST.getlist("new-price"),
            strict=False,
        ):
            if not sku.strip():
                continue
            new.append(
                services.LineInput(
                    sku=sku.strip(),
                    quantity=_dec(qty or "1", _("quantity")),
                    price=_dec(price, _("price")) if price.strip() else None,
                )
            )
        services.order_set_lines(order=order, lines=new, keep_ids=keep, actor=_actor(request))
        messages.success(request, _("Lines saved."))
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    return _back(request, order)


def _dec(value: str | None, label: str) -> Decimal:
    try:
        return Decimal(str(value).replace(",", ".").replace(" ", ""))
    except Exception as exc:
        raise ValidationError(_("Enter a number for %(field)s.") % {"field": label}) from exc


@require_POST
@permission_required("orders.change_order", raise_exception=True)
def order_payment_add(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_card(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.payment_add(
                order=order,
                actor=_actor(request),
                data=services.PaymentInput(
                    amount=d["amount"],
                    type=d["payment_type"].code if d["payment_type"] else "",
                    status=d["status"],
                    comment=d["comment"],
                ),
            )
            messages.success(request, _("Payment added."))
        except ValidationError as exc:
            messages.error(request, _error_message(exc))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return _back(request, order)


@require_POST
@permission_required("orders.change_order", raise_exception=True)
def order_payment_update(request: HttpRequest, pk: int, payment_id: int) -> HttpResponse:
    order = _get_card(request, pk)
    payment = get_object_or_404(Payment, pk=payment_id, order=order)
    try:
        services.payment_update(payment=payment, actor=_actor(request), status=request.POST.get("status", ""))
        messages.success(request, _("Payment updated."))
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    return _back(request, order)


@require_POST
@permission_required("orders.change_order", raise_exception=True)
def order_comment(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_card(request, pk)
    try:
        services.order_comment(order=order, text=request.POST.get("text", ""), actor=_actor(request))
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    return _back(request, order)


@permission_required("orders.view_order", raise_exception=True)
def order_print(request: HttpRequest, pk: int, document: str) -> HttpResponse:
    order = _get_card(request, pk)
    lines = [ln for ln in order.lines.all() if ln.status == "active"]
    return render(request, f"orders/print_{document}.html", {"order": order, "lines": lines})


@require_POST
@permission_required("orders.change_order", raise_exception=True)
def order_bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()][:500]
    orders = list(_visible(request).filter(pk__in=ids).select_related("status__group", "store"))
    action = request.POST.get("action")
    done, failed = 0, 0
    if action == "status":
        status = Status.objects.filter(pk=request.POST.get("status") or 0).select_related("group").first()
        for order in orders:
            try:
                services.order_set_status(
                    order=order, status=status, actor=_actor(request), user=request.user
                )
                done += 1
            except (ValidationError, AttributeError):
                failed += 1
    elif action == "assign":
        manager = User.objects.filter(pk=request.POST.get("manager") or 0, is_active=True).first()
        for order in orders:
            services.order_assign(order=order, manager=manager, actor=_actor(request))
            done += 1
    elif action == "print":
        return render(
            request,
            "orders/print_packing_slip.html",
            {
                "orders": [(o, [ln for ln in o.lines.all() if ln.status == "active"]) for o in orders],
                "bulk": True,
            },
        )
    if done:
        messages.success(request, _("%(n)s orders updated.") % {"n": done})
    if failed:
        messages.warning(request, _("%(n)s orders could not move to that status.") % {"n": failed})
    return redirect(request.POST.get("next") or "orders:list")


@require_POST
@permission_required("orders.view_order", raise_exception=True)
def saved_view_save(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:100]
    if not name:
        messages.error(request, _("Give the view a name."))
    else:
        SavedView.objects.update_or_create(
            owner=request.user,
            name=name,
            defaults={
                "query": request.POST.get("query", "")[:2000],
                "is_shared": bool(request.POST.get("is_shared"))
                and request.user.has_perm("orders.change_status"),
            },
        )
        messages.success(request, _("View “%(name)s” saved.") % {"name": name})
    return redirect(f"{reverse('orders:list')}?{request.POST.get('query', '')}")


@require_POST
@login_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(SavedView, pk=pk, owner=request.user).delete()
    return redirect("orders:list")


@permission_required("orders.view_order", raise_exception=True)
def offer_search(request: HttpRequest) -> HttpResponse:
    """Line editor autocomplete: offers by SKU or name with price and availability per warehouse."""
    q = request.GET.get("q", "").strip()
    price_type = request.GET.get("price_type", "retail")
    offers = []
    if len(q) >= 2:
        offers = list(
            Offer.objects.filter(Q(sku__istartswith=q) | Q(name__icontains=q) | Q(barcode=q), is_active=True)
            .select_related("product")
            .order_by("sku")[:15]
        )
    prices = {
        p.offer_id: p.amount for p in Price.objects.filter(offer__in=offers, price_type__code=price_type)
    }
    levels: dict[int, list] = {}
    for level in StockLevel.objects.filter(offer__in=offers).select_related("warehouse"):
        levels.setdefault(level.offer_id, []).append(level)
    for offer in offers:
        offer.price = prices.get(offer.pk)
        offer.levels = levels.get(offer.pk, [])
        offer.available = sum((lv.on_hand - lv.reserved for lv in offer.levels), Decimal(0))
    return render(request, "orders/offer_search.html", {"offers": offers, "q": q})


@permission_required("orders.add_order", raise_exception=True)
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """Manual order: customers matching a phone fragment, email or name as the manager types (the
    customers app's search, limited to the customers this user may see)."""
    from shopkeeper.customers.selectors import lookup

    q = (request.GET.get("phone") or request.GET.get("q") or "").strip()
    customers = lookup(_visible_customers(request), q)
    return render(request, "orders/customer_lookup.html", {"customers": customers, "q": q})


def _visible_customers(request: HttpRequest):
    from shopkeeper.customers.selectors import customers_visible

    return customers_visible(user=request.user)


@permission_required("orders.add_order", raise_exception=True)
def order_new(request: HttpRequest) -> HttpResponse:
    from shopkeeper.customers.services import CustomerInput

    user_stores = request.user.stores.all() if not request.user.is_superuser else None
    stores = Store.objects.filter(is_active=True)
    if user_stores is not None and user_stores.exists():
        stores = stores.filter(pk__in=user_stores)
    initial = {}
    preset = request.GET.get("customer_id", "")
    if request.method == "GET" and preset.isdigit():
        customer = (
            _visible_customers(request)
            .filter(pk=int(preset), store__in=stores, merged_into__isnull=True)
            .prefetch_related("phones", "emails")
            .first()
        )
        if customer is not None:
            phone = next(iter(customer.phones.all()), None)
            email = next(iter(customer.emails.all()), None)
            initial = {
                "customer_id": customer.pk,
                "store": customer.store_id,
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "phone": (phone.e164 or phone.raw) if phone else "",
                "email": email.email if email else "",
            }
    form = NewOrderForm(request.POST or None, stores=stores, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        lines = []
        for sku, qty, price in zip(
            request.POST.getlist("new-sku"),
            request.POST.getlist("new-quantity"),
            request.POST.getlist("new-price"),
            strict=False,
        ):
            if sku.strip():
                try:
                    lines.append(
                        services.LineInput(
                            sku=sku.strip(),
                            quantity=_dec(qty or "1", _("quantity")),
                            price=_dec(price, _("price")) if price.strip() else None,
                        )
                    )
                except ValidationError as exc:
                    form.add_error(None, _error_message(exc))
        customer_id = d.get("customer_id")
        if customer_id and not _visible_customers(request).filter(pk=customer_id, store=d["store"]).exists():
            customer_id = None
        data = services.OrderInput(
            store=d["store"],
            lines=lines,
            channel=d["channel"].code if d["channel"] else "",
            order_type=d["order_type"].code,
            customer_id=customer_id,
            customer=None
            if customer_id
            else CustomerInput(
                first_name=d["first_name"],
                last_name=d["last_name"],
                phone=d["phone"],
                email=d["email"],
                address={"text": d["delivery_address"]} if d["delivery_address"] else None,
            ),
            delivery=services.DeliveryInput(
                type=d["delivery_type"].code if d["delivery_type"] else "",
                address={"text": d["delivery_address"]} if d["delivery_address"] else {},
            ),
            customer_comment=d["comment"],
            manager_id=request.user.pk,
        )
        if not form.errors:
            try:
                order = services.order_create(data=data, actor=_actor(request))
                if d["payment_type"] and order.total > 0:
                    services.payment_add(
                        order=order,
                        actor=_actor(request),
                        data=services.PaymentInput(amount=order.total, type=d["payment_type"].code),
                    )
                messages.success(request, _("Order %(number)s created.") % {"number": order.number})
                return redirect("orders:detail", pk=order.pk)
            except ValidationError as exc:
                form.add_error(None, _error_message(exc))
    posted = [
        {"sku": sku, "quantity": qty, "price": price}
        for sku, qty, price in zip(
            request.POST.getlist("new-sku"),
            request.POST.getlist("new-quantity"),
            request.POST.getlist("new-price"),
            strict=False,
        )
        if sku.strip()
    ]
    rows = posted + [{"sku": "", "quantity": "1", "price": ""}] * max(3 - len(posted), 1)
    return render(request, "orders/new.html", {"form": form, "rows": rows})


@permission_required("orders.change_status_settings", raise_exception=True)
def order_settings(request: HttpRequest) -> HttpResponse:
    models = {
        "statuses": Status,
        "channels": Channel,
        "order-types": OrderType,
        "delivery-types": DeliveryType,
        "payment-types": PaymentType,
        "cancel-reasons": CancelReason,
    }
    kind = request.GET.get("kind", "statuses")
    model = models.get(kind, Status)
    edit_id = request.GET.get("edit")
    instance = model.objects.filter(pk=edit_id).first() if edit_id and edit_id.isdigit() else None
    form_class = dictionary_form(model)
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and request.POST.get("form") == "matrix":
        return _save_matrix(request)
    if request.method == "POST" and request.POST.get("form") == "roles":
        return _save_transition_roles(request)
    if request.method == "POST" and form.is_valid():
        from .settings_services import dictionary_save

        dictionary_save(form=form, actor=_actor(request))
        messages.success(request, _("Saved."))
        return redirect(f"{reverse('orders:settings')}?kind={kind}")
    order_types = list(OrderType.objects.all())
    matrix_type = next(
        (t for t in order_types if str(t.pk) == request.GET.get("type")),
        order_types[0] if order_types else None,
    )
    statuses = list(Status.objects.select_related("group"))
    allowed = (
        set(Transition.objects.filter(order_type=matrix_type).values_list("source_id", "target_id"))
        if matrix_type
        else set()
    )
    return render(
        request,
        "orders/settings.html",
        {
            "kinds": [(k, m._meta.verbose_name_plural) for k, m in models.items()],
            "kind": kind,
            "items": model.objects.all(),
            "form": form,
            "editing": instance,
            "statuses": statuses,
            "order_types": order_types,
            "matrix_type": matrix_type,
            "allowed": allowed,
            "matrix": [(s, [(t, (s.pk, t.pk) in allowed) for t in statuses]) for s in statuses],
        },
    )


def _save_transition_roles(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth.models import Group

    from .settings_services import transition_set_roles

    order_type = get_object_or_404(OrderType, pk=request.POST.get("order_type") or 0)
    transition = (
        Transition.objects.filter(
            order_type=order_type,
            source_id=request.POST.get("source") or 0,
            target_id=request.POST.get("target") or 0,
        )
        .select_related("source", "target")
        .first()
    )
    if transition is None:
        messages.error(request, _("Tick that transition in the matrix first."))
    else:
        roles = list(Group.objects.filter(pk__in=[r for r in request.POST.getlist("roles") if r.isdigit()]))
        transition_set_roles(transition=transition, roles=roles, actor=_actor(request))
        messages.success(request, _("Transition roles saved."))
    return redirect(f"{reverse('orders:settings')}?kind=statuses&type={order_type.pk}")


def _save_matrix(request: HttpRequest) -> HttpResponse:
    from .settings_services import transitions_set

    order_type = get_object_or_404(OrderType, pk=request.POST.get("order_type") or 0)
    pairs = set()
    for value in request.POST.getlist("allow"):
        source, _sep, target = value.partition("-")
        if source.isdigit() and target.isdigit() and source != target:
            pairs.add((int(source), int(target)))
    transitions_set(order_type=order_type, pairs=pairs, actor=_actor(request))
    messages.success(request, _("Transitions saved."))
    return redirect(f"{reverse('orders:settings')}?kind=statuses&type={order_type.pk}")


@permission_required("orders.change_status_settings", raise_exception=True)
def assignment_rules(request: HttpRequest) -> HttpResponse:
    from .forms import AssignmentRuleForm
    from .models import AssignmentRule
    from .settings_services import assignment_rule_create, assignment_rule_delete

    if request.method == "POST" and request.POST.get("delete"):
        rule = get_object_or_404(AssignmentRule, pk=request.POST["delete"])
        assignment_rule_delete(rule=rule, actor=_actor(request))
        messages.success(request, _("Rule deleted."))
        return redirect("orders:assignment")
    form = AssignmentRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assignment_rule_create(form=form, actor=_actor(request))
        messages.success(request, _("Rule added."))
        return redirect("orders:assignment")
    rules = AssignmentRule.objects.select_related("manager", "store", "channel", "order_type")
    return render(request, "orders/assignment.html", {"form": form, "rules": rules})
