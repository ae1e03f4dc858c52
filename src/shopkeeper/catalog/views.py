from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shopkeeper.core.changes import Actor

from . import selectors, services
from .filters import ProductFilterForm
from .forms import FeedForm, GroupForm, OfferForm, PriceTypeForm, ProductForm
from .models import FeedSource, ImportJob, Offer, PriceType, Product

PAGE_SIZE = 50


def _apply_errors(form, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        target = field if field in form.fields else None
        for msg in msgs:
            form.add_error(target, msg)


@permission_required("catalog.view_product", raise_exception=True)
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET or None)
    qs = selectors.products_list()
    if form.is_bound and form.is_valid():
        qs = form.filter(qs)
    elif form.is_bound:
        qs = qs.none()
    page = Paginator(qs.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": _query_without_page(request)}
    template = (
        "catalog/product_list.html#table"
        if request.headers.get("HX-Request")
        else "catalog/product_list.html"
    )
    return render(request, template, context)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@permission_required("catalog.view_product", raise_exception=True)
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from shopkeeper.inventory import selectors as stock

    product = get_object_or_404(selectors.products_list(), pk=pk)
    offers = list(product.offers.all())
    offer_ids = [o.pk for o in offers]
    levels = list(stock.stock_levels(offer_ids=offer_ids).order_by("offer__sku", "warehouse__priority"))
    movements = list(stock.movements(offer_ids=offer_ids)[:50])
    _add_order_numbers(movements)
    price_types = list(selectors.price_types())
    for offer in offers:
        by_type = {p.price_type_id: p.amount for p in offer.prices.all()}
        offer.price_row = [by_type.get(pt.pk) for pt in price_types]
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "offers": offers,
            "levels": levels,
            "movements": movements,
            "price_types": price_types,
        },
    )


def _add_order_numbers(movements) -> None:
    """People know orders by number, not by id: one query for the orders the movements name."""
    from shopkeeper.orders.models import Order

    ids = {m.order_id for m in movements if m.order_id}
    numbers = dict(Order.objects.filter(pk__in=ids).values_list("pk", "number")) if ids else {}
    for m in movements:
        m.order_number = numbers.get(m.order_id)


@permission_required("catalog.add_product", raise_exception=True)
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            values = form.values()
            product = services.product_create(actor=Actor.for_user(request.user), **values)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Product created. Add its offers (SKUs) now."))
            return redirect("catalog:offer_create", product_pk=product.pk)
    return render(request, "catalog/form.html", {"form": form, "title": _("New product")})


@permission_required("catalog.change_product", raise_exception=True)
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    form = ProductForm(request.POST or None, instance=Product.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(product=product, actor=Actor.for_user(request.user), **form.values())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("catalog:product", pk=product.pk)
    return render(request, "catalog/form.html", {"form": form, "title": product.name, "back": product})


@permission_required("catalog.add_offer", raise_exception=True)
def offer_create(request: HttpRequest, product_pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_pk)
    form = OfferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_create(
                product=product, actor=Actor.for_user(request.user), prices=form.prices(), **form.values()
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Offer created."))
            return redirect("catalog:product", pk=product.pk)
    title = _("New offer of %(product)s") % {"product": product.name}
    return render(request, "catalog/form.html", {"form": form, "title": title, "back": product})


@permission_required("catalog.change_offer", raise_exception=True)
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(Offer.objects.select_related("product"), pk=pk)
    form = OfferForm(request.POST or None, instance=Offer.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_update(
                offer=offer, actor=Actor.for_user(request.user), prices=form.prices(), **form.values()
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Offer saved."))
            return redirect("catalog:product", pk=offer.product_id)
    return render(request, "catalog/form.html", {"form": form, "title": offer.sku, "back": offer.product})


@permission_required("catalog.add_productgroup", raise_exception=True)
def group_create(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.group_create(actor=Actor.for_user(request.user), **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Group created."))
            return redirect("catalog:products")
    return render(request, "catalog/form.html", {"form": form, "title": _("New group")})


@permission_required("catalog.add_importjob", raise_exception=True)
def import_list(request: HttpRequest) -> HttpResponse:
    from .forms import ImportForm

    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.import_job_create(
                format=data["format"],
                file=data["file"],
                source_url=data["url"] or "",
                mapping=data["mapping"],
                created_by=request.user,
                actor=Actor.for_user(request.user),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("catalog:import", pk=job.pk)
    jobs = list(ImportJob.objects.select_related("created_by")[:20])
    return render(request, "catalog/imports.html", {"form": form, "jobs": jobs})


@permission_required("catalog.add_importjob", raise_exception=True)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    template = (
        "catalog/import_detail.html#progress"
        if request.headers.get("HX-Request")
        else "catalog/import_detail.html"
    )
    return render(request, template, {"job": job})


# --- scheduled feeds (Settings) -------------------------------------------------------------------


@permission_required("catalog.view_feedsource", raise_exception=True)
def feed_list(request: HttpRequest) -> HttpResponse:
    feeds = list(selectors.feeds_list())
    return render(request, "catalog/feeds.html", {"feeds": feeds})


@permission_required("catalog.add_feedsource", raise_exception=True)
def feed_create(request: HttpRequest) -> HttpResponse:
    form = FeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feed_create(actor=Actor.for_user(request.user), **form.values())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Feed saved. The first import starts within a minute."))
            return redirect("catalog:feeds")
    return render(request, "catalog/feed_form.html", {"form": form, "title": _("New catalog feed")})


@permission_required("catalog.change_feedsource", raise_exception=True)
def feed_edit(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(FeedSource, pk=pk)
    form = FeedForm(request.POST or None, instance=FeedSource.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.feed_update(feed=feed, actor=Actor.for_user(request.user), **form.values())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Feed saved."))
            return redirect("catalog:feeds")
    return render(request, "catalog/feed_form.html", {"form": form, "title": feed.name, "feed": feed})


@require_POST
@permission_required("catalog.change_feedsource", raise_exception=True)
def feed_run(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(FeedSource, pk=pk)
    job = services.feed_run(feed=feed, actor=Actor.for_user(request.user))
    if job is not None:
        return redirect("catalog:import", pk=job.pk)
    feed.refresh_from_db()
    if feed.last_message:
        messages.error(request, feed.last_message)
    else:
        messages.warning(request, _("The previous import of this feed has not finished yet."))
    return redirect("catalog:feeds")


@require_POST
@permission_required("catalog.delete_feedsource", raise_exception=True)
def feed_delete(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(FeedSource, pk=pk)
    services.feed_delete(feed=feed, actor=Actor.for_user(request.user))
    messages.success(request, _("Feed deleted."))
    return redirect("catalog:feeds")


# --- price types (Settings) -----------------------------------------------------------------------


@permission_required("catalog.view_pricetype", raise_exception=True)
def price_type_list(request: HttpRequest) -> HttpResponse:
    types = list(selectors.price_types_with_counts())
    return render(request, "catalog/price_types.html", {"price_types": types})


@permission_required("catalog.add_pricetype", raise_exception=True)
def price_type_create(request: HttpRequest) -> HttpResponse:
    form = PriceTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.price_type_create(actor=Actor.for_user(request.user), **form.values())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Price type created."))
            return redirect("catalog:price_types")
    return render(request, "catalog/price_type_form.html", {"form": form, "title": _("New price type")})


@permission_required("catalog.change_pricetype", raise_exception=True)
def price_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    price_type = get_object_or_404(PriceType, pk=pk)
    form = PriceTypeForm(request.POST or None, instance=PriceType.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.price_type_update(
                price_type=price_type, actor=Actor.for_user(request.user), **form.values()
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Price type saved."))
            return redirect("catalog:price_types")
    return render(request, "catalog/price_type_form.html", {"form": form, "title": price_type.name})
