"""Reads: visibility, the customer list (search + filters), cards, timelines, companies, duplicates.

Search (one box): phone fragments match `CustomerPhone.digits` (E.164 digits, so "915 123",
"+7(915)123-45" and "89151234567" all hit "+79151234567"), email fragments match the normalised email,
words match the lowercased full name, and company names / tax ids match the customer's companies.
Each part is a lookup on one narrow indexed column. On PostgreSQL: `LIKE '%...%'` served by trigram
GIN indexes (migration 0002); names also by trigram word similarity (typo-tolerant) unless the names
holding the words already fill a page; a name word under three letters by word start (migration 0007).
On SQLite: names by word start and phone digits by fragment through FTS5 indexes (migrations 0004,
0006).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, F, Prefetch, Q, QuerySet
from django.db.models.lookups import PostgresOperatorLookup

from shopkeeper.core.db import EqualsAny
from shopkeeper.core.models import Change
from shopkeeper.core.scope import attach_reference
from shopkeeper.core.selectors import timeline
from shopkeeper.stores.selectors import active_stores

from .filters import SORTS, CustomerFilterForm
from .models import (
    Company,
    CompanyContact,
    CompanyTaxId,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerVisibility,
    DuplicateCandidate,
    DuplicateStatus,
    SavedView,
    Segment,
    Tag,
)
from .normalize import digits_of, format_phone, normalize_email, phone_search_fragments
from .segments import compile_rules


class WordSimilar(PostgresOperatorLookup):
    """`column %> 'query'`: some word of the column is similar to the query (pg_trgm)."""

    lookup_name = "sk_word_similar"
    postgres_operator = "%%>"


Customer._meta.get_field("search_name").register_lookup(WordSimilar)
Company._meta.get_field("search_name").register_lookup(WordSimilar)

_trigram: dict[str, bool] = {}


def trigram_available() -> bool:
    if connection.vendor != "postgresql":
        return False
    key = connection.settings_dict["NAME"]
    if key not in _trigram:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            _trigram[key] = cursor.fetchone() is not None
    return _trigram[key]


# Visibility ----------------------------------------------------------------------------------------


def own_only(user) -> bool:
    if user is None or user.is_superuser:
        return False
    cached = getattr(user, "_customers_own_only", None)
    if cached is None:
        cached = CustomerVisibility.objects.filter(user=user, own_only=True).exists()
        user._customers_own_only = cached
    return cached


def user_store_ids(user) -> list[int] | None:
    """The stores a user is limited to (Team settings), or None for all stores."""
    if user is None or user.is_superuser:
        return None
    cached = getattr(user, "_store_ids", False)
    if cached is False:
        cached = list(user.stores.values_list("pk", flat=True)) or None
        user._store_ids = cached
    return cached


def _limit_stores(qs: QuerySet, user, store_ids: list[int] | None) -> QuerySet:
    if store_ids is not None:
        qs = qs.filter(store_id__in=store_ids)
    limited = user_store_ids(user)
    if limited is not None:
        qs = qs.filter(store_id__in=limited)
    return qs


def customers_visible(*, user=None, store_ids: list[int] | None = None) -> QuerySet[Customer]:
    qs = _limit_stores(Customer.objects.all(), user, store_ids)
    if own_only(user):
        qs = qs.filter(manager=user)
    return qs


def companies_visible(*, user=None, store_ids: list[int] | None = None) -> QuerySet[Company]:
    qs = _limit_stores(Company.objects.all(), user, store_ids)
    if own_only(user):
        qs = qs.filter(manager=user)
    return qs


# Search --------------------------------------------------------------------------------------------

FTS_TABLE = "customers_customer_name_fts"
PHONE_FTS_TABLE = "customers_customerphone_fts"
_fts: dict[tuple[str, str], bool] = {}


def fts_available(table: str = FTS_TABLE) -> bool:
    """SQLite with this FTS5 index (names: migration 0004, phone digits: 0006)."""
    if connection.vendor != "sqlite":
        return False
    key = (str(connection.settings_dict["NAME"]), table)
    if key not in _fts:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            _fts[key] = cursor.fetchone() is not None
    return _fts[key]


def _phone_fragment_q(fragment: str) -> Q:
    """Phones whose digits hold `fragment`: on SQLite through the trigram index (from 3 digits on)."""
    if len(fragment) < 3 or not fts_available(PHONE_FTS_TABLE):
        return Q(digits__contains=fragment)
    from django.db.models.expressions import RawSQL

    # Constant SQL; the digits travel as a parameter.
    sql = "SELECT rowid FROM customers_customerphone_fts WHERE digits LIKE %s"
    return Q(pk__in=RawSQL(sql, [f"%{fragment}%"]))  # noqa: S611


def fts_name_q(words: list[str]) -> Q | None:
    """Customers whose name has a word starting with each of `words` (SQLite FTS5; word-prefix, not
    substring: "ann" finds "Anna", "nna" does not). None when the index is not there."""
    if not words or not fts_available():
        return None
    from django.db.models.expressions import RawSQL

    match = " ".join('"' + w.replace('"', '""') + '"*' for w in words[:8])
    # Constant SQL; the user's words travel as a parameter.
    sql = "SELECT rowid FROM customers_customer_name_fts WHERE customers_customer_name_fts MATCH %s"
    return Q(pk__in=RawSQL(sql, [match]))  # noqa: S611


FUZZY_UNLESS = 50  # a page of the list and of the API


def search_q(query: str) -> Q:
    """Customers matching a search box query by phone, email, name, company or tax id.

    One `id IN (a UNION b UNION ...)` with one member per index (phone digits, email, name, company):
    an OR across tables would leave the database no plan but reading every customer.
    """
    query = " ".join(query.split())[:200]
    if not query:
        return Q()
    lowered = query.lower()
    trigram = trigram_available() and len(lowered) >= 3
    members: list[QuerySet] = []
    digits = digits_of(query)
    fragments = phone_search_fragments(query)
    if fragments and len(digits) * 2 >= len(query.replace(" ", "")):
        phone_q = Q(pk__in=[])
        for fragment in fragments:
            phone_q |= _phone_fragment_q(fragment)
        members.append(CustomerPhone.objects.filter(phone_q).values("customer_id"))
        taxes = CompanyTaxId.objects.filter(value__startswith=digits).values("company_id")
        members.append(CompanyContact.objects.filter(company_id__in=taxes).values("customer_id"))
    else:
        if "@" in query or "." in query:
            # A whole address is looked up in the index (as the order search does); a fragment by substring.
            email = normalize_email(query)
            email_q = Q(email=email.email) if email.is_valid else Q(email__contains=lowered)
            members.append(CustomerEmail.objects.filter(email_q).values("customer_id"))
        if "@" in query:  # an email (or part of one): no name or company has an "@"
            return Q(pk__in=members[0])
        words = lowered.split()
        name_q = fts_name_q(words)
        if name_q is None:
            name_q = Q()
            for word in words:
                name_q &= _name_word_q(word)
        members.append(Customer.objects.filter(name_q).values("id"))
        # Typo tolerance is for a name the box does not find as typed: when the names holding the
        # words already fill a page, similar names are not added (their recheck cost most of the search).
        # The check counts every store's customers: one cheap query, before the caller's scope applies.
        fuzzy = trigram and not Customer.objects.filter(name_q)[FUZZY_UNLESS - 1 :].exists()
        if fuzzy:
            members.append(Customer.objects.filter(search_name__sk_word_similar=lowered).values("id"))
        if trigram:
            company_q = Q(search_name__contains=lowered)
            if fuzzy:
                company_q |= Q(search_name__sk_word_similar=lowered)
        else:
            company_q = Q()
            for word in words:
                company_q &= _name_word_q(word)
        companies = Company.objects.filter(company_q).values("id")
        members.append(CompanyContact.objects.filter(company_id__in=companies).values("customer_id"))
    found = members[0].union(*members[1:]).order_by()  # a model's default order means nothing here
    if connection.vendor == "postgresql":
        # `id = ANY(ARRAY(...))`: the matches are collected first and fetched by primary key. As
        # `id IN (...)` the planner merged them with a backward scan of every customer (10 ms at 200k).
        return Q(EqualsAny(F("pk"), ArraySubquery(found)))
    return Q(pk__in=found)


LOOKUP_SIZE = 8


def lookup(qs: QuerySet[Customer], query: str) -> list[Customer]:
    """The live customers of `qs` a picker offers for what a manager has typed (a phone fragment of four
    digits or more, an email, or three letters of a name), the most recent buyers first, with their
    store, phones and emails; none for less."""
    query = query.strip()
    if len(digits_of(query)) < 4 and (len(query) < 3 or digits_of(query)):
        return []
    return list(
        qs.filter(search_q(query), merged_into__isnull=True)
        .select_related("store")
        .prefetch_related("phones", "emails")
        .order_by(F("last_order_at").desc(nulls_last=True), "id")[:LOOKUP_SIZE]
    )


def _name_word_q(word: str) -> Q:
    """Names (of customers or companies) holding `word`. A substring match, except for a word under three
    letters on PostgreSQL, which no trigram index serves: there, names with a word that starts with it
    (migration 0007), as SQLite's FTS5 index matches every word."""
    if len(word) >= 3 or not word.isalnum() or connection.vendor != "postgresql":
        return Q(search_name__contains=word)
    from django.db.models.expressions import RawSQL

    # Constant SQL on the one table the query reads; the word travels as a parameter.
    sql = "to_tsvector('simple', search_name) @@ to_tsquery('simple', %s)"
    return Q(RawSQL(sql, [f"{word}:*"], output_field=BooleanField()))  # noqa: S611


# The list ------------------------------------------------------------------------------------------


def _day_start(value: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


def customer_list(*, params: Any, user=None, store_ids: list[int] | None = None) -> QuerySet[Customer]:
    """Live (not merged) customers filtered by `params` (a QueryDict or dict) as CustomerFilterForm
    defines them; raises ValidationError with the form's errors on bad input."""
    form = params if isinstance(params, CustomerFilterForm) else CustomerFilterForm(params)
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data())
    f = form.cleaned_data
    qs = customers_visible(user=user, store_ids=store_ids).filter(merged_into__isnull=True)
    if f["q"]:
        qs = qs.filter(search_q(f["q"]))
    if f["store"]:
        qs = qs.filter(store__code=f["store"])
    if f["segment"]:
        segment = Segment.objects.filter(pk=f["segment"]).first()
        qs = qs.filter(compile_rules(segment.rules)) if segment else qs.none()
    if f["tag"]:
        qs = qs.filter(pk__in=Customer.tags.through.objects.filter(tag__name=f["tag"]).values("customer_id"))
    if f["manager"] is not None:
        qs = qs.filter(manager__isnull=True) if f["manager"] == 0 else qs.filter(manager_id=f["manager"])
    if f["rfm"]:
        qs = qs.filter(rfm_class__startswith=f["rfm"])
    for name, lookup in (
        ("spent_min", "total_spent__gte"),
        ("spent_max", "total_spent__lte"),
        ("orders_min", "orders_count__gte"),
        ("orders_max", "orders_count__lte"),
    ):
        if f[name] is not None:
            qs = qs.filter(**{lookup: f[name]})
    for name, lookup, shift in (
        ("created_after", "created_at__gte", 0),
        ("created_before", "created_at__lt", 1),
        ("last_order_after", "last_order_at__gte", 0),
        ("last_order_before", "last_order_at__lt", 1),
    ):
        if f[name]:
            qs = qs.filter(**{lookup: _day_start(f[name] + dt.timedelta(days=shift))})
    for name in ("consent_email", "consent_sms"):
        if f[name]:
            qs = qs.filter(**{name: f[name] == "yes"})
    return qs.order_by(SORTS.get(f["sort"] or "-created", "-id"), "-id")


def with_list_relations(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Contacts and tags prefetched; the store and manager are set by `attach_store_and_manager`
    once the rows are loaded."""
    return qs.prefetch_related(
        "tags",
        Prefetch("phones", queryset=CustomerPhone.objects.order_by("position", "id")),
        Prefetch("emails", queryset=CustomerEmail.objects.order_by("position", "id")),
    )


def contact_rows(customer_ids: list[int]) -> dict[int, dict[str, list[tuple]]]:
    """Phones `(e164, raw, is_valid)`, emails `(email, is_valid)` and tags `(name, color)` of these
    customers, in their display order: one statement of plain rows. The API's pages and the customer
    card are built from these; as three prefetches of model instances they cost more than half of a
    50-customer page (1.7 ms against 0.6 for this statement on PostgreSQL)."""
    rows: dict[int, dict[str, list[tuple]]] = {
        pk: {"phones": [], "emails": [], "tags": []} for pk in customer_ids
    }
    if not customer_ids:
        return rows
    marks = ", ".join(["%s"] * len(customer_ids))
    phone, email = CustomerPhone._meta.db_table, CustomerEmail._meta.db_table
    link, tag = Customer.tags.through._meta.db_table, Tag._meta.db_table
    # kind, customer, two values, validity, then the display order: position and id, tags by name.
    sql = (
        f"SELECT 0, customer_id, e164, raw, is_valid, '', position, id FROM {phone} "  # noqa: S608
        f"WHERE customer_id IN ({marks}) "
        f"UNION ALL SELECT 1, customer_id, email, '', is_valid, '', position, id FROM {email} "
        f"WHERE customer_id IN ({marks}) "
        f"UNION ALL SELECT 2, l.customer_id, t.name, t.color, 1 = 1, t.name, 0, t.id FROM {link} l "
        f"JOIN {tag} t ON t.id = l.tag_id WHERE l.customer_id IN ({marks}) "
        "ORDER BY 1, 6, 7, 8"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(customer_ids) * 3)  # every value a parameter
        for kind, customer_id, first, second, is_valid, *_order in cursor.fetchall():
            if kind == 0:
                rows[customer_id]["phones"].append((first, second, bool(is_valid)))
            elif kind == 1:
                rows[customer_id]["emails"].append((first, bool(is_valid)))
            else:
                rows[customer_id]["tags"].append((first, second))
    return rows


def shown_contacts(customer_ids: list[int]) -> dict[int, dict[str, list[tuple]]]:
    """`contact_rows` as the card and the list show them: phones `(as people read it, is_valid)`,
    emails `(email, is_valid)`, tags `(name, color)`."""
    rows = contact_rows(customer_ids)
    for found in rows.values():
        found["phones"] = [(format_phone(e164, raw), is_valid) for e164, raw, is_valid in found["phones"]]
    return rows


def with_card_relations(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """The card's addresses and companies; its phones, emails and tags come from `contact_rows`."""
    return qs.prefetch_related(
        "addresses",
        Prefetch("company_links", queryset=CompanyContact.objects.select_related("company")),
    )


def customer_timeline(customer: Customer, limit: int = 50, before_id: int | None = None) -> list[Change]:
    """The customer's timeline including the history of the customers merged into it."""
    merged = Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)
    return timeline(
        entity="customer", entity_ids=[customer.pk, *merged[:20]], limit=limit, before_id=before_id
    )


def open_duplicates(customer: Customer, limit: int = 10) -> list[DuplicateCandidate]:
    """The open duplicate candidates shown on a customer's card. Most customers have none: that case is
    one query without joins; the others are read again with the other customer and its store."""
    qs = DuplicateCandidate.objects.filter(customer=customer, status=DuplicateStatus.OPEN)
    if not qs.only("id").exists():
        return []
    return list(qs.select_related("other__store")[:limit])


def company_list(*, q: str = "", store: str = "", user=None, store_ids=None) -> QuerySet[Company]:
    qs = companies_visible(user=user, store_ids=store_ids)
    if q:
        lowered = q.lower().strip()
        cond = Q(search_name__contains=lowered) | Q(
            pk__in=CompanyTaxId.objects.filter(value__startswith=q.strip()).values("company_id")
        )
        if trigram_available() and len(lowered) >= 3:
            cond |= Q(search_name__sk_word_similar=lowered)
        qs = qs.filter(cond)
    if store:
        qs = qs.filter(store__code=store)
    return qs.select_related("store", "manager").prefetch_related("tax_ids", "tags").order_by("-id")


def with_company_card_relations(qs: QuerySet[Company]) -> QuerySet[Company]:
    return qs.select_related("store", "manager").prefetch_related(
        "tax_ids",
        "tags",
        "addresses",
        Prefetch(
            "contact_links",
            queryset=CompanyContact.objects.select_related("customer__store").prefetch_related(
                "customer__phones"
            ),
        ),
    )


def duplicates_open(*, user=None, store_ids=None) -> QuerySet[DuplicateCandidate]:
    visible = customers_visible(user=user, store_ids=store_ids)
    return (
        DuplicateCandidate.objects.filter(
            status=DuplicateStatus.OPEN,
            customer__in=visible,
            customer__merged_into__isnull=True,
            other__merged_into__isnull=True,
        )
        .select_related("customer__store", "other__store", "store")
        .prefetch_related("customer__phones", "customer__emails", "other__phones", "other__emails")
        .order_by("-id")
    )


@dataclass
class DuplicateGroup:
    """Records of one person the queue holds: its open pairs, newest first, and the oldest record, the
    one "Merge all" keeps."""

    pairs: list[DuplicateCandidate]
    survivor: Customer
    others: list[Customer]


def duplicate_groups(candidates: QuerySet[DuplicateCandidate]) -> list[list[int]]:
    """The open pairs' ids grouped by person (pairs sharing a record, transitively), the group with the
    newest pair first: a person typed in four times is one group of six pairs, not six rows apart."""
    rows = list(candidates.order_by("-id").values_list("id", "customer_id", "other_id"))
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _pk, a, b in rows:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for pk, a, _b in rows:  # newest first, so a group's first pair is its newest
        groups.setdefault(root(a), []).append(pk)
    return list(groups.values())


def duplicate_group_page(
    candidates: QuerySet[DuplicateCandidate], ids: list[list[int]]
) -> list[DuplicateGroup]:
    """The groups of `ids` (a page of `duplicate_groups`) with their pairs and records read in one go."""
    pairs = {d.pk: d for d in candidates.filter(pk__in=[pk for group in ids for pk in group])}
    out = []
    for group in ids:
        found = [pairs[pk] for pk in group if pk in pairs]
        if not found:
            continue
        records = {c.pk: c for d in found for c in (d.customer, d.other)}
        survivor = records[min(records)]
        out.append(
            DuplicateGroup(found, survivor, [c for pk, c in sorted(records.items()) if pk != survivor.pk])
        )
    return out


def segment_members(segment: Segment) -> QuerySet[Customer]:
    return Customer.objects.filter(merged_into__isnull=True).filter(compile_rules(segment.rules))


def saved_views(*, user) -> QuerySet[SavedView]:
    """The user's own views and the shared ones."""
    return SavedView.objects.filter(Q(owner=user) | Q(is_shared=True)).select_related("owner")


# Orders on the cards ------------------------------------------------------------------------------

CARD_ORDERS = 20


def entity_orders(
    *, user, customer: Customer | None = None, company: Company | None = None, limit: int = CARD_ORDERS
):
    """The newest orders of a customer or company that `user` may see (one query), or None when the
    orders app is not installed or the user may not view orders."""
    from django.apps import apps

    if not apps.is_installed("shopkeeper.orders") or not user.has_perm("orders.view_order"):
        return None
    from shopkeeper.orders import dictionaries
    from shopkeeper.orders.models import Status
    from shopkeeper.orders.selectors import orders_visible

    qs = orders_visible(user=user)
    qs = qs.filter(customer=customer) if customer is not None else qs.filter(company=company)
    orders = list(
        qs.only(
            "id", "number", "created_at", "total", "payment_status", "is_cancelled", "status_id", "store_id"
        ).order_by("-created_at", "-id")[:limit]
    )
    attach_reference(orders, "store", active_stores)  # for its currency, without a join
    for order in orders:  # statuses from the orders app's dictionary cache instead of a join
        status = dictionaries.by_pk(Status, order.status_id)
        if status is not None:
            order.status = status
    return orders


def customer_export(customer: Customer) -> dict[str, Any]:
    """Everything stored about a person (data subject access request)."""
    from shopkeeper.core.changes import to_jsonable

    return to_jsonable(
        {
            "id": customer.pk,
            "store": customer.store.code,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "patronymic": customer.patronymic,
            "birthday": customer.birthday,
            "phones": [p.e164 or p.raw for p in customer.phones.all()],
            "emails": [e.email for e in customer.emails.all()],
            "addresses": [str(a) for a in customer.addresses.all()],
            "social_links": customer.social_links,
            "language": customer.language,
            "consents": {
                "email": [customer.consent_email, customer.consent_email_at, customer.consent_email_how],
                "sms": [customer.consent_sms, customer.consent_sms_at, customer.consent_sms_how],
            },
            "source": customer.source,
            "utm": customer.utm,
            "custom_fields": customer.custom_fields,
            "notes": [n.text for n in customer.notes.all()],
            "companies": [
                link.company.legal_name for link in customer.company_links.select_related("company")
            ],
            "created_at": customer.created_at,
        }
    )
