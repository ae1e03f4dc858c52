from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shopkeeper.core.changes import Actor
from shopkeeper.inventory.forms import StoreShippingForm
from shopkeeper.inventory.models import Warehouse
from shopkeeper.inventory.selectors import stores_shipping

from . import services
from .forms import StoreForm
from .models import Store


@permission_required("stores.change_store", raise_exception=True)
def store_list(request: HttpRequest) -> HttpResponse:
    stores = list(Store.objects.order_by("name", "id"))
    return render(request, "stores/list.html", {"stores": stores})


@permission_required("stores.add_store", raise_exception=True)
def store_create(request: HttpRequest) -> HttpResponse:
    return _store_form(request, None)


@permission_required("stores.change_store", raise_exception=True)
def store_edit(request: HttpRequest, pk: int) -> HttpResponse:
    store = get_object_or_404(stores_shipping().select_related("order_settings"), pk=pk)
    return _store_form(request, store)


def _store_form(request: HttpRequest, store: Store | None) -> HttpResponse:
    if store is None:
        shown = Store()
        shown.links = []  # what `StoreShippingForm` reads: the warehouse links in order
        order_settings = None
    else:
        shown = store
        try:
            order_settings = store.order_settings
        except ObjectDoesNotExist:
            order_settings = None
    data = request.POST if request.method == "POST" else None
    title = store.name if store else _("New store")  # before a save that may fail sets new values
    form = StoreForm(data, instance=store or Store(), order_settings=order_settings)
    linked = {link.warehouse_id for link in shown.links}
    warehouses = [w for w in Warehouse.objects.order_by("priority", "code") if w.is_active or w.pk in linked]
    shipping = StoreShippingForm(data, store=shown, warehouses=warehouses)
    if data is not None and form.is_valid() and shipping.is_valid():
        try:
            saved = services.store_settings_save(
                store=store,
                values=form.store_values(),
                warehouses=shipping.cleaned_data["warehouses"],
                reservation_strategy=shipping.cleaned_data["reservation_strategy"],
                number_prefix=form.cleaned_data["number_prefix"],
                default_price_type=form.cleaned_data["default_price_type"],
                customers_keep_manager=form.cleaned_data["customers_keep_manager"],
                actor=Actor.for_user(request.user),
            )
        except ValidationError as exc:
            _apply_errors(exc, form, shipping)
        else:
            messages.success(request, _("Store %(name)s saved.") % {"name": saved.name})
            return redirect("stores:list")
    return render(
        request,
        "stores/form.html",
        {"form": form, "shipping": shipping, "store": store, "title": title},
    )


def _apply_errors(exc: ValidationError, form: StoreForm, shipping: StoreShippingForm) -> None:
    if not hasattr(exc, "error_dict"):
        for msg in exc.messages:
            form.add_error(None, msg)
        return
    for field, msgs in exc.message_dict.items():
        target = form if field in form.fields else shipping
        name = field if field in target.fields else None
        for msg in msgs:
            target.add_error(name, msg)
