"""Customers and companies API (thin: parse, call a service or selector, answer)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from shopkeeper.core.auth import ApiKeyAuth, allowed_store_ids
from shopkeeper.core.changes import Actor
from shopkeeper.core.idempotency import idempotent
from shopkeeper.core.pagination import Page, paginate
from shopkeeper.core.problems import problem
from shopkeeper.stores.models import Store
from shopkeeper.stores.selectors import attach_store_and_manager

from . import dedupe, selectors, services
from .models import CompanyContact, Customer, Segment, TaxIdKind
from .schemas import (
    CompanyDetailOut,
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    ContactIn,
    CustomerDetailOut,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    MergeIn,
    SegmentOut,
    customer_detail_out,
    customer_out,
)

router = Router(tags=["customers"])
READ = ApiKeyAuth("customers:read")
WRITE = ApiKeyAuth("customers:write")


class PageParams(Schema):
    limit: int | None = None
    cursor: str | None = None
    count: bool = False


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_api_key(request.api_key)


def _store(request: HttpRequest, code: str) -> Store:
    store = Store.objects.filter(code=code).first()
    if store is None:
        raise HttpError(422, f"Unknown store {code!r}.")
    ids = allowed_store_ids(request)
    if ids is not None and store.pk not in ids:
        raise HttpError(403, "This API key may not write to that store.")
    return store


def _invalid(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        errors = [
            {"loc": [field], "msg": " ".join(messages), "type": "invalid"}
            for field, messages in exc.message_dict.items()
        ]
    else:
        errors = [{"loc": [], "msg": m, "type": "invalid"} for m in exc.messages]
    return problem(422, slug="validation-error", detail="The request has invalid fields.", errors=errors)


def _manager(manager_id: int | None):
    if manager_id is None:
        return None
    manager = get_user_model().objects.filter(pk=manager_id, is_active=True).first()
    if manager is None:
        raise DjangoValidationError({"manager_id": ["No such active user."]})
    return manager


def _profile_values(body: Schema) -> dict[str, Any]:
    data = body.dict(exclude_unset=True)
    values = {
        k: data[k]
        for k in (
            "first_name",
            "last_name",
            "patronymic",
            "external_id",
            "birthday",
            "social_links",
            "language",
            "channel",
            "source",
            "utm",
            "discount_percent",
            "custom_fields",
        )
        if k in data and data[k] is not None
    }
    if "manager_id" in data:
        values["manager"] = _manager(data["manager_id"])
    consents = data.get("consents") or {}
    for key in ("email", "email_how", "sms", "sms_how"):
        if consents.get(key) is not None:
            values[f"consent_{key}"] = consents[key]
    return values


def _customer_qs(request: HttpRequest):
    return selectors.customers_visible(store_ids=allowed_store_ids(request)).prefetch_related(
        "addresses", Prefetch("company_links", queryset=CompanyContact.objects.select_related("company"))
    )


def _detail(customer: Customer) -> dict[str, Any]:
    attach_store_and_manager([customer])
    return customer_detail_out(customer, selectors.contact_rows([customer.pk])[customer.pk])


def _page(qs, page: PageParams) -> dict[str, Any]:
    found = paginate(qs, cursor=page.cursor, limit=page.limit, count=page.count)
    attach_store_and_manager(found["items"])
    contacts = selectors.contact_rows([c.pk for c in found["items"]])
    return {**found, "items": [customer_out(c, contacts[c.pk]) for c in found["items"]]}


def _tags(names: list[str] | None, actor: Actor):
    return [services.tag_get_or_create(name=n, actor=actor) for n in (names or []) if n.strip()]


@router.get("/customers", response=Page[CustomerOut], auth=READ)
def customers_list(request: HttpRequest, page: Query[PageParams]):
    """Filters: q (phone / email / name / company / tax id), store, segment, tag, manager, rfm,
    spent_min/max, orders_min/max, created_after/before, last_order_after/before, consent_email/sms."""
    try:
        qs = selectors.customer_list(params=request.GET, store_ids=allowed_store_ids(request))
    except DjangoValidationError as exc:
        return _invalid(exc)
    return _page(qs, page)


@router.post("/customers", response={200: CustomerDetailOut, 201: CustomerDetailOut}, auth=WRITE)
def customers_create(request: HttpRequest, body: CustomerIn):
    """Creates a customer, or answers 200 with the existing one matched by external id, phone or email
    (per the store's duplicate policy). `problems` lists `invalid_phone`, `possible_duplicate_customer`."""
    store = _store(request, body.store)
    actor = _actor(request)

    def create():
        values = _profile_values(body)
        # Ids only grow: a customer with an id above the newest before the call was created by it
        # (one index lookup; counting the store's customers read all of them twice).
        newest = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        data = services.CustomerInput(
            first_name=values.pop("first_name", ""),
            last_name=values.pop("last_name", ""),
            patronymic=values.pop("patronymic", ""),
            external_id=values.pop("external_id", ""),
            phone=body.phone,
            email=body.email,
            phones=body.phones,
            emails=body.emails,
            address=body.address.dict() if body.address else None,
            extra=values,
        )
        customer, problems = services.customer_match_or_create(store=store, data=data, actor=actor)
        created = customer.pk > newest
        if created and body.tags:
            services.customer_set_tags(customer=customer, tags=_tags(body.tags, actor), actor=actor)
        customer = _customer_qs(request).get(pk=customer.pk)
        customer.problems = problems
        return (201 if created else 200), _detail(customer)

    try:
        return idempotent(request, create, schema=CustomerDetailOut)
    except DjangoValidationError as exc:
        return _invalid(exc)


@router.get("/customers/{customer_id}", response=CustomerDetailOut, auth=READ)
def customers_get(request: HttpRequest, customer_id: int):
    """A merged customer answers with `merged_into`: the survivor's id to follow."""
    return _detail(get_object_or_404(_customer_qs(request), pk=customer_id))


@router.patch("/customers/{customer_id}", response=CustomerDetailOut, auth=WRITE)
def customers_update(request: HttpRequest, customer_id: int, body: CustomerPatch):
    customer = get_object_or_404(
        selectors.customers_visible(store_ids=allowed_store_ids(request)), pk=customer_id
    )
    if customer.merged_into_id:
        raise HttpError(409, f"This customer was merged into {customer.merged_into_id}; change that one.")
    actor = _actor(request)
    problems: list[str] = []
    try:
        with transaction.atomic():
            services.customer_update(customer=customer, values=_profile_values(body), actor=actor)
            if body.tags is not None:
                services.customer_set_tags(customer=customer, tags=_tags(body.tags, actor), actor=actor)
            problems = services.customer_set_contacts(
                customer=customer,
                phones=body.phones,
                emails=body.emails,
                addresses=[a.dict() for a in body.addresses] if body.addresses is not None else None,
                actor=actor,
            )
    except DjangoValidationError as exc:
        return _invalid(exc)
    customer = _customer_qs(request).get(pk=customer.pk)
    customer.problems = problems
    return _detail(customer)


@router.post("/customers/{customer_id}/merge", response=CustomerDetailOut, auth=WRITE)
def customers_merge(request: HttpRequest, customer_id: int, body: MergeIn):
    """Merges customer `merged_id` into this one (the survivor)."""
    visible = selectors.customers_visible(store_ids=allowed_store_ids(request))
    survivor = get_object_or_404(visible, pk=customer_id)
    merged = get_object_or_404(visible, pk=body.merged_id)
    try:
        dedupe.customer_merge(survivor=survivor, merged=merged, actor=_actor(request))
    except ValueError as exc:
        raise HttpError(409, str(exc)) from exc
    return _detail(_customer_qs(request).get(pk=survivor.pk))


# Companies -----------------------------------------------------------------------------------------


class CompanyFilters(Schema):
    q: str = ""
    store: str = ""


def _company_values(body: Schema) -> tuple[dict[str, Any], dict[str, str] | None]:
    data = body.dict(exclude_unset=True)
    values = {
        k: data[k]
        for k in ("legal_name", "brand", "external_id", "bank_details", "price_type", "custom_fields")
        if k in data and data[k] is not None
    }
    if "manager_id" in data:
        values["manager"] = _manager(data["manager_id"])
    tax_ids = data.get("tax_ids")
    if tax_ids is not None:
        unknown = [k for k in tax_ids if k not in TaxIdKind.values]
        if unknown:
            raise DjangoValidationError({"tax_ids": [f"Unknown tax id kind: {', '.join(unknown)}."]})
    return values, tax_ids


def _company_qs(request: HttpRequest):
    return selectors.with_company_card_relations(
        selectors.companies_visible(store_ids=allowed_store_ids(request))
    )


@router.get("/companies", response=Page[CompanyOut], auth=READ)
def companies_list(request: HttpRequest, filters: Query[CompanyFilters], page: Query[PageParams]):
    qs = selectors.company_list(q=filters.q, store=filters.store, store_ids=allowed_store_ids(request))
    return paginate(qs, cursor=page.cursor, limit=page.limit, count=page.count)


@router.post("/companies", response={201: CompanyDetailOut}, auth=WRITE)
def companies_create(request: HttpRequest, body: CompanyIn):
    store = _store(request, body.store)

    def create():
        values, tax_ids = _company_values(body)
        values.pop("legal_name", None)
        company = services.company_create(
            store=store,
            legal_name=body.legal_name,
            tax_ids=tax_ids,
            addresses=[a.dict() for a in body.addresses],
            actor=_actor(request),
            **values,
        )
        return 201, _company_qs(request).get(pk=company.pk)

    try:
        return idempotent(request, create, schema=CompanyDetailOut)
    except DjangoValidationError as exc:
        return _invalid(exc)


@router.get("/companies/{company_id}", response=CompanyDetailOut, auth=READ)
def companies_get(request: HttpRequest, company_id: int):
    return get_object_or_404(_company_qs(request), pk=company_id)


@router.patch("/companies/{company_id}", response=CompanyDetailOut, auth=WRITE)
def companies_update(request: HttpRequest, company_id: int, body: CompanyPatch):
    company = get_object_or_404(
        selectors.companies_visible(store_ids=allowed_store_ids(request)), pk=company_id
    )
    try:
        values, tax_ids = _company_values(body)
        services.company_update(company=company, values=values, tax_ids=tax_ids, actor=_actor(request))
    except DjangoValidationError as exc:
        return _invalid(exc)
    return _company_qs(request).get(pk=company.pk)


@router.post("/companies/{company_id}/contacts", response=CompanyDetailOut, auth=WRITE)
def companies_contact_add(request: HttpRequest, company_id: int, body: ContactIn):
    store_ids = allowed_store_ids(request)
    company = get_object_or_404(selectors.companies_visible(store_ids=store_ids), pk=company_id)
    customer = get_object_or_404(
        selectors.customers_visible(store_ids=store_ids).filter(merged_into__isnull=True), pk=body.customer_id
    )
    services.company_contact_link(
        company=company, customer=customer, role=body.role, position=body.position, actor=_actor(request)
    )
    return _company_qs(request).get(pk=company.pk)


# Segments (read) -----------------------------------------------------------------------------------


@router.get("/segments", response=Page[SegmentOut], auth=READ)
def segments_list(request: HttpRequest, page: Query[PageParams]):
    return paginate(Segment.objects.all(), cursor=page.cursor, limit=page.limit, count=page.count)


@router.get("/segments/{segment_id}/customers", response=Page[CustomerOut], auth=READ)
def segments_members(request: HttpRequest, segment_id: int, page: Query[PageParams]):
    segment = get_object_or_404(Segment, pk=segment_id)
    qs = selectors.segment_members(segment)
    store_ids = allowed_store_ids(request)
    if store_ids is not None:
        qs = qs.filter(store_id__in=store_ids)
    return _page(qs, page)
