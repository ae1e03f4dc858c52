"""Demo customers and companies: persons in several languages, realistic phones, tags, planted duplicates.

Idempotent: every demo customer / company has an external id `demo-<n>` in its store; existing ones
are reused. Sizes: S 300 persons, M 3,000, L 200,000 (L goes through the services too: slow).
"""

from __future__ import annotations

import random
import re

from shopkeeper.core.changes import Actor
from shopkeeper.stores.models import Store

from .models import Company, Customer, CustomFieldDefinition, Segment
from .segments import segment_save
from .services import CustomerInput, company_contact_link, company_create, customer_create, tag_get_or_create
from .settings_services import custom_field_save

COUNTS = {"S": 300, "M": 3000, "L": 200_000}
STORE_LOCALES = {"moscow": ["ru_RU"], "kyiv": ["uk_UA"], "main": ["en_US", "zh_CN"]}
TAGS = ["vip", "wholesale", "newsletter", "problem", "loyal"]
# Custom fields a store defines in its settings: (entity, code, label, type, choices).
CUSTOM_FIELDS = [
    ("customer", "loyalty_card", "Loyalty card", "string", []),
    ("customer", "wholesale_buyer", "Buys for resale", "boolean", []),
    (
        "company",
        "payment_terms",
        "Payment terms",
        "choice",
        ["prepaid: Prepaid", "net15: Net 15 days", "net30: Net 30 days"],
    ),
    ("company", "contract_until", "Contract until", "date", []),
    ("company", "credit_limit", "Credit limit", "number", []),
]

# Segments a store team keeps (rules over the metrics the demo's order history gives).
SEGMENTS = [
    (
        "Big spenders gone quiet",
        {
            "match": "all",
            "conditions": [
                {"field": "total_spent", "op": "gt", "value": "3000"},
                {"field": "last_order_days", "op": "gt", "value": 60},
                {"field": "consent_email", "op": "eq", "value": True},
            ],
        },
    ),
    (
        "Champions (RFM 333)",
        {"match": "all", "conditions": [{"field": "rfm_class", "op": "eq", "value": "333"}]},
    ),
    (
        "One order, 90+ days ago",
        {
            "match": "all",
            "conditions": [
                {"field": "orders_count", "op": "eq", "value": 1},
                {"field": "last_order_days", "op": "gt", "value": 90},
            ],
        },
    ),
]


def _person(fake, rng: random.Random, locale: str) -> tuple[str, str, str]:
    """First name, surname and (Russian) patronymic of one gender: Иванова Анна Петровна, never
    Иванов Анна Петрович."""
    gender = rng.choice(("male", "female"))
    first = getattr(fake, f"first_name_{gender}")()
    last = getattr(fake, f"last_name_{gender}")()
    patronymic = getattr(fake, f"middle_name_{gender}")() if locale == "ru_RU" else ""
    return first, last, patronymic


def email_of(fake, rng: random.Random, first: str, last: str, number: int) -> str:
    """An address made of the person's own name (Krylov Vissarion -> vissarion.krylov42@...), in Latin
    letters as the locale's Faker transliterates them; the number keeps it theirs alone."""
    to_ascii = fake.provider("faker.providers.internet")._to_ascii
    f, s = (re.sub(r"[^a-z0-9]", "", to_ascii(part).lower()) for part in (first, last))
    local = rng.choice([f"{f}.{s}", f"{f[:1]}{s}", f"{s}.{f}", f"{f}_{s}", f"{s}{f[:1]}"]).strip("._")
    return f"{local or 'buyer'}{number}@{fake.free_email_domain()}"


def _phone(rng: random.Random, locale: str) -> str:
    n = lambda k: "".join(str(rng.randint(0, 9)) for _ in range(k))  # noqa: E731
    match locale:
        case "ru_RU":
            return rng.choice([f"+7 9{n(2)} {n(3)}-{n(2)}-{n(2)}", f"8 (9{n(2)}) {n(3)}{n(4)}", f"+79{n(9)}"])
        case "uk_UA":
            return rng.choice([f"+380 {rng.choice(['50', '67', '93', '97'])} {n(3)} {n(2)} {n(2)}"])
        case "zh_CN":
            return f"+86 1{rng.choice('3589')}{n(1)} {n(4)} {n(4)}"
    return f"({rng.choice(['212', '415', '646', '312'])}) {rng.randint(2, 9)}{n(2)}-{n(4)}"


def load(ctx) -> None:
    actor = Actor.system("demo")
    rng = random.Random(ctx.seed)
    stores = {s.code: s for s in Store.objects.filter(code__in=STORE_LOCALES)}
    if not stores:
        ctx.log("customers: no demo stores; skipped")
        return
    tags = [tag_get_or_create(name=name, actor=actor) for name in TAGS]
    _custom_fields(actor)
    total = COUNTS.get(ctx.size, 300)
    existing = set(
        Customer.objects.filter(external_id__startswith="demo-").values_list("store_id", "external_id")
    )
    codes = sorted(stores)
    created = 0
    planted: list[tuple[Store, str, str, str]] = []
    for i in range(total):
        store = stores[codes[i % len(codes)]]
        external_id = f"demo-{i}"
        rng = random.Random(f"{ctx.seed}-{i}")  # per person, so skipping existing ones keeps the rest stable
        locale = rng.choice(STORE_LOCALES[store.code])
        fake = ctx.faker[locale]
        first, last, patronymic = _person(fake, rng, locale)
        phone = _phone(rng, locale)
        email = email_of(fake, rng, first, last, i)
        if i % 25 == 24 and planted:
            # A planted duplicate: a known person typed again in another format.
            p_store, p_first, p_last, p_phone = rng.choice(planted)
        if i % 25 == 24 and planted and (p_store.pk, f"demo-dup-{i}") not in existing:
            customer_create(
                store=p_store,
                data=CustomerInput(
                    first_name=p_first,
                    last_name=p_last,
                    phone=p_phone.replace(" ", ""),
                    external_id=f"demo-dup-{i}",
                ),
                actor=actor,
            )
        if len(planted) < 200:
            planted.append((store, first, last, phone))
        if (store.pk, external_id) in existing:
            continue
        customer_create(
            store=store,
            data=CustomerInput(
                first_name=first,
                last_name=last,
                patronymic=patronymic,
                phone=phone,
                email=email,
                external_id=external_id,
                address={"country": locale[-2:], "city": fake.city(), "street": fake.street_name()},
                extra={
                    "consent_email": rng.random() < 0.4,
                    "source": rng.choice(["web", "instagram", "phone", ""]),
                    "custom_fields": _customer_custom(rng, i),
                },
            ),
            actor=actor,
            tags=rng.sample(tags, k=rng.randint(0, 2)),
            find_duplicates=True,
        )
        created += 1
    ctx.log(f"customers: {created} created")
    _companies(ctx, rng, stores, actor)
    known = set(Segment.objects.values_list("name", flat=True))
    for name, rules in SEGMENTS:
        if name not in known:
            segment_save(name=name, rules=rules, actor=actor)


def _custom_fields(actor: Actor) -> None:
    have = set(CustomFieldDefinition.objects.values_list("entity", "code"))
    for position, (entity, code, label, type_, choices) in enumerate(CUSTOM_FIELDS):
        if (entity, code) not in have:
            custom_field_save(
                definition=None,
                entity=entity,
                code=code,
                label=label,
                type=type_,
                choices=choices,
                required=False,
                position=position,
                actor=actor,
            )


def _customer_custom(rng: random.Random, i: int) -> dict[str, object]:
    """A loyalty card for about a third of the customers, and a reseller mark for a few."""
    values: dict[str, object] = {}
    if rng.random() < 0.35:
        values["loyalty_card"] = f"LC-{100000 + i}"
    if rng.random() < 0.05:
        values["wholesale_buyer"] = True
    return values


def _companies(ctx, rng: random.Random, stores: dict[str, Store], actor: Actor) -> None:
    have = set(Company.objects.filter(external_id__startswith="demo-").values_list("store_id", "external_id"))
    for i in range(30):
        store = stores[sorted(stores)[i % len(stores)]]
        if (store.pk, f"demo-{i}") in have:
            continue
        locale = STORE_LOCALES[store.code][0]
        fake = ctx.faker[locale]
        taxes = (
            {"inn": str(rng.randint(10**9, 10**10 - 1)), "kpp": str(rng.randint(10**8, 10**9 - 1))}
            if locale == "ru_RU"
            else {"edrpou": str(rng.randint(10**7, 10**8 - 1))}
            if locale == "uk_UA"
            else {"ein": f"{rng.randint(10, 99)}-{rng.randint(10**6, 10**7 - 1)}"}
        )
        company = company_create(
            store=store,
            legal_name=fake.company(),
            tax_ids=taxes,
            external_id=f"demo-{i}",
            price_type=rng.choice(["", "wholesale", "retail"]),
            custom_fields={
                "payment_terms": rng.choice(["prepaid", "net15", "net30"]),
                "contract_until": f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "credit_limit": str(rng.choice([50_000, 100_000, 250_000])),
            },
            actor=actor,
        )
        people = list(
            Customer.objects.filter(store=store, merged_into__isnull=True).order_by("?")[: rng.randint(1, 3)]
        )
        for person in people:
            company_contact_link(
                company=company,
                customer=person,
                role=rng.choice(["buyer", "director", "accountant"]),
                actor=actor,
            )
    ctx.log("customers: companies ready")
