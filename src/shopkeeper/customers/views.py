"""Pages of customers, companies, duplicates and segments (thin: parse, call, render)."""

from __future__ import annotations

import csv
import functools

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from shopkeeper.catalog.selectors import price_type_names
from shopkeeper.core.changes import Actor
from shopkeeper.core.pagination import CountedPages
from shopkeeper.core.selectors import timeline
from shopkeeper.core.views import id_param, timeline_earlier, timeline_page
from shopkeeper.stores.selectors import attach_store_and_manager

from . import customfields, dedupe, selectors, services
from .filters import CustomerFilterForm
from .forms import BulkForm, CompanyForm, ContactForm, CustomerForm, MergeForm, NoteForm, SegmentForm
from .models import Company, Customer, DuplicateCandidate, SavedView, Segment
from .segments import segment_save

PAGE_SIZE = 50
DUPLICATE_GROUPS = 30  # groups of the duplicates queue a page shows
COUNT_AHEAD = 10_000  # customers counted past the page shown (more shows as "+")


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def _customers(request: HttpRequest):
    return selectors.customers_visible(user=request.user)


def csv_safe(value) -> str:
    """Neutralise spreadsheet formula injection: a leading = + - @ tab CR or NUL gets a quote."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r\x00":
        return "'" + text
    return text


@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    try:
        qs = selectors.customer_list(params=form if request.GET else {}, user=request.user)
    except ValidationError:
        qs = _customers(request).none()
    page = CountedPages(qs, PAGE_SIZE, ahead=COUNT_AHEAD).get_page(request.GET.get("page"))
    page.object_list = rows = list(page.object_list)  # the rows the template shows get what follows
    attach_store_and_manager(rows)
    contacts = selectors.shown_contacts([c.pk for c in rows])
    for c in rows:
        c.contacts = contacts[c.pk]
    context = {
        "form": form,
        "page": page,
        "segments": Segment.objects.all(),
        "managers": CustomerFilterForm.managers(),
        "bulk_form": BulkForm(),
        "query": request.GET.urlencode(),
        "saved_views": selectors.saved_views(user=request.user),
        "view_query": services.saved_view_query(request.GET),
    }
    template = "customers/list.html#table" if request.headers.get("HX-Request") else "customers/list.html"
    return render(request, template, context)


@permission_required("customers.view_customer", raise_exception=True)
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    query = services.saved_view_query(QueryDict(request.POST.get("query", "")[:4000]))
    try:
        view = services.saved_view_save(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=query,
            is_shared=bool(request.POST.get("is_shared"))
            and request.user.has_perm("customers.share_savedview"),
            actor=_actor(request),
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{reverse('customers:list')}?{query}" if query else reverse("customers:list"))


@permission_required("customers.view_customer", raise_exception=True)
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    services.saved_view_delete(view=view, actor=_actor(request))
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("customers:list")


@permission_required("customers.change_customer", raise_exception=True)
@require_POST
def customer_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose customers and an action."))
        return redirect("customers:list")
    ids = form.cleaned_data["ids"]
    customers = list(_customers(request).filter(pk__in=ids, merged_into__isnull=True))
    action = form.cleaned_data["action"]
    if action == "export":
        return _export_csv(selectors.with_list_relations(_customers(request).filter(pk__in=ids)))
    if action in {"tag", "untag"}:
        name = form.cleaned_data["tag"].strip()
        if not name:
            messages.error(request, _("Enter a tag."))
            return redirect("customers:list")
        tag = services.tag_get_or_create(name=name, actor=_actor(request))
        done = services.customers_tag(
            customers=customers, tag=tag, actor=_actor(request), remove=action == "untag"
        )
    else:
        done = services.customers_assign_manager(
            customers=customers, manager=form.cleaned_data["manager"], actor=_actor(request)
        )
    messages.success(request, _("%(count)d customers changed.") % {"count": done})
    return redirect(request.POST.get("next") or "customers:list")


def _export_csv(qs) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "id",
            "store",
            "last_name",
            "first_name",
            "patronymic",
            "phones",
            "emails",
            "orders",
            "total_spent",
            "tags",
        ]
    )
    customers = list(qs)
    attach_store_and_manager(customers)
    for c in customers:
        writer.writerow(
            [
                csv_safe(v)
                for v in (
                    c.pk,
                    c.store.code,
                    c.last_name,
                    c.first_name,
                    c.patronymic,
                    " ".join(p.e164 or p.raw for p in c.phones.all()),
                    " ".join(e.email for e in c.emails.all()),
                    c.orders_count,
                    c.total_spent,
                    " ".join(t.name for t in c.tags.all()),
                )
            ]
        )
    return response


@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # `merged_into` is read (one query) only on the card of a merged customer.
    customer = get_object_or_404(selectors.with_card_relations(_customers(request)), pk=pk)
    attach_store_and_manager([customer])
    contacts = selectors.shown_contacts([customer.pk])[customer.pk]
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "phones": contacts["phones"],
            "emails": contacts["emails"],
            "tags": contacts["tags"],
            "custom_fields": customfields.shown("customer", customer.custom_fields),
            **timeline_page(
                functools.partial(selectors.customer_timeline, customer),
                reverse("customers:timeline", args=[customer.pk]),
            ),
            "duplicates": selectors.open_duplicates(customer),
            **_orders_context(request, customer=customer),
        },
    )


@permission_required("customers.view_customer", raise_exception=True)
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer card's earlier timeline entries ("Show earlier")."""
    customer = get_object_or_404(_customers(request), pk=pk)
    url = reverse("customers:timeline", args=[customer.pk])
    read = functools.partial(selectors.customer_timeline, customer)
    return timeline_earlier(request, read, entity="customer", url=url)


def _orders_context(request: HttpRequest, *, customer=None, company=None) -> dict:
    """The newest orders of the card (None when the user may not see orders) and links around them."""
    orders = selectors.entity_orders(user=request.user, customer=customer, company=company)
    context: dict = {"orders": orders, "orders_limit": selectors.CARD_ORDERS, "new_order_url": ""}
    if orders is None:
        return context
    context["orders_filter"] = f"customer={customer.pk}" if customer is not None else f"company={company.pk}"
    can_order = request.user.has_perm("orders.add_order")
    if customer is not None and can_order and not customer.merged_into_id and not customer.erased_at:
        context["new_order_url"] = f"{reverse('orders:new')}?customer_id={customer.pk}"
    return context


@permission_required("customers.add_customer", raise_exception=True)
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = form.profile_values()
        data = services.CustomerInput(
            first_name=values.pop("first_name"),
            last_name=values.pop("last_name"),
            patronymic=values.pop("patronymic"),
            external_id=values.pop("external_id"),
            phones=form.lines(form.cleaned_data["phones"]),
            emails=form.lines(form.cleaned_data["emails"]),
            address={"city": form.cleaned_data["city"], "text": form.cleaned_data["address"]},
            extra=values,
        )
        try:
            customer, problems = services.customer_create(
                store=form.cleaned_data["store"],
                data=data,
                actor=_actor(request),
                tags=list(form.cleaned_data["tags"]),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if "invalid_phone" in problems:
                messages.warning(request, _("A phone number is not valid; it is kept as typed."))
            if "possible_duplicate_customer" in problems:
                messages.warning(request, _("This customer may be a duplicate; see the duplicates queue."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("New customer")})


@permission_required("customers.change_customer", raise_exception=True)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(_customers(request).filter(merged_into__isnull=True), pk=pk)
    form = CustomerForm(request.POST or None, instance=Customer.objects.get(pk=customer.pk))
    if request.method == "POST" and form.is_valid():
        actor = _actor(request)
        try:
            with transaction.atomic():
                services.customer_update(customer=customer, values=form.profile_values(), actor=actor)
                services.customer_set_tags(
                    customer=customer, tags=list(form.cleaned_data["tags"]), actor=actor
                )
                problems = services.customer_set_contacts(
                    customer=customer,
                    phones=form.lines(form.cleaned_data["phones"]),
                    emails=form.lines(form.cleaned_data["emails"]),
                    actor=actor,
                )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if "invalid_phone" in problems:
                messages.warning(request, _("A phone number is not valid; it is kept as typed."))
            messages.success(request, _("Saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request, "customers/form.html", {"form": form, "title": customer.full_name, "customer": customer}
    )


@permission_required("customers.change_customer", raise_exception=True)
@require_POST
def customer_note(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(_customers(request), pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.note_add(customer=customer, text=form.cleaned_data["text"], actor=_actor(request))
    return redirect("customers:detail", pk=customer.pk)


@permission_required("customers.view_customer", raise_exception=True)
def customer_export(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(_customers(request).select_related("store"), pk=pk)
    response = JsonResponse(
        selectors.customer_export(customer), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@permission_required("customers.delete_customer", raise_exception=True)
@require_POST
def customer_erase(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(_customers(request), pk=pk)
    services.customer_erase(customer=customer, actor=_actor(request))
    messages.success(request, _("Personal data erased."))
    return redirect("customers:detail", pk=customer.pk)


# Duplicates ----------------------------------------------------------------------------------------


@permission_required("customers.change_customer", raise_exception=True)
def duplicates(request: HttpRequest) -> HttpResponse:
    candidates = selectors.duplicates_open(user=request.user)
    page = Paginator(selectors.duplicate_groups(candidates), DUPLICATE_GROUPS).get_page(
        request.GET.get("page")
    )
    groups = selectors.duplicate_group_page(candidates, list(page))
    return render(request, "customers/duplicates.html", {"page": page, "groups": groups})


@permission_required("customers.change_customer", raise_exception=True)
@require_POST
def duplicates_merge_all(request: HttpRequest) -> HttpResponse:
    """A group's "Merge all into the oldest" in the duplicates queue: each record the user may see is
    merged into the survivor, in one transaction (a record the rules refuse stops the whole group)."""
    visible = _customers(request)
    survivor = get_object_or_404(visible, pk=id_param(request.POST.get("survivor")) or 0)
    ids = {id_param(value) for value in request.POST.getlist("merged")} - {None, survivor.pk}
    merged = list(visible.filter(pk__in=ids).order_by("pk"))
    if not merged or len(merged) != len(ids):
        raise Http404
    try:
        with transaction.atomic():
            for record in merged:
                dedupe.customer_merge(survivor=survivor, merged=record, actor=_actor(request))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("customers:duplicates")
    messages.success(
        request,
        ngettext(
            "%(count)d record merged into %(name)s.", "%(count)d records merged into %(name)s.", len(merged)
        )
        % {"count": len(merged), "name": survivor},
    )
    return redirect("customers:duplicates")


@permission_required("customers.change_customer", raise_exception=True)
@require_POST
def customer_merge(request: HttpRequest) -> HttpResponse:
    """Merge from the duplicates queue, or from a customer's card (`from=card`: a duplicate found there
    is merged into the card's customer, and any problem is told on the card)."""
    form = MergeForm(request.POST)
    form.is_valid()  # what is valid is in cleaned_data; a bad or missing id finds no customer
    ids = form.cleaned_data
    visible = _customers(request)
    survivor = get_object_or_404(visible, pk=ids.get("survivor") or 0)
    back = redirect("customers:detail", pk=survivor.pk) if request.POST.get("from") == "card" else None
    if back is not None and "merged" in form.errors:
        messages.error(request, " ".join(form.errors["merged"]))
        return back
    merged = get_object_or_404(visible, pk=ids.get("merged") or 0)
    try:
        dedupe.customer_merge(survivor=survivor, merged=merged, actor=_actor(request))
    except ValueError as exc:
        messages.error(request, str(exc))
        return back or redirect("customers:duplicates")
    messages.success(request, _("Merged into %(name)s.") % {"name": survivor})
    return redirect("customers:detail", pk=survivor.pk)


@permission_required("customers.change_customer", raise_exception=True)
def customer_merge_candidates(request: HttpRequest, pk: int) -> HttpResponse:
    """The customers a card's merge picker offers: others of the same store, not merged already."""
    customer = get_object_or_404(_customers(request).filter(merged_into__isnull=True), pk=pk)
    q = request.GET.get("q") or ""
    candidates = _customers(request).filter(store_id=customer.store_id).exclude(pk=customer.pk)
    return _picker(request, candidates, q, field="merged", testid="merge-candidates")


def _picker(request: HttpRequest, candidates, q: str, *, field: str, testid: str) -> HttpResponse:
    return render(
        request,
        "customers/_picker.html",
        {"customers": selectors.lookup(candidates, q), "q": q.strip(), "field": field, "testid": testid},
    )


@permission_required("customers.change_customer", raise_exception=True)
@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(DuplicateCandidate.objects.filter(customer__in=_customers(request)), pk=pk)
    dedupe.duplicate_dismiss(candidate=candidate, actor=_actor(request))
    return redirect("customers:duplicates")


# Companies -----------------------------------------------------------------------------------------


@permission_required("customers.view_company", raise_exception=True)
def company_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    page = Paginator(selectors.company_list(q=q, user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    template = (
        "customers/companies.html#table" if request.headers.get("HX-Request") else "customers/companies.html"
    )
    names = price_type_names()
    for company in page:
        company.price_type_name = names.get(company.price_type, company.price_type)
    return render(request, template, {"page": page, "q": q})


# Bank detail keys the forms and the API write, as people read them (others show as sent).
BANK_LABELS = {
    "account": gettext_lazy("Account"),
    "bank": gettext_lazy("Bank"),
    "bic": gettext_lazy("BIC"),
    "bik": gettext_lazy("BIC"),
    "swift": "SWIFT",
    "iban": "IBAN",
    "correspondent_account": gettext_lazy("Correspondent account"),
}


@permission_required("customers.view_company", raise_exception=True)
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    qs = selectors.with_company_card_relations(selectors.companies_visible(user=request.user))
    company = get_object_or_404(qs, pk=pk)
    return render(
        request,
        "customers/company_detail.html",
        {
            "company": company,
            "price_type_name": price_type_names().get(company.price_type, company.price_type),
            "bank_details": [(BANK_LABELS.get(k, k), v) for k, v in company.bank_details.items()],
            "custom_fields": customfields.shown("company", company.custom_fields),
            **timeline_page(
                functools.partial(timeline, entity="company", entity_id=company.pk),
                reverse("customers:company_timeline", args=[company.pk]),
            ),
            **_orders_context(request, company=company),
        },
    )


@permission_required("customers.view_company", raise_exception=True)
def company_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The company card's earlier timeline entries ("Show earlier")."""
    company = get_object_or_404(selectors.companies_visible(user=request.user).only("id"), pk=pk)
    url = reverse("customers:company_timeline", args=[company.pk])
    read = functools.partial(timeline, entity="company", entity_id=company.pk)
    return timeline_earlier(request, read, entity="company", url=url)


@permission_required("customers.add_company", raise_exception=True)
def company_create(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            company = services.company_create(
                store=form.cleaned_data["store"],
                tax_ids=form.tax_ids(),
                actor=_actor(request),
                **{k: v for k, v in values.items()},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("customers:company_detail", pk=company.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("New company")})


@permission_required("customers.change_company", raise_exception=True)
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(selectors.companies_visible(user=request.user), pk=pk)
    form = CompanyForm(request.POST or None, instance=Company.objects.get(pk=company.pk))
    if request.method == "POST" and form.is_valid():
        services.company_update(
            company=company, values=form.values(), tax_ids=form.tax_ids(), actor=_actor(request)
        )
        messages.success(request, _("Saved."))
        return redirect("customers:company_detail", pk=company.pk)
    return render(request, "customers/form.html", {"form": form, "title": str(company)})


@permission_required("customers.change_company", raise_exception=True)
@require_POST
def company_contact(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(selectors.companies_visible(user=request.user), pk=pk)
    form = ContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("customers:company_detail", pk=company.pk)
    customer = _customers(request).filter(pk=form.cleaned_data["customer"], merged_into__isnull=True).first()
    if customer is None:
        messages.error(request, _("No such customer."))
    else:
        services.company_contact_link(
            company=company,
            customer=customer,
            role=form.cleaned_data["role"],
            position=form.cleaned_data["position"],
            actor=_actor(request),
        )
        messages.success(request, _("%(name)s is a contact person now.") % {"name": customer})
    return redirect("customers:company_detail", pk=company.pk)


@permission_required("customers.change_company", raise_exception=True)
def company_contact_candidates(request: HttpRequest, pk: int) -> HttpResponse:
    """The customers a company's contact picker offers for what the manager typed (those the user may
    see and who are not its contacts yet)."""
    company = get_object_or_404(selectors.companies_visible(user=request.user), pk=pk)
    candidates = _customers(request).exclude(company_links__company=company)
    return _picker(
        request, candidates, request.GET.get("q") or "", field="customer", testid="contact-candidates"
    )


@permission_required("customers.change_company", raise_exception=True)
@require_POST
def company_note(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(selectors.companies_visible(user=request.user), pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.note_add(company=company, text=form.cleaned_data["text"], actor=_actor(request))
    return redirect("customers:company_detail", pk=company.pk)


# Segments ------------------------------------------------------------------------------------------


@permission_required("customers.view_segment", raise_exception=True)
def segment_list(request: HttpRequest) -> HttpResponse:
    segments = list(Segment.objects.all())
    for segment in segments:
        try:
            segment.size = selectors.segment_members(segment).count()
        except ValidationError:
            segment.size = None
    return render(request, "customers/segments.html", {"segments": segments})


@permission_required("customers.change_segment", raise_exception=True)
def segment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=pk) if pk else None
    form = SegmentForm(request.POST or None, instance=segment)
    if request.method == "POST" and form.is_valid():
        segment_save(
            segment=segment,
            name=form.cleaned_data["name"],
            rules=form.cleaned_data["rules_json"],
            actor=_actor(request),
        )
        messages.success(request, _("Saved."))
        return redirect("customers:segments")
    return render(
        request, "customers/form.html", {"form": form, "title": segment.name if segment else _("New segment")}
    )


# Settings ------------------------------------------------------------------------------------------

SETTINGS_PERMISSION = "customers.change_rfmsettings"


def _settings_context(request: HttpRequest, **forms_) -> dict:
    from shopkeeper.stores.models import Store

    from .forms import CustomFieldForm, DedupePolicyForm, RfmSettingsForm
    from .metrics import rfm_thresholds
    from .models import CustomFieldDefinition, DedupePolicy

    policies = {p.store_id: p for p in DedupePolicy.objects.all()}
    stores = []
    for store in Store.objects.order_by("code"):
        policy = policies.get(store.pk) or DedupePolicy(store=store)
        form = forms_.get(f"policy_{store.pk}") or DedupePolicyForm(
            initial={"reuse_on_phone": policy.reuse_on_phone, "reuse_on_email": policy.reuse_on_email},
            prefix=f"policy-{store.pk}",
        )
        stores.append((store, form))
    return {
        "rfm_form": forms_.get("rfm") or RfmSettingsForm.from_thresholds(rfm_thresholds()),
        "field_form": forms_.get("field") or CustomFieldForm(prefix="field"),
        "fields": CustomFieldDefinition.objects.all(),
        "stores": stores,
    }


@permission_required(SETTINGS_PERMISSION, raise_exception=True)
def customer_settings(request: HttpRequest) -> HttpResponse:
    from shopkeeper.stores.models import Store

    from . import settings_services
    from .forms import CustomFieldForm, DedupePolicyForm, RfmSettingsForm

    bound: dict = {}
    if request.method == "POST":
        section = request.POST.get("section", "")
        actor = _actor(request)
        if section == "rfm":
            form = bound["rfm"] = RfmSettingsForm(request.POST, prefix="rfm")
            if form.is_valid():
                d = form.cleaned_data
                try:
                    settings_services.rfm_settings_save(
                        recency_days=[d["recent_days"], d["fair_days"]],
                        frequency=[d["frequency_fair"], d["frequency_good"]],
                        monetary=[d["monetary_fair"], d["monetary_good"]],
                        actor=actor,
                    )
                except ValidationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("RFM thresholds saved. Run the metrics recompute to apply."))
                    return redirect("customers:settings")
        elif section == "field":
            form = bound["field"] = CustomFieldForm(request.POST, prefix="field")
            if form.is_valid():
                d = form.cleaned_data
                try:
                    settings_services.custom_field_save(
                        definition=None,
                        entity=d["entity"],
                        code=d["code"],
                        label=d["label"],
                        type=d["type"],
                        choices=d["choices"].splitlines(),
                        required=d["required"],
                        position=d["position"],
                        actor=actor,
                    )
                except ValidationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("Field added."))
                    return redirect("customers:settings")
        elif section == "policy":
            store = get_object_or_404(Store, pk=request.POST.get("store") or 0)
            form = bound[f"policy_{store.pk}"] = DedupePolicyForm(request.POST, prefix=f"policy-{store.pk}")
            if form.is_valid():
                settings_services.dedupe_policy_save(store=store, actor=actor, **form.cleaned_data)
                messages.success(request, _("Duplicate policy of %(store)s saved.") % {"store": store.name})
                return redirect("customers:settings")
    return render(request, "customers/settings.html", _settings_context(request, **bound))


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@permission_required(SETTINGS_PERMISSION, raise_exception=True)
def custom_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from . import settings_services
    from .forms import CustomFieldForm
    from .models import CustomFieldDefinition

    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    form = CustomFieldForm(request.POST or None, definition=definition)
    if request.method == "POST" and request.POST.get("delete"):
        settings_services.custom_field_delete(definition=definition, actor=_actor(request))
        messages.success(request, _("Field deleted; stored values are kept."))
        return redirect("customers:settings")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            settings_services.custom_field_save(
                definition=definition,
                entity=definition.entity,
                code=definition.code,
                label=d["label"],
                type=d["type"],
                choices=d["choices"].splitlines(),
                required=d["required"],
                position=d["position"],
                actor=_actor(request),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:settings")
    return render(request, "customers/custom_field.html", {"form": form, "definition": definition})
