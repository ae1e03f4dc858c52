"""Who a batch's buyers are, read once: a store's live customers by phone and by email, with their
contacts, for the phones and emails a unit of work names.

`customer_match_or_create` asks the database up to five times per buyer (match by phone, by email,
the match's phones, emails and addresses). A batch of orders warms this index for all its buyers in
six queries; matching, enriching and creating customers then keep it current, so a buyer who
appears twice in one batch is found the second time. Outside a warmed unit of work nothing here is
used.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from shopkeeper.core.scope import memoized, peek

from . import dedupe
from .models import Address, Customer, CustomerEmail, CustomerPhone
from .normalize import default_region, normalize_email, normalize_phone

ADDRESS_KEYS = ("country", "region", "city", "street", "building", "flat", "postcode", "text")


@dataclass
class Known:
    store: Any
    by_phone: dict[str, int | None] = field(default_factory=dict)  # E.164 -> lowest live customer id
    by_email: dict[str, int | None] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    phones: dict[int, list[CustomerPhone]] = field(default_factory=lambda: defaultdict(list))
    emails: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    addresses: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))

    def match_phone(self, e164s: list[str]) -> Customer | None:
        """The live customer with the lowest id owning one of the phones; None if nobody does.
        Phones the index has not read are looked up (and kept)."""
        self._load(phones=[v for v in e164s if v not in self.by_phone])
        ids = [self.by_phone[v] for v in e164s if self.by_phone.get(v) is not None]
        return self.customers.get(min(ids)) if ids else None

    def match_email(self, emails: list[str]) -> Customer | None:
        self._load(emails=[v for v in emails if v not in self.by_email])
        ids = [self.by_email[v] for v in emails if self.by_email.get(v) is not None]
        return self.customers.get(min(ids)) if ids else None

    def has_address(self, customer: Customer, address: dict[str, str]) -> bool:
        return tuple(address.get(k, "") for k in ADDRESS_KEYS) in self.addresses[customer.pk]

    def _load(self, *, phones: list[str] = (), emails: list[str] = ()) -> None:
        live = dedupe.active_customers(self.store)
        found: dict[str, int] = {}
        if phones:
            for e164, pk in live.filter(phones__e164__in=phones).values_list("phones__e164", "pk"):
                found[e164] = min(pk, found.get(e164, pk))
            for e164 in phones:
                self.by_phone[e164] = found.get(e164)
        found = {}
        if emails:
            for email, pk in live.filter(emails__email__in=emails).values_list("emails__email", "pk"):
                found[email] = min(pk, found.get(email, pk))
            for email in emails:
                self.by_email[email] = found.get(email)
        ids = {pk for pk in (*self.by_phone.values(), *self.by_email.values()) if pk} - self.customers.keys()
        if not ids:
            return
        for customer in Customer.objects.filter(pk__in=ids):
            customer.store = self.store
            self.customers[customer.pk] = customer
        for phone in CustomerPhone.objects.filter(customer_id__in=ids).order_by("position", "id"):
            self.phones[phone.customer_id].append(phone)
        for pk, email in (
            CustomerEmail.objects.filter(customer_id__in=ids)
            .order_by("position", "id")
            .values_list("customer_id", "email")
        ):
            self.emails[pk].append(email)
        for row in Address.objects.filter(customer_id__in=ids).values("customer_id", *ADDRESS_KEYS):
            self.addresses[row["customer_id"]].append(tuple(row[k] for k in ADDRESS_KEYS))

    def has_contacts(self, customer: Customer) -> bool:
        return customer.pk in self.customers

    def learn(
        self,
        customer: Customer,
        *,
        phones: list[CustomerPhone] = (),
        emails: list[str] = (),
        address: dict[str, str] | None = None,
    ) -> None:
        """Contacts just written for a customer (new, or matched and enriched)."""
        self.customers[customer.pk] = customer
        self.phones[customer.pk] += list(phones)
        self.emails[customer.pk] += list(emails)
        if address:
            self.addresses[customer.pk].append(tuple(address.get(k, "") for k in ADDRESS_KEYS))
        for phone in phones:
            if phone.e164 and self.by_phone.get(phone.e164) is None:
                self.by_phone[phone.e164] = customer.pk
        for email in emails:
            if self.by_email.get(email) is None:
                self.by_email[email] = customer.pk


def warm(store, *, phones: list[str], emails: list[str]) -> Known:
    """Read, for this unit of work, who owns these phones and emails (as typed) in the store."""
    region = default_region(store)
    phones = [p.e164 for p in (normalize_phone(v, region) for v in phones) if p.is_valid]
    emails = [e.email for e in map(normalize_email, emails) if e.is_valid]
    known = memoized(("known_customers", store.pk), lambda: Known(store=store))
    known._load(
        phones=[p for p in set(phones) if p not in known.by_phone],
        emails=[e for e in set(emails) if e not in known.by_email],
    )
    return known


def current(store) -> Known | None:
    """The warmed index of this store in the current unit of work, if any."""
    return peek(("known_customers", store.pk))
