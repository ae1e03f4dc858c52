from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shopkeeper.core.changes import Actor

from . import selectors, services
from .forms import AdjustForm, StockFilterForm, StoreShippingForm, TransferForm, WarehouseForm
from .models import Warehouse


def _apply_errors(form, exc: ValidationError) -> None:
    aliases = {"sku": "offer", "delta": "delta", "quantity": "quantity"}
    for field, msgs in exc.message_dict.items():
        name = aliases.get(field, field)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


@permission_required("inventory.view_stocklevel", raise_exception=True)
def stock_list(request: HttpRequest) -> HttpResponse:
    form = StockFilterForm(request.GET or None)
    qs = selectors.stock_levels().order_by("offer__sku", "warehouse__priority")
    if form.is_bound and form.is_valid():
        if form.cleaned_data["sku"]:
            qs = qs.filter(offer__sku__istartswith=form.cleaned_data["sku"].strip())
        if form.cleaned_data["warehouse"]:
            qs = qs.filter(warehouse=form.cleaned_data["warehouse"])
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    template = (
        "inventory/stock_list.html#table"
        if request.headers.get("HX-Request")
        else "inventory/stock_list.html"
    )
    return render(request, template, {"form": form, "page": page, "query": params.urlencode()})


@permission_required("inventory.view_stocklevel", raise_exception=True)
def low_stock(request: HttpRequest) -> HttpResponse:
    offers = list(selectors.low_stock()[:500])
    return render(request, "inventory/low_stock.html", {"offers": offers})


@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_list(request: HttpRequest) -> HttpResponse:
    warehouses = list(selectors.warehouses_list().prefetch_related("stores"))
    return render(request, "inventory/warehouse_list.html", {"warehouses": warehouses})


@permission_required("inventory.add_warehouse", raise_exception=True)
def warehouse_create(request: HttpRequest) -> HttpResponse:
    form = WarehouseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.warehouse_create(actor=Actor.for_user(request.user), **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Warehouse created."))
            return redirect("inventory:warehouses")
    return render(request, "inventory/form.html", {"form": form, "title": _("New warehouse")})


@permission_required("inventory.change_warehouse", raise_exception=True)
def warehouse_edit(request: HttpRequest, pk: int) -> HttpResponse:
    warehouse = get_object_or_404(Warehouse, pk=pk)
    form = WarehouseForm(request.POST or None, instance=Warehouse.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.warehouse_update(
                warehouse=warehouse, actor=Actor.for_user(request.user), **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Warehouse saved."))
            return redirect("inventory:warehouses")
    return render(request, "inventory/form.html", {"form": form, "title": warehouse.name})


def _back_to(offer) -> HttpResponse:
    return redirect("catalog:product", pk=offer.product_id)


@permission_required("inventory.add_movement", raise_exception=True)
def adjust(request: HttpRequest) -> HttpResponse:
    form = AdjustForm(request.POST or None, initial={"offer": request.GET.get("sku", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_adjust(
                offer=data["offer"],
                warehouse=data["warehouse"],
                delta=data["delta"],
                reason=data["reason"],
                kind=data["kind"],
                actor=Actor.for_user(request.user),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Stock updated."))
            return _back_to(data["offer"])
    return render(request, "inventory/form.html", {"form": form, "title": _("Adjust or receive stock")})


@permission_required("inventory.add_movement", raise_exception=True)
def transfer(request: HttpRequest) -> HttpResponse:
    form = TransferForm(request.POST or None, initial={"offer": request.GET.get("sku", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_transfer(
                offer=data["offer"],
                source=data["source"],
                target=data["target"],
                quantity=data["quantity"],
                actor=Actor.for_user(request.user),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Stock transferred."))
            return _back_to(data["offer"])
    return render(request, "inventory/form.html", {"form": form, "title": _("Transfer stock")})


@permission_required("inventory.view_warehouse", raise_exception=True)
def store_shipping_list(request: HttpRequest) -> HttpResponse:
    stores = list(selectors.stores_shipping())
    return render(request, "inventory/store_shipping.html", {"stores": stores})


@permission_required("inventory.change_warehouse", raise_exception=True)
def store_shipping_edit(request: HttpRequest, pk: int) -> HttpResponse:
    store = get_object_or_404(selectors.stores_shipping(), pk=pk)
    linked = {link.warehouse_id for link in store.links}
    warehouses = [w for w in Warehouse.objects.order_by("priority", "code") if w.is_active or w.pk in linked]
    form = StoreShippingForm(request.POST or None, store=store, warehouses=warehouses)
    if request.method == "POST" and form.is_valid():
        try:
            services.store_set_shipping(
                store=store,
                warehouses=form.cleaned_data["warehouses"],
                reservation_strategy=form.cleaned_data["reservation_strategy"],
                actor=Actor.for_user(request.user),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Shipping of %(store)s saved.") % {"store": store.name})
            return redirect("inventory:stores")
    return render(request, "inventory/store_shipping_form.html", {"form": form, "store": store})
