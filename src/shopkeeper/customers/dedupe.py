"""Duplicates: finding candidates on create, the queue, and merging two customers without loss."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shopkeeper.core.changes import Actor, record_change

from .models import (
    Address,
    CompanyContact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    DuplicateCandidate,
    DuplicateStatus,
    Note,
)

PROFILE_FIELDS_TO_FILL = (
    "first_name",
    "last_name",
    "patronymic",
    "birthday",
    "language",
    "channel",
    "source",
    "external_id",
)


def active_customers(store) -> QuerySet[Customer]:
    return Customer.objects.filter(store=store, merged_into__isnull=True, erased_at__isnull=True)


def find_candidates(
    customer: Customer,
    *,
    e164s: list[str] | None = None,
    emails: list[str] | None = None,
    addresses: list[dict[str, str]] | None = None,
    unshared: frozenset[str] = frozenset(),
) -> dict[int, list[str]]:
    """Other live customers of the store sharing a phone, an email, or the name and address. A caller
    that has just written the customer's contacts passes them (E.164 phones, valid emails, addresses),
    and in `unshared` the kinds it has just looked up and found nobody else for."""
    others = active_customers(customer.store).exclude(pk=customer.pk)
    found: dict[int, list[str]] = {}
    if e164s is None:
        e164s = [p for p in customer.phones.values_list("e164", flat=True) if p]
    if e164s and "phone" not in unshared:
        for pk in others.filter(phones__e164__in=e164s).values_list("pk", flat=True).distinct()[:20]:
            found.setdefault(pk, []).append("phone")
    if emails is None:
        emails = list(customer.emails.filter(is_valid=True).values_list("email", flat=True))
    if emails and "email" not in unshared:
        for pk in others.filter(emails__email__in=emails).values_list("pk", flat=True).distinct()[:20]:
            found.setdefault(pk, []).append("email")
    if customer.first_name and customer.last_name:
        if addresses is None:
            addresses = list(customer.addresses.values("city", "street", "postcode"))
        places = [
            (a["city"].lower(), a["street"].lower(), a["postcode"])
            for a in addresses
            if a["city"] or a["postcode"]
        ]
        if places:
            same_name = others.filter(search_name=customer.search_name)
            for address in Address.objects.filter(customer__in=same_name).only(
                "customer_id", "city", "street", "postcode"
            )[:50]:
                for city, street, postcode in places:
                    if (postcode and address.postcode == postcode) or (
                        city and address.city.lower() == city and address.street.lower() == street
                    ):
                        reasons = found.setdefault(address.customer_id, [])
                        if "name_address" not in reasons:
                            reasons.append("name_address")
    return found


def queue_candidates(customer: Customer, found: dict[int, list[str]]) -> list[DuplicateCandidate]:
    now = timezone.now()
    rows = [
        DuplicateCandidate(store=customer.store, customer=customer, other_id=pk, reasons=r, created_at=now)
        for pk, r in found.items()
    ]
    return DuplicateCandidate.objects.bulk_create(rows, ignore_conflicts=True)


def _survivor_fill(survivor: Customer, merged: Customer) -> dict[str, list]:
    changes = {}
    for name in PROFILE_FIELDS_TO_FILL:
        if not getattr(survivor, name) and getattr(merged, name):
            changes[name] = [getattr(survivor, name), getattr(merged, name)]
            setattr(survivor, name, getattr(merged, name))
    if merged.consent_email and not survivor.consent_email:
        survivor.consent_email, survivor.consent_email_at = True, merged.consent_email_at
        survivor.consent_email_how = merged.consent_email_how
        changes["consent_email"] = [False, True]
    if merged.consent_sms and not survivor.consent_sms:
        survivor.consent_sms, survivor.consent_sms_at = True, merged.consent_sms_at
        survivor.consent_sms_how = merged.consent_sms_how
        changes["consent_sms"] = [False, True]
    extra = {k: v for k, v in merged.custom_fields.items() if k not in survivor.custom_fields}
    if extra:
        survivor.custom_fields = {**survivor.custom_fields, **extra}
        changes["custom_fields"] = [None, extra]
    return changes


def _candidates_follow(survivor: Customer, merged: Customer) -> None:
    """The merged customer's other open candidates now concern the survivor: "C looks like B" becomes
    "C looks like A" when B is merged into A (the newer record first, as the queue has them), so the
    queue never offers a merge into a merged customer. A pair the queue already holds, open or decided,
    is not asked again."""
    now = timezone.now()
    rows = DuplicateCandidate.objects.filter(
        Q(customer=merged) | Q(other=merged), status=DuplicateStatus.OPEN
    )
    for row in rows.select_related("customer", "other"):
        third = row.other if row.customer_id == merged.pk else row.customer
        newer, older = sorted((third, survivor), key=lambda c: c.pk, reverse=True)
        known = DuplicateCandidate.objects.filter(customer=newer, other=older).exists()
        if third.merged_into_id or known:
            row.status, row.resolved_at = DuplicateStatus.MERGED, now
            row.save(update_fields=["status", "resolved_at"])
        else:
            row.customer, row.other = newer, older
            row.save(update_fields=["customer", "other"])


@transaction.atomic
def customer_merge(*, survivor: Customer, merged: Customer, actor: Actor) -> Customer:
    """Move everything of `merged` to `survivor` and mark `merged` as merged into it.

    Nothing is deleted: contacts, addresses, notes, company links, tags and orders move; the merged row
    stays with `merged_into` set, and its timeline stays reachable from the survivor's.
    """
    from .metrics import customer_metrics_recompute
    from .services import _search_name

    if survivor.pk == merged.pk:
        raise ValueError(_("A customer cannot be merged into itself."))
    # Lock both rows in pk order so two merges of the same pair serialise.
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk]).order_by("pk")
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if merged.merged_into_id or survivor.merged_into_id:
        raise ValueError(_("One of these customers is already merged."))
    if survivor.store_id != merged.store_id:
        raise ValueError(_("Customers of different stores cannot be merged."))
    moved = {
        "phones": CustomerPhone.objects.filter(customer=merged).update(customer=survivor),
        "emails": CustomerEmail.objects.filter(customer=merged).update(customer=survivor),
        "addresses": Address.objects.filter(customer=merged).update(customer=survivor),
        "notes": Note.objects.filter(customer=merged).update(customer=survivor),
    }
    have_companies = set(
        CompanyContact.objects.filter(customer=survivor).values_list("company_id", flat=True)
    )
    moved["companies"] = (
        CompanyContact.objects.filter(customer=merged)
        .exclude(company_id__in=have_companies)
        .update(customer=survivor)
    )
    merged_tags = list(merged.tags.all())
    survivor.tags.add(*merged_tags)
    moved["tags"] = len(merged_tags)
    if apps.is_installed("shopkeeper.orders"):
        order_model = apps.get_model("orders", "Order")
        moved["orders"] = order_model.objects.filter(customer=merged).update(customer=survivor)
    DuplicateCandidate.objects.filter(
        customer__in=[survivor, merged], other__in=[survivor, merged], status=DuplicateStatus.OPEN
    ).update(status=DuplicateStatus.MERGED, resolved_at=timezone.now())
    _candidates_follow(survivor, merged)
    filled = _survivor_fill(survivor, merged)
    now = timezone.now()
    merged.merged_into = survivor
    merged.merged_at = now
    merged.external_id = ""  # frees (store, external_id) for the survivor; the old value is in the log
    merged.updated_at = now
    merged.save(update_fields=["merged_into", "merged_at", "external_id", "updated_at"])
    survivor.search_name = _search_name(survivor.first_name, survivor.last_name, survivor.patronymic)
    survivor.updated_at = now
    survivor.save(
        update_fields=[
            *PROFILE_FIELDS_TO_FILL,
            "consent_email",
            "consent_email_at",
            "consent_email_how",
            "consent_sms",
            "consent_sms_at",
            "consent_sms_how",
            "custom_fields",
            "search_name",
            "updated_at",
        ]
    )
    record_change(
        entity="customer",
        entity_id=merged.pk,
        action="merged",
        actor=actor,
        changes={"merged_into": [None, survivor.pk], "moved": moved},
        event="customer.merged",
        payload={"customer_id": merged.pk, "merged_into": survivor.pk, "moved": moved},
        related={"customer": survivor.pk},
    )
    if filled:
        record_change(
            entity="customer",
            entity_id=survivor.pk,
            action="updated",
            actor=actor,
            changes=filled,
            event="customer.updated",
            payload={"customer_id": survivor.pk},
        )
    customer_metrics_recompute(customer_ids=[survivor.pk, merged.pk])
    survivor.refresh_from_db()
    return survivor


@transaction.atomic
def duplicate_dismiss(*, candidate: DuplicateCandidate, actor: Actor) -> None:
    if candidate.status != DuplicateStatus.OPEN:
        return
    candidate.status = DuplicateStatus.DISMISSED
    candidate.resolved_at = timezone.now()
    candidate.save(update_fields=["status", "resolved_at"])
    record_change(
        entity="customer",
        entity_id=candidate.customer_id,
        action="duplicate_dismissed",
        actor=actor,
        changes={"not_duplicate_of": [None, candidate.other_id]},
        related={"customer": candidate.other_id},
    )
