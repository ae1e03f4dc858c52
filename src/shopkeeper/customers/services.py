"""Writes of customers and companies. Every service records its change in the change log.

The contract the orders app relies on: `CustomerInput`, `customer_match_or_create`,
`customer_metrics_recompute` (re-exported from metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopkeeper.core.changes import Actor, apply_changes, record_change
from shopkeeper.core.scope import reference

from . import dedupe, known
from .customfields import validate_custom_fields
from .metrics import customer_metrics_recompute
from .models import (
    Address,
    Company,
    CompanyContact,
    CompanyTaxId,
    Customer,
    CustomerEmail,
    CustomerPhone,
    DedupePolicy,
    Entity,
    Note,
    SavedView,
    Tag,
)
from .normalize import default_region, normalize_email, normalize_phone

__all__ = ["CustomerInput", "customer_match_or_create", "customer_metrics_recompute"]

ADDRESS_FIELDS = ("country", "region", "city", "street", "building", "flat", "postcode", "text")
CUSTOMER_FIELDS = (
    "first_name",
    "last_name",
    "patronymic",
    "birthday",
    "social_links",
    "language",
    "channel",
    "consent_email",
    "consent_email_how",
    "consent_sms",
    "consent_sms_how",
    "source",
    "utm",
    "discount_percent",
    "manager",
    "external_id",
    "custom_fields",
)
COMPANY_FIELDS = (
    "legal_name",
    "brand",
    "bank_details",
    "price_type",
    "manager",
    "external_id",
    "custom_fields",
)


@dataclass
class CustomerInput:
    """What intake, the order form or the API knows about a buyer."""

    first_name: str = ""
    last_name: str = ""
    patronymic: str = ""
    phone: str = ""
    email: str = ""
    external_id: str = ""
    address: dict | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # any other CUSTOMER_FIELDS

    def all_phones(self) -> list[str]:
        return [p for p in [self.phone, *self.phones] if p and p.strip()]

    def all_emails(self) -> list[str]:
        return [e for e in [self.email, *self.emails] if e and e.strip()]


def _search_name(*parts: str) -> str:
    return " ".join(p.strip().lower() for p in parts if p and p.strip())[:310]


def _customer_payload(customer: Customer) -> dict[str, Any]:
    return {"customer_id": customer.pk, "store": customer.store.code}


def _add_phones(
    customer: Customer, phones: list[str], problems: list[str], *, new: bool = False, index=None
) -> list[CustomerPhone]:
    region = default_region(customer.store)
    if new:
        existing = []
    elif index is not None:
        existing = list(index.phones[customer.pk])
    else:
        existing = list(customer.phones.order_by("position", "id"))
    have = {p.e164 or p.raw for p in existing}
    start = len(have)
    rows = []
    for i, value in enumerate(phones):
        phone = normalize_phone(value, region)
        if not phone.raw or (phone.e164 or phone.raw) in have:
            continue
        have.add(phone.e164 or phone.raw)
        if not phone.is_valid and "invalid_phone" not in problems:
            problems.append("invalid_phone")
        rows.append(
            CustomerPhone(
                customer=customer,
                raw=phone.raw,
                e164=phone.e164,
                digits=phone.digits,
                is_valid=phone.is_valid,
                position=start + i,
            )
        )
    added = CustomerPhone.objects.bulk_create(rows)
    first = (existing or added or [None])[0]
    customer._primary_phone = (first.e164 or first.raw) if first else ""
    return added


def _add_emails(
    customer: Customer, emails: list[str], problems: list[str], *, new: bool = False, index=None
) -> list[CustomerEmail]:
    if new:
        existing = []
    elif index is not None:
        existing = list(index.emails[customer.pk])
    else:
        existing = list(customer.emails.order_by("position", "id").values_list("email", flat=True))
    have = set(existing)
    start = len(have)
    rows = []
    for i, value in enumerate(emails):
        email = normalize_email(value)
        if not email.raw or email.email in have:
            continue
        have.add(email.email)
        if not email.is_valid and "invalid_email" not in problems:
            problems.append("invalid_email")
        rows.append(
            CustomerEmail(
                customer=customer,
                raw=email.raw,
                email=email.email,
                is_valid=email.is_valid,
                position=start + i,
            )
        )
    added = CustomerEmail.objects.bulk_create(rows)
    customer._primary_email = existing[0] if existing else (added[0].email if added else "")
    return added


def primary_contacts(customer: Customer) -> tuple[str, str]:
    """The customer's first phone (E.164, else as typed) and first email; known without a query right
    after the customer was matched or created."""
    phone = getattr(customer, "_primary_phone", None)
    if phone is None:
        first = customer.phones.order_by("position", "id").first()
        phone = (first.e164 or first.raw) if first else ""
    email = getattr(customer, "_primary_email", None)
    if email is None:
        email = customer.emails.order_by("position", "id").values_list("email", flat=True).first() or ""
    return phone, email


def _clean_address(address: dict | None) -> dict[str, str]:
    if not address:
        return {}
    cleaned = {k: str(address.get(k) or "").strip()[:500] for k in ADDRESS_FIELDS}
    cleaned["country"] = cleaned["country"][:2].upper()
    return cleaned if any(cleaned.values()) else {}


def _consent_stamps(values: dict[str, Any], customer: Customer | None) -> None:
    now = timezone.now()
    for channel in ("email", "sms"):
        key = f"consent_{channel}"
        if key in values and bool(values[key]) != bool(getattr(customer, key, False)):
            values[f"{key}_at"] = now if values[key] else None


@transaction.atomic
def customer_create(
    *,
    store,
    data: CustomerInput,
    actor: Actor,
    tags: list[Tag] | None = None,
    find_duplicates: bool = True,
    unshared: frozenset[str] = frozenset(),
) -> tuple[Customer, list[str]]:
    """Create a customer with contacts; queue possible duplicates. Returns (customer, problems).
    `unshared`: contact kinds ("phone", "email") the caller has just found no live customer for."""
    problems: list[str] = []
    values = {k: v for k, v in data.extra.items() if k in CUSTOMER_FIELDS}
    values["custom_fields"] = validate_custom_fields(Entity.CUSTOMER, values.get("custom_fields"))
    _consent_stamps(values, None)
    now = timezone.now()
    customer = Customer.objects.create(
        store=store,
        first_name=data.first_name.strip()[:100],
        last_name=data.last_name.strip()[:100],
        patronymic=data.patronymic.strip()[:100],
        external_id=data.external_id.strip()[:100],
        search_name=_search_name(data.first_name, data.last_name, data.patronymic),
        created_at=now,
        updated_at=now,
        **values,
    )
    phones = _add_phones(customer, data.all_phones(), problems, new=True)
    emails = _add_emails(customer, data.all_emails(), problems, new=True)
    address = _clean_address(data.address)
    if address:
        Address.objects.create(customer=customer, **address)
    if tags:
        customer.tags.add(*tags)
    record_change(
        entity="customer",
        entity_id=customer.pk,
        action="created",
        actor=actor,
        changes={
            "name": [None, customer.full_name],
            "phones": [None, [p.e164 or p.raw for p in phones]],
            "emails": [None, [e.email for e in emails]],
        },
        event="customer.created",
        payload=_customer_payload(customer),
    )
    index = known.current(store)
    if index is not None:
        index.learn(customer, phones=phones, emails=[e.email for e in emails], address=address)
    if find_duplicates:
        found = dedupe.find_candidates(
            customer,
            e164s=[p.e164 for p in phones if p.e164],
            emails=[e.email for e in emails if e.is_valid],
            addresses=[address] if address else [],
            unshared=unshared,
        )
        if found:
            dedupe.queue_candidates(customer, found)
            problems.append("possible_duplicate_customer")
    return customer, problems


@transaction.atomic
def customer_match_or_create(*, store, data: CustomerInput, actor: Actor) -> tuple[Customer, list[str]]:
    """Find the buyer by (store, external_id), then by exact phone / email per the store's policy;
    otherwise create them (queueing possible duplicates). Returns (customer, problems)."""
    external_id = data.external_id.strip()
    if external_id:
        found = Customer.objects.filter(store=store, external_id=external_id).select_related("store").first()
        if found is not None:
            return _follow_merge(found), []
    policy = reference(
        ("dedupe_policy", store.pk),
        lambda: DedupePolicy.objects.filter(store=store).first() or DedupePolicy(store=store),
    )
    region = default_region(store)
    problems: list[str] = []
    index = known.current(store)
    unshared: set[str] = set()  # nobody live has these phones / emails: no need to look again
    if policy.reuse_on_phone:
        e164s = [p.e164 for p in (normalize_phone(v, region) for v in data.all_phones()) if p.is_valid]
        if index is not None:
            match = index.match_phone(e164s)
        else:
            match = dedupe.active_customers(store).filter(phones__e164__in=e164s).order_by("id").first()
        if e164s and match is not None:
            match.store = store
            return _enrich(match, data, actor, problems), problems
        unshared.add("phone")
    if policy.reuse_on_email:
        emails = [e.email for e in map(normalize_email, data.all_emails()) if e.is_valid]
        if index is not None:
            match = index.match_email(emails)
        else:
            match = dedupe.active_customers(store).filter(emails__email__in=emails).order_by("id").first()
        if emails and match is not None:
            match.store = store
            return _enrich(match, data, actor, problems), problems
        unshared.add("email")
    return customer_create(store=store, data=data, actor=actor, unshared=frozenset(unshared))


def _follow_merge(customer: Customer) -> Customer:
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.select_related("store").get(pk=customer.merged_into_id)
    return customer


def _enrich(customer: Customer, data: CustomerInput, actor: Actor, problems: list[str]) -> Customer:
    """A reused customer learns the new phones / emails / address it was matched with."""
    index = known.current(customer.store)
    if index is not None and not index.has_contacts(customer):
        index = None
    phones = _add_phones(customer, data.all_phones(), problems, index=index)
    emails = _add_emails(customer, data.all_emails(), problems, index=index)
    address = _clean_address(data.address)
    added_address = False
    if address and not (
        index.has_address(customer, address) if index else customer.addresses.filter(**address).exists()
    ):
        Address.objects.create(customer=customer, **address)
        added_address = True
    if index is not None:
        index.learn(
            customer,
            phones=phones,
            emails=[e.email for e in emails],
            address=address if added_address else None,
        )
    if phones or emails or added_address:
        # What was added, and only that (the timeline read "Emails: —" under a new phone).
        added = {
            "phones": [p.e164 or p.raw for p in phones],
            "emails": [e.email for e in emails],
            "addresses": [str(Address(**address))] if added_address else [],
        }
        record_change(
            entity="customer",
            entity_id=customer.pk,
            action="contacts_added",
            actor=actor,
            changes={field: [None, values] for field, values in added.items() if values},
            event="customer.updated",
            payload=_customer_payload(customer),
        )
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, values: dict[str, Any], actor: Actor) -> dict[str, list[Any]]:
    """Change profile fields (not contacts); returns the changes."""
    values = {k: v for k, v in values.items() if k in CUSTOMER_FIELDS}
    if "custom_fields" in values:
        merged = {**customer.custom_fields, **(values["custom_fields"] or {})}
        values["custom_fields"] = validate_custom_fields(Entity.CUSTOMER, merged)
    for name in ("first_name", "last_name", "patronymic", "external_id"):
        if name in values:
            values[name] = (values[name] or "").strip()[:100]
    _consent_stamps(values, customer)
    changes = apply_changes(customer, values)
    if changes:
        customer.search_name = _search_name(customer.first_name, customer.last_name, customer.patronymic)
        customer.updated_at = timezone.now()
        customer.save(update_fields=[*values.keys(), "search_name", "updated_at"])
        record_change(
            entity="customer",
            entity_id=customer.pk,
            action="updated",
            actor=actor,
            changes=changes,
            event="customer.updated",
            payload=_customer_payload(customer),
        )
    return changes


@transaction.atomic
def customer_set_contacts(
    *,
    customer: Customer,
    phones: list[str] | None = None,
    emails: list[str] | None = None,
    addresses: list[dict] | None = None,
    actor: Actor,
) -> list[str]:
    """Replace the phones / emails / addresses given (None leaves that list alone). Returns problems."""
    problems: list[str] = []
    changes: dict[str, list[Any]] = {}
    if phones is not None:
        old = [p.e164 or p.raw for p in customer.phones.all()]
        customer.phones.all().delete()
        new = [p.e164 or p.raw for p in _add_phones(customer, phones, problems, new=True)]
        if old != new:
            changes["phones"] = [old, new]
    if emails is not None:
        old = list(customer.emails.values_list("email", flat=True))
        customer.emails.all().delete()
        new = [e.email for e in _add_emails(customer, emails, problems, new=True)]
        if old != new:
            changes["emails"] = [old, new]
    if addresses is not None:
        old = [str(a) for a in customer.addresses.all()]
        customer.addresses.all().delete()
        cleaned = [a for a in map(_clean_address, addresses) if a]
        Address.objects.bulk_create([Address(customer=customer, **a) for a in cleaned])
        new = [str(Address(**a)) for a in cleaned]
        if old != new:
            changes["addresses"] = [old, new]
    if changes:
        customer.updated_at = timezone.now()
        customer.save(update_fields=["updated_at"])
        record_change(
            entity="customer",
            entity_id=customer.pk,
            action="updated",
            actor=actor,
            changes=changes,
            event="customer.updated",
            payload=_customer_payload(customer),
        )
    return problems


@transaction.atomic
def note_add(
    *, text: str, actor: Actor, customer: Customer | None = None, company: Company | None = None
) -> Note:
    if (customer is None) == (company is None):
        raise ValueError("A note belongs to exactly one customer or company.")
    author_id = actor.id if actor.type == "user" else None
    note = Note.objects.create(
        customer=customer, company=company, text=text, author_id=author_id, created_at=timezone.now()
    )
    entity, owner = ("customer", customer) if customer is not None else ("company", company)
    record_change(
        entity="note",
        entity_id=note.pk,
        action="created",
        actor=actor,
        changes={"text": [None, text]},
        related={entity: owner.pk},
    )
    return note


@transaction.atomic
def tag_get_or_create(*, name: str, actor: Actor) -> Tag:
    tag, created = Tag.objects.get_or_create(name=name.strip()[:60])
    if created:
        record_change(
            entity="tag", entity_id=tag.pk, action="created", actor=actor, changes={"name": [None, tag.name]}
        )
    return tag


@transaction.atomic
def customers_tag(*, customers: list[Customer], tag: Tag, actor: Actor, remove: bool = False) -> int:
    """Add (or remove) a tag on many customers; each gets its change row."""
    through = Customer.tags.through
    ids = [c.pk for c in customers]
    have = set(through.objects.filter(customer_id__in=ids, tag=tag).values_list("customer_id", flat=True))
    target = [i for i in ids if (i in have) == remove]
    if remove:
        through.objects.filter(customer_id__in=target, tag=tag).delete()
    else:
        through.objects.bulk_create([through(customer_id=i, tag=tag) for i in target])
    for customer_id in target:
        old, new = ([tag.name], []) if remove else ([], [tag.name])
        record_change(
            entity="customer",
            entity_id=customer_id,
            action="tagged" if not remove else "untagged",
            actor=actor,
            changes={"tags": [old, new]},
            event="customer.updated",
            payload={"customer_id": customer_id},
        )
    return len(target)


@transaction.atomic
def take_manager(*, record: Customer | Company, manager, actor: Actor) -> bool:
    """Give a customer or a company that has no manager this one (their order's manager, in a store
    whose customers keep their first manager). One that got a manager meanwhile, or a merged customer,
    stays as it is; returns whether the record took the manager."""
    rows = type(record).objects.filter(pk=record.pk, manager__isnull=True)
    if isinstance(record, Customer):
        rows = rows.filter(merged_into__isnull=True)
    now = timezone.now()
    if not rows.update(manager=manager, updated_at=now):
        return False
    changes = apply_changes(record, {"manager": manager})
    record.updated_at = now
    entity = "customer" if isinstance(record, Customer) else "company"
    record_change(
        entity=entity,
        entity_id=record.pk,
        action="updated",
        actor=actor,
        changes=changes,
        event=f"{entity}.updated",
        payload=_customer_payload(record) if isinstance(record, Customer) else {"company_id": record.pk},
    )
    return True


@transaction.atomic
def customers_assign_manager(*, customers: list[Customer], manager, actor: Actor) -> int:
    count = 0
    for customer in customers:
        count += bool(customer_update(customer=customer, values={"manager": manager}, actor=actor))
    return count


@transaction.atomic
def customer_set_tags(*, customer: Customer, tags: list[Tag], actor: Actor) -> None:
    old = sorted(t.name for t in customer.tags.all())
    new = sorted(t.name for t in tags)
    if old != new:
        customer.tags.set(tags)
        record_change(
            entity="customer",
            entity_id=customer.pk,
            action="updated",
            actor=actor,
            changes={"tags": [old, new]},
            event="customer.updated",
            payload=_customer_payload(customer),
        )


@transaction.atomic
def customer_erase(*, customer: Customer, actor: Actor) -> None:
    """Anonymise personal data (GDPR erasure); the row, its metrics and its orders stay."""
    customer.phones.all().delete()
    customer.emails.all().delete()
    customer.addresses.all().delete()
    customer.notes.all().update(text="")
    values = {
        "first_name": "",
        "last_name": "",
        "patronymic": "",
        "birthday": None,
        "social_links": [],
        "utm": {},
        "custom_fields": {},
        "external_id": "",
    }
    apply_changes(customer, values)
    customer.search_name = ""
    customer.erased_at = timezone.now()
    customer.updated_at = customer.erased_at
    customer.save(update_fields=[*values, "search_name", "erased_at", "updated_at"])
    record_change(
        entity="customer",
        entity_id=customer.pk,
        action="erased",
        actor=actor,
        event="customer.erased",
        payload={"customer_id": customer.pk},
    )


# Companies -----------------------------------------------------------------------------------------


def _company_search_name(company: Company) -> str:
    return _search_name(company.legal_name, company.brand)[:510]


def _set_tax_ids(company: Company, tax_ids: dict[str, str]) -> dict[str, list[Any]]:
    old = {t.kind: t.value for t in company.tax_ids.all()}
    new = {k: str(v).strip()[:50] for k, v in tax_ids.items() if v and str(v).strip()}
    if old == new:
        return {}
    company.tax_ids.all().delete()
    CompanyTaxId.objects.bulk_create([CompanyTaxId(company=company, kind=k, value=v) for k, v in new.items()])
    return {"tax_ids": [old, new]}


@transaction.atomic
def company_create(
    *,
    store,
    legal_name: str,
    actor: Actor,
    tax_ids: dict[str, str] | None = None,
    addresses: list[dict] | None = None,
    **values: Any,
) -> Company:
    values = {k: v for k, v in values.items() if k in COMPANY_FIELDS}
    values["custom_fields"] = validate_custom_fields(Entity.COMPANY, values.get("custom_fields"))
    now = timezone.now()
    company = Company(
        store=store, legal_name=legal_name.strip()[:300], created_at=now, updated_at=now, **values
    )
    company.search_name = _company_search_name(company)
    company.save()
    changes = _set_tax_ids(company, tax_ids or {})
    for address in addresses or []:
        kind = address.get("kind") or Address.Kind.LEGAL
        cleaned = _clean_address(address)
        if cleaned:
            Address.objects.create(company=company, kind=kind, **cleaned)
    record_change(
        entity="company",
        entity_id=company.pk,
        action="created",
        actor=actor,
        changes={"legal_name": [None, company.legal_name], **changes},
        event="company.created",
        payload={"company_id": company.pk, "store": store.code},
    )
    return company


@transaction.atomic
def company_update(
    *, company: Company, values: dict[str, Any], actor: Actor, tax_ids: dict[str, str] | None = None
) -> dict[str, list[Any]]:
    values = {k: v for k, v in values.items() if k in COMPANY_FIELDS}
    if "custom_fields" in values:
        merged = {**company.custom_fields, **(values["custom_fields"] or {})}
        values["custom_fields"] = validate_custom_fields(Entity.COMPANY, merged)
    changes = apply_changes(company, values)
    if tax_ids is not None:
        changes.update(_set_tax_ids(company, tax_ids))
    if changes:
        company.search_name = _company_search_name(company)
        company.updated_at = timezone.now()
        company.save(update_fields=[*values.keys(), "search_name", "updated_at"])
        record_change(
            entity="company",
            entity_id=company.pk,
            action="updated",
            actor=actor,
            changes=changes,
            event="company.updated",
            payload={"company_id": company.pk},
        )
    return changes


@transaction.atomic
def company_contact_link(
    *, company: Company, customer: Customer, actor: Actor, role: str = "", position: str = ""
) -> CompanyContact:
    link, created = CompanyContact.objects.get_or_create(
        company=company, customer=customer, defaults={"role": role, "position": position}
    )
    changes = (
        {"contact": [None, customer.pk]}
        if created
        else apply_changes(link, {"role": role, "position": position})
    )
    if not created and changes:
        link.save(update_fields=["role", "position"])
    if changes:
        record_change(
            entity="company",
            entity_id=company.pk,
            action="contact_linked",
            actor=actor,
            changes=changes,
            event="company.updated",
            payload={"company_id": company.pk, "customer_id": customer.pk},
            related={"customer": customer.pk},
        )
    return link


@transaction.atomic
def company_contact_unlink(*, company: Company, customer: Customer, actor: Actor) -> None:
    deleted, _ = CompanyContact.objects.filter(company=company, customer=customer).delete()
    if deleted:
        record_change(
            entity="company",
            entity_id=company.pk,
            action="contact_unlinked",
            actor=actor,
            changes={"contact": [customer.pk, None]},
            event="company.updated",
            payload={"company_id": company.pk, "customer_id": customer.pk},
            related={"customer": customer.pk},
        )


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


# Saved views of the customer list -------------------------------------------------------------------


def saved_view_query(params) -> str:
    """The list filters of a query string (a QueryDict), without paging or unknown keys, non-empty only."""
    from django.http import QueryDict

    from .filters import CustomerFilterForm

    allowed = set(CustomerFilterForm.base_fields)
    clean = QueryDict(mutable=True)
    for key in sorted(allowed & set(params.keys())):
        for value in params.getlist(key):
            if str(value).strip():
                clean.appendlist(key, str(value)[:200])
    return clean.urlencode()[:2000]


@transaction.atomic
def saved_view_save(*, owner, name: str, query: str, is_shared: bool, actor: Actor) -> SavedView:
    """Create the owner's view of that name, or replace its filters (same name = same view)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    now = timezone.now()
    view = SavedView.objects.select_for_update().filter(owner=owner, name=name).first()
    if view is None:
        view = SavedView.objects.create(
            owner=owner, name=name, query=query, is_shared=is_shared, created_at=now, updated_at=now
        )
        changes = {"name": [None, name], "query": [None, query], "is_shared": [None, is_shared]}
        action = "created"
    else:
        changes = apply_changes(view, {"query": query, "is_shared": is_shared})
        view.updated_at = now
        view.save(update_fields=["query", "is_shared", "updated_at"])
        action = "updated"
    record_change(entity="customer_view", entity_id=view.pk, action=action, actor=actor, changes=changes)
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: Actor) -> None:
    record_change(
        entity="customer_view",
        entity_id=view.pk,
        action="deleted",
        actor=actor,
        changes={"name": [view.name, None], "query": [view.query, None]},
    )
    view.delete()
