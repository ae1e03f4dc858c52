"""Fast, consistent data at scale: `python -m bench generate --db sqlite|postgresql --size S|M|L`.

Small tables (stores, warehouses, users, the API key) go through the ORM and services; the big ones
(customers, offers, orders, lines, payments, stock ledger, reservations, change log) are written in bulk
(COPY on PostgreSQL) with the same values the services would have produced:

- line and order totals from `shopkeeper.orders.totals`, the payment status derived from payments;
- each order walks a legal path of the default workflow (new -> ... -> delivered / cancelled / returned)
  with a `created` and one `status_changed` change-log row per step, linked to the customer's timeline;
- stock: a receipt per stock level, a reservation movement per line, then a write-off when shipped or a
  release when cancelled; `StockLevel.on_hand` / `reserved` are the ledger's sums and open orders hold
  `Reservation` rows equal to `StockLevel.reserved`;
- customer metrics (orders, spent, average, first / last order, RFM, lifetime) from their orders.

Buyers repeat with a Pareto distribution, orders follow seasonality (year-end peaks, weekdays, hours),
names come from pools pre-generated with Faker in en_US, ru_RU, uk_UA and zh_CN.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import random
import time
from dataclasses import dataclass
from decimal import Decimal

SIZES = {
    # orders, customers, offers
    "XS": (2_000, 400, 300),
    "S": (10_000, 2_000, 1_000),
    "M": (100_000, 20_000, 10_000),
    "L": (1_000_000, 200_000, 50_000),
}
STORES = [
    # code, name, currency, locale, weight, phone region
    ("ru-main", "Магазин (RU)", "RUB", "ru_RU", 40, "RU"),
    ("ua-shop", "Крамниця (UA)", "UAH", "uk_UA", 20, "UA"),
    ("us-store", "US Store", "USD", "en_US", 25, "US"),
    ("cn-shop", "中国商店", "CNY", "zh_CN", 15, "CN"),
]
CHANNELS = [
    ("web", 45),
    ("marketplace", 20),
    ("phone", 15),
    ("api", 8),
    ("web-form", 6),
    ("email", 3),
    ("manual", 3),
]
DELIVERY = [("courier", Decimal("300.00"), 40), ("pickup", Decimal("0.00"), 20), ("post", Decimal("250.00"), 25),
            ("parcel-locker", Decimal("150.00"), 15)]  # fmt: skip
PAYMENT_TYPES = ["card", "cash", "card-on-delivery", "bank-transfer", "cod"]
CANCEL_REASONS = ["changed-mind", "no-answer", "out-of-stock", "too-expensive", "duplicate", "delivery-terms"]
PATHS = {
    "new": ["new"],
    "no-answer": ["new", "no-answer"],
    "awaiting-payment": ["new", "awaiting-payment"],
    "confirmed": ["new", "confirmed"],
    "assembling": ["new", "confirmed", "assembling"],
    "assembled": ["new", "confirmed", "assembling", "assembled"],
    "shipped": ["new", "confirmed", "assembling", "shipped"],
    "delivered": ["new", "confirmed", "assembling", "shipped", "delivered"],
    "cancelled": ["new", "cancelled"],
    "cancelled-late": ["new", "no-answer", "cancelled"],
    "returned": ["new", "confirmed", "assembling", "shipped", "delivered", "returned"],
}
# Status mix by the order's age in days (upper bound, [(path, weight)]).
MIX = [
    (0.05, [("new", 70), ("no-answer", 10), ("confirmed", 10), ("cancelled", 10)]),
    (1, [("new", 20), ("no-answer", 10), ("awaiting-payment", 15), ("confirmed", 25), ("assembling", 15),
         ("cancelled", 15)]),
    (4, [("confirmed", 10), ("assembling", 20), ("assembled", 15), ("shipped", 40), ("cancelled", 15)]),
    (10, [("shipped", 30), ("delivered", 55), ("cancelled", 8), ("cancelled-late", 4), ("returned", 3)]),
    (1e9, [("delivered", 84), ("cancelled", 8), ("cancelled-late", 5), ("returned", 3)]),
]  # fmt: skip
SPAN_DAYS = {"delivered": 6, "returned": 14, "shipped": 3, "cancelled": 1, "cancelled-late": 2}
STATUS_LIMITS = {"new": 30, "no-answer": 240, "awaiting-payment": 1440, "confirmed": 120, "assembling": 480,
                 "assembled": 480, "shipped": 7 * 1440}  # fmt: skip
HISTORY_DAYS = 730
MONTH_FACTOR = {
    1: 0.8,
    2: 0.8,
    3: 0.9,
    4: 0.9,
    5: 1.0,
    6: 0.9,
    7: 0.9,
    8: 1.0,
    9: 1.0,
    10: 1.1,
    11: 1.5,
    12: 1.8,
}
WEEKDAY_FACTOR = [1.1, 1.05, 1.0, 1.0, 1.05, 0.9, 0.8]
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 10, 10, 9, 9, 9, 9, 10, 11, 12, 10, 7, 3]
CITIES = {
    "ru_RU": ["Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург"],
    "uk_UA": ["Київ", "Львів", "Одеса", "Харків", "Дніпро"],
    "en_US": ["New York", "Chicago", "Austin", "Seattle", "Boston"],
    "zh_CN": ["北京", "上海", "广州", "深圳", "成都"],
}
CENT = Decimal("0.01")


GENDERS = ("male", "female")
PATRONYMIC_LOCALES = ("ru_RU", "uk_UA")


@dataclass
class Pools:
    # Names by locale, then by gender: a Russian or Ukrainian full name agrees in gender (Иванов
    # Сергей Петрович, Иванова Анна Петровна), so first name, surname and patronymic come from one.
    first: dict[str, dict[str, list[str]]]
    last: dict[str, dict[str, list[str]]]
    middle: dict[str, dict[str, list[str]]]
    streets: dict[str, list[str]]
    users: list[str]
    words: list[str]


def make_pools(seed: int) -> Pools:
    from faker import Faker

    first, last, middle, streets = {}, {}, {}, {}
    for *_rest, locale, _w, _r in STORES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        first[locale] = {g: sorted({getattr(fake, f"first_name_{g}")() for _ in range(300)}) for g in GENDERS}
        last[locale] = {g: sorted({getattr(fake, f"last_name_{g}")() for _ in range(300)}) for g in GENDERS}
        middle[locale] = {
            g: sorted({getattr(fake, f"middle_name_{g}")() for _ in range(100)})
            if locale in PATRONYMIC_LOCALES
            else [""]
            for g in GENDERS
        }
        streets[locale] = sorted({fake.street_name() for _ in range(100)})
    en = Faker("en_US")
    en.seed_instance(seed)
    users = sorted({en.user_name() for _ in range(2000)})
    words = sorted({en.word() for _ in range(1500)})
    return Pools(first, last, middle, streets, users, words)


def person_name(pools: Pools, locale: str, rng: random.Random) -> tuple[str, str, str]:
    """(first name, surname, patronymic or ""), all of one gender."""
    gender = rng.choice(GENDERS)
    first = rng.choice(pools.first[locale][gender])
    last = rng.choice(pools.last[locale][gender])
    middle = rng.choice(pools.middle[locale][gender]) if rng.random() < 0.5 else ""
    return first, last, middle


def phone_for(region: str, rng: random.Random) -> tuple[str, str]:
    """(raw as a buyer might type it, E.164)."""
    if region == "RU":
        n = f"9{rng.randrange(10**9):09d}"
        return f"8 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}", f"+7{n}"
    if region == "UA":
        n = f"{rng.choice(['50', '63', '66', '67', '68', '73', '93', '95', '96', '97', '98', '99'])}{rng.randrange(10**7):07d}"
        return f"+380 {n[:2]} {n[2:5]} {n[5:7]} {n[7:]}", f"+380{n}"
    if region == "CN":
        n = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
        return f"{n[:3]} {n[3:7]} {n[7:]}", f"+86{n}"
    area = rng.choice(["212", "312", "415", "617", "702", "206", "305", "512", "646", "917"])
    n = f"{area}{rng.randrange(2, 10)}{rng.randrange(10**6):06d}"
    return f"({n[:3]}) {n[3:6]}-{n[6:]}", f"+1{n}"


def _money(v: Decimal) -> Decimal:
    return v.quantize(CENT)


def _season_days(rng: random.Random, now: dt.datetime, n: int) -> list[dt.datetime]:
    """`n` naive-UTC moments over the last HISTORY_DAYS, sorted, with growth and seasonality."""
    start = now - dt.timedelta(days=HISTORY_DAYS)
    weights = []
    for d in range(HISTORY_DAYS + 1):
        day = start + dt.timedelta(days=d)
        growth = 0.6 + 0.8 * d / HISTORY_DAYS
        weights.append(growth * MONTH_FACTOR[day.month] * WEEKDAY_FACTOR[day.weekday()])
    cum_days = _cum(weights)
    cum_hours = _cum(HOUR_WEIGHTS)
    days = rng.choices(range(len(weights)), cum_weights=cum_days, k=n)
    hours = rng.choices(range(24), cum_weights=cum_hours, k=n)
    base = start.replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for d, h in zip(days, hours, strict=True):
        moment = base + dt.timedelta(days=d, hours=h, seconds=rng.randrange(3600))
        if moment >= now:
            moment = now - dt.timedelta(seconds=rng.randrange(60, 3600))
        out.append(moment.replace(microsecond=rng.randrange(1_000_000)))
    out.sort()
    return out


def _cum(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(mix: list[tuple[str, int]], rng: random.Random) -> str:
    r = rng.random() * sum(w for _c, w in mix)
    for code, w in mix:
        r -= w
        if r < 0:
            return code
    return mix[-1][0]


def _status_ids() -> dict[str, tuple[int, bool, bool]]:
    from shopkeeper.orders.models import Status

    return {
        s.code: (s.pk, s.group.is_final, s.group.is_cancelled) for s in Status.objects.select_related("group")
    }


def _codes(model) -> dict[str, int]:
    return dict(model.objects.values_list("code", "pk"))


def setup_small(rng: random.Random, log) -> dict:
    """Stores, warehouses, users, API key, price types: through the ORM and services."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from shopkeeper.accounts.models import User
    from shopkeeper.accounts.services import apikey_create
    from shopkeeper.catalog.models import PriceType
    from shopkeeper.core.changes import Actor
    from shopkeeper.inventory.models import StoreWarehouse, Warehouse
    from shopkeeper.orders.models import StoreOrderSettings
    from shopkeeper.stores.models import Store

    stores = {}
    for code, name, currency, *_rest in STORES:
        stores[code] = Store.objects.create(code=code, name=name, currency=currency)
        StoreOrderSettings.objects.create(store=stores[code], number_prefix=code[:2].upper() + "-")
    main = Warehouse.objects.create(code="main", name="Main warehouse", priority=10)
    spare = Warehouse.objects.create(code="spare", name="Spare warehouse", priority=20)
    for store in stores.values():
        StoreWarehouse.objects.create(store=store, warehouse=main, priority=10)
        StoreWarehouse.objects.create(store=store, warehouse=spare, priority=20)
    PriceType.objects.get_or_create(code="retail", defaults={"name": "Retail", "is_default": True})
    password = make_password("bench-password-1")
    admin = User.objects.create(
        username="bench-admin", password=password, is_superuser=True, is_staff=True, email="admin@example.com"
    )
    managers = [
        User.objects.create(username=f"manager{i}", password=password, email=f"manager{i}@example.com")
        for i in range(1, 9)
    ]
    with transaction.atomic():
        issued = apikey_create(
            name="bench",
            scopes=["orders:read", "orders:write", "customers:read", "customers:write", "catalog:read"],
            actor=Actor.system("bench"),
        )
    log("small tables: 4 stores, 2 warehouses, 9 users, 1 API key")
    return {
        "stores": stores,
        "warehouses": (main.pk, spare.pk),
        "managers": [m.pk for m in managers],
        "admin": admin.pk,
        "api_key": issued.secret,
        "api_key_id": issued.api_key.pk,
        "retail": PriceType.objects.get(code="retail").pk,
    }


def generate(*, size: str, seed: int = 2026, log=print) -> dict:
    """Fill the (freshly migrated) current database. Returns the metadata the scenarios need."""
    from shopkeeper.catalog.models import Offer, Price, Product, ProductGroup
    from shopkeeper.core.models import Change, ChangeLink
    from shopkeeper.customers.metrics import rfm_class
    from shopkeeper.customers.models import Customer, CustomerEmail, CustomerPhone
    from shopkeeper.inventory.models import Movement, Reservation, StockLevel
    from shopkeeper.orders import totals
    from shopkeeper.orders.models import (
        CancelReason,
        Channel,
        DeliveryType,
        Order,
        OrderLine,
        OrderType,
        Payment,
        PaymentType,
        StoreOrderSettings,
    )

    from .writer import Writer

    started = time.monotonic()
    n_orders, n_customers, n_offers = SIZES[size]
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    pools = make_pools(seed)
    small = setup_small(rng, log)
    statuses = _status_ids()
    channels, delivery_types, payment_types = _codes(Channel), _codes(DeliveryType), _codes(PaymentType)
    cancel_reasons, order_types = _codes(CancelReason), _codes(OrderType)
    main_wh, spare_wh = small["warehouses"]
    managers = small["managers"]
    api_key_id = small["api_key_id"]

    w = Writer()
    big = [Customer, CustomerPhone, CustomerEmail, Order, OrderLine, Payment, Movement, Reservation, Change,
           ChangeLink, Offer, Price, Product, StockLevel]  # fmt: skip
    w.begin_load(big)

    # --- catalog ------------------------------------------------------------------------------
    t_group = w.table(ProductGroup, ["id", "name", "code", "position"])
    t_product = w.table(Product, ["id", "name", "group_id", "created_at", "updated_at"])
    t_offer = w.table(Offer, ["id", "product_id", "name", "sku", "barcode", "purchase_price", "created_at",
                              "updated_at"])  # fmt: skip
    t_price = w.table(Price, ["id", "offer_id", "price_type_id", "amount"])
    n_groups = 24
    for g in range(1, n_groups + 1):
        t_group.add((g, f"{pools.words[g].title()} {g}", f"group-{g}", g))
    n_products = max(1, n_offers // 3)
    offer_price: list[Decimal] = [Decimal(0)] * (n_offers + 1)
    offer_purchase: list[Decimal] = [Decimal(0)] * (n_offers + 1)
    offer_sku: list[str] = [""] * (n_offers + 1)
    offer_name: list[str] = [""] * (n_offers + 1)
    catalog_at = now - dt.timedelta(days=HISTORY_DAYS + 30)
    words = pools.words
    for p in range(1, n_products + 1):
        name = f"{words[p % len(words)].title()} {words[(p * 7) % len(words)]} {p}"
        t_product.add((p, name, 1 + p % n_groups, catalog_at, catalog_at))
    variants = ["S", "M", "L", "XL", "red", "blue", "black"]
    for o in range(1, n_offers + 1):
        product = 1 + (o - 1) % n_products
        price = Decimal(int(rng.lognormvariate(7, 1.0)) // 10 * 10 + 90).quantize(CENT)
        purchase = _money(price * Decimal("0.6"))
        sku = f"SKU-{o:06d}"
        name = f"{words[product % len(words)].title()} {words[(product * 7) % len(words)]} {product} {variants[o % 7]}"
        offer_price[o], offer_purchase[o], offer_sku[o], offer_name[o] = price, purchase, sku, name
        t_offer.add((o, product, name, sku, f"46{o:011d}", purchase, catalog_at, catalog_at))
        t_price.add((o, o, small["retail"], price))
    w.flush(t_group, t_product, t_offer, t_price)
    log(f"catalog: {n_products} products, {n_offers} offers ({time.monotonic() - started:.0f} s)")

    # --- customers (in memory; written after orders, with their metrics) ------------------------
    store_list = list(small["stores"].values())
    store_weights = _cum([s[4] for s in STORES])
    cust_store = [0] * (n_customers + 1)
    for c in range(1, n_customers + 1):
        cust_store[c] = bisect.bisect_right(store_weights, rng.random() * store_weights[-1])
    # Every customer orders once; the rest of the orders go to Pareto-weighted repeat buyers.
    weights = _cum(rng.paretovariate(1.16) for _ in range(n_customers))
    buyers = list(range(1, n_customers + 1)) + rng.choices(
        range(1, n_customers + 1), cum_weights=weights, k=max(0, n_orders - n_customers)
    )
    rng.shuffle(buyers)
    buyers = buyers[:n_orders]
    moments = _season_days(rng, now, n_orders)
    c_orders = [0] * (n_customers + 1)
    c_spent = [Decimal(0)] * (n_customers + 1)
    c_first: list[dt.datetime | None] = [None] * (n_customers + 1)
    c_last: list[dt.datetime | None] = [None] * (n_customers + 1)
    c_any_first: list[dt.datetime | None] = [None] * (n_customers + 1)
    # Names and contacts, decided up front (orders snapshot them).
    c_name = [""] * (n_customers + 1)
    c_parts: list[tuple[str, str, str]] = [("", "", "")] * (n_customers + 1)
    c_phone: list[tuple[str, str]] = [("", "")] * (n_customers + 1)
    c_email = [""] * (n_customers + 1)
    for c in range(1, n_customers + 1):
        code, _n, _cur, locale, _w, region = STORES[cust_store[c]]
        first, last, middle = person_name(pools, locale, rng)
        c_parts[c] = (first, last, middle)
        c_name[c] = " ".join(p for p in (last, first, middle) if p)
        c_phone[c] = phone_for(region, rng)
        if rng.random() < 0.85:
            c_email[c] = f"{rng.choice(pools.users).lower()}.{c}@example.{code[:2]}"

    # --- orders ---------------------------------------------------------------------------------
    t_order = w.table(Order, [
        "id", "store_id", "number", "external_id", "customer_id", "manager_id", "channel_id", "order_type_id",
        "status_id", "status_changed_at", "is_cancelled", "is_final", "overdue_at", "cancel_reason_id",
        "customer_name", "phone", "phone_digits", "email", "price_type", "subtotal", "discount_amount",
        "discount_percent", "discount_total", "delivery_cost", "total", "purchase_total", "paid_amount",
        "payment_status", "stock_state", "delivery_type_id", "delivery_address", "delivery_address_text",
        "tracking_number", "utm", "problems", "needs_attention", "created_at", "updated_at",
    ])  # fmt: skip
    t_line = w.table(OrderLine, [
        "id", "order_id", "offer_id", "sku", "name", "quantity", "price", "catalog_price", "discount_amount",
        "discount_percent", "purchase_price", "total", "status", "reserved", "stock_state", "position",
    ])  # fmt: skip
    t_payment = w.table(Payment, ["id", "order_id", "payment_type_id", "type_raw", "amount", "status", "paid_at",
                                  "created_at"])  # fmt: skip
    t_move = w.table(Movement, ["id", "at", "kind", "offer_id", "warehouse_id", "on_hand_delta", "reserved_delta",
                                "reason", "order_id", "order_line_id", "actor_type", "actor_id", "actor_label"])  # fmt: skip
    t_res = w.table(
        Reservation, ["id", "order_id", "line_id", "offer_id", "warehouse_id", "quantity", "shipped"]
    )
    t_change = w.table(Change, ["id", "at", "entity", "entity_id", "action", "changes", "actor_type", "actor_id",
                                "actor_label", "source"])  # fmt: skip
    t_link = w.table(ChangeLink, ["id", "change_id", "entity", "entity_id"])
    batch_tables = (t_order, t_line, t_payment, t_move, t_res, t_change, t_link)

    offer_weights = _cum(1.0 / (r + 20) ** 0.9 for r in range(n_offers))
    offer_ids = list(range(1, n_offers + 1))
    rng.shuffle(offer_ids)  # popularity is not by id
    held = [Decimal(0)] * (n_offers + 1)
    shipped_qty = [Decimal(0)] * (n_offers + 1)
    store_numbers = [0] * len(STORES)
    channel_cum = _cum([c[1] for c in CHANNELS])
    delivery_cum = _cum([d[2] for d in DELIVERY])
    line_counts = [1] * 25 + [2] * 25 + [3] * 20 + [4] * 15 + [5] * 10 + [6, 6, 7, 8, 8]
    # Continue after rows the small-table services already wrote (the API key's change, ...).
    ids = {
        "line": _max_id(OrderLine), "payment": _max_id(Payment), "move": _max_id(Movement),
        "res": _max_id(Reservation), "change": _max_id(Change), "link": _max_id(ChangeLink),
    }  # fmt: skip
    ZERO = Decimal(0)
    mix_bounds = [m[0] for m in MIX]
    retail_ordertype = order_types.get("retail")
    wholesale_ordertype = order_types.get("wholesale", retail_ordertype)
    open_order_ids: list[int] = []

    for oid in range(1, n_orders + 1):
        created = moments[oid - 1]
        cust = buyers[oid - 1]
        si = cust_store[cust]
        store_code, _sn, _cur, locale, _sw, _region = STORES[si]
        store_id = store_list[si].pk
        store_numbers[si] += 1
        number = f"{store_code[:2].upper()}-{store_numbers[si]}"
        age_days = (now - created).total_seconds() / 86400
        path_key = _pick(MIX[bisect.bisect_left(mix_bounds, age_days)][1], rng)
        path = PATHS[path_key]
        final_code = path[-1]
        status_id, is_final, is_cancelled = statuses[final_code]
        # Step times: spread over the typical span, never in the future.
        span = min(SPAN_DAYS.get(path_key, 0.5) * 86400, (now - created).total_seconds() * 0.9)
        fractions = sorted(rng.random() for _ in range(len(path) - 1))
        steps = [created] + [created + dt.timedelta(seconds=span * f) for f in fractions]
        last_at = steps[-1]
        shipped_at = steps[path.index("shipped")] if "shipped" in path else None
        cancel_at = last_at if final_code == "cancelled" else None

        ch_code = CHANNELS[bisect.bisect_right(channel_cum, rng.random() * channel_cum[-1])][0]
        d_code, d_cost, _dw = DELIVERY[bisect.bisect_right(delivery_cum, rng.random() * delivery_cum[-1])]
        manager_id = None if (final_code == "new" and rng.random() < 0.5) else rng.choice(managers)
        # Lines
        n_lines = rng.choice(line_counts)
        picked = rng.choices(offer_ids, cum_weights=offer_weights, k=n_lines)
        line_amounts = []
        sku_list = []
        for pos, offer in enumerate(picked):
            ids["line"] += 1
            lid = ids["line"]
            r = rng.random()
            qty = Decimal(1 if r < 0.8 else 2 if r < 0.95 else 3)
            price = offer_price[offer]
            pct = Decimal(rng.choice((5, 10, 15))) if rng.random() < 0.1 else ZERO
            amounts = totals.line_amounts(quantity=qty, price=price, discount_percent=pct)
            line_amounts.append((amounts, qty, offer_purchase[offer]))
            sku_list.append(f"{offer_sku[offer]} × {qty}")
            if final_code in ("cancelled",):
                l_reserved, l_state = ZERO, "released"
            elif shipped_at is not None:
                l_reserved, l_state = ZERO, "shipped"
            else:
                l_reserved, l_state = qty, "reserved"
            t_line.add((lid, oid, offer, offer_sku[offer], offer_name[offer], qty, price, price, ZERO, pct,
                        offer_purchase[offer], amounts.total, "active", l_reserved, l_state, pos))  # fmt: skip
            # Stock ledger: reserve at creation, then write off at shipment or release at cancellation.
            ids["move"] += 1
            t_move.add((ids["move"], created, "reservation", offer, main_wh, ZERO, qty, "", oid, lid,
                        "api_key", api_key_id, "bench"))  # fmt: skip
            if shipped_at is not None:
                ids["move"] += 1
                t_move.add((ids["move"], shipped_at, "write_off", offer, main_wh, -qty, -qty, "shipment", oid, lid,
                            "user", manager_id, "manager"))  # fmt: skip
                shipped_qty[offer] += qty
                res_qty, res_shipped = ZERO, qty
            elif cancel_at is not None:
                ids["move"] += 1
                t_move.add((ids["move"], cancel_at, "release", offer, main_wh, ZERO, -qty, "", oid, lid,
                            "user", manager_id, "manager"))  # fmt: skip
                res_qty, res_shipped = ZERO, ZERO
            else:
                held[offer] += qty
                res_qty, res_shipped = qty, ZERO
            ids["res"] += 1
            t_res.add((ids["res"], oid, lid, offer, main_wh, res_qty, res_shipped))
        order_discount = Decimal(100) if rng.random() < 0.05 else ZERO
        amounts = totals.order_amounts(
            lines=line_amounts, discount_amount=order_discount, delivery_cost=d_cost
        )
        total = amounts.total
        # Payments
        payments = []
        p_type = rng.choice(PAYMENT_TYPES)
        if final_code in ("delivered", "shipped") or (
            final_code in ("confirmed", "assembling", "assembled") and rng.random() < 0.6
        ):
            payments.append(("paid", total, shipped_at or created))
        elif final_code == "awaiting-payment" and rng.random() < 0.1:
            payments.append(("paid", _money(total / 2), created))
        elif final_code == "returned" or (final_code == "cancelled" and rng.random() < 0.1):
            payments.append(("refunded", total, last_at))
        for p_status, p_amount, p_at in payments:
            ids["payment"] += 1
            t_payment.add(
                (ids["payment"], oid, payment_types.get(p_type), p_type, p_amount, p_status, p_at, p_at)
            )
        pay_status, paid = totals.payment_status(total=total, payments=[(s, a) for s, a, _ in payments])
        stock_state = "released" if final_code == "cancelled" else "shipped" if shipped_at else "reserved"
        _phone_raw, phone_e164 = c_phone[cust]
        problems = "[]"
        attention = False
        if not is_final and rng.random() < 0.02:
            problems = json.dumps([{"code": "price_mismatch", "detail": "", "line": 0}])
            attention = True
        overdue_at = None
        if not is_final and STATUS_LIMITS.get(final_code):
            overdue_at = last_at + dt.timedelta(minutes=STATUS_LIMITS[final_code])
        utm = (
            '{"utm_source": "google", "utm_medium": "cpc"}'
            if ch_code == "web" and rng.random() < 0.4
            else "{}"
        )
        city = rng.choice(CITIES[locale])
        address = f"{city}, {rng.choice(pools.streets[locale])} {rng.randrange(1, 200)}"
        t_order.add((
            oid, store_id, number, f"{store_code}-{oid}" if ch_code in ("web", "marketplace", "api") else "",
            cust, manager_id, channels.get(ch_code),
            wholesale_ordertype if rng.random() < 0.05 else retail_ordertype,
            status_id, last_at, is_cancelled, is_final, overdue_at,
            cancel_reasons[rng.choice(CANCEL_REASONS)] if is_cancelled and final_code != "returned" else None,
            c_name[cust][:310], phone_e164, phone_e164[1:], c_email[cust], "retail", amounts.subtotal,
            order_discount, ZERO, amounts.discount_total, amounts.delivery_cost, total, amounts.purchase_total,
            paid, pay_status, stock_state, delivery_types.get(d_code),
            json.dumps({"city": city, "text": address}, ensure_ascii=False), address,
            f"TRK{oid:010d}" if shipped_at else "", utm, problems, attention, created, last_at,
        ))  # fmt: skip
        if not is_final:
            open_order_ids.append(oid)
        # Customer metrics (what customers.metrics computes from non-cancelled orders)
        if c_any_first[cust] is None:
            c_any_first[cust] = created
        if not is_cancelled:
            c_orders[cust] += 1
            c_spent[cust] += total
            if c_first[cust] is None:
                c_first[cust] = created
            c_last[cust] = created
        # Change log: created, then one row per status step, each on the customer's timeline too.
        actor = ("api_key", api_key_id, "bench", "api") if ch_code in ("web", "api", "marketplace") else (
            "user", manager_id or managers[0], "manager", "ui")  # fmt: skip
        ids["change"] += 1
        created_changes = json.dumps({
            "number": [None, number], "status": [None, "new"], "total": [None, str(total)], "lines": [None, sku_list],
        }, ensure_ascii=False)  # fmt: skip
        t_change.add((ids["change"], created, "order", oid, "created", created_changes, *actor))
        ids["link"] += 1
        t_link.add((ids["link"], ids["change"], "customer", cust))
        for i in range(1, len(path)):
            ids["change"] += 1
            changes = {"status": [path[i - 1], path[i]]}
            if path[i] == "shipped":
                changes["stock_state"] = ["", "shipped"]
            elif path[i] == "cancelled":
                changes["stock_state"] = ["", "released"]
            t_change.add((ids["change"], steps[i], "order", oid, "status_changed", json.dumps(changes), "user",
                          manager_id or managers[0], "manager", "ui"))  # fmt: skip
            ids["link"] += 1
            t_link.add((ids["link"], ids["change"], "customer", cust))
        if oid % 20_000 == 0:
            w.flush(*batch_tables)
            if oid % 100_000 == 0:
                log(f"orders: {oid}/{n_orders} ({time.monotonic() - started:.0f} s)")
    w.flush(*batch_tables)
    log(
        f"orders: {n_orders}, lines {t_line.count}, movements {t_move.count}, changes {t_change.count} "
        f"({time.monotonic() - started:.0f} s)"
    )

    # --- customers with their metrics ----------------------------------------------------------
    t_cust = w.table(Customer, [
        "id", "store_id", "first_name", "last_name", "patronymic", "search_name", "language", "source",
        "orders_count", "total_spent", "average_order", "first_order_at", "last_order_at", "rfm_class",
        "lifetime_days", "created_at", "updated_at", "consent_email",
    ])  # fmt: skip
    t_phone = w.table(
        CustomerPhone, ["id", "customer_id", "raw", "e164", "digits", "is_valid", "kind", "position"]
    )
    t_email = w.table(CustomerEmail, ["id", "customer_id", "raw", "email", "is_valid", "position"])
    thresholds = {"recency_days": [30, 180], "frequency": [2, 5], "monetary": ["5000", "20000"]}
    now_aware = now
    phone_id = email_id = 0
    langs = {"ru_RU": "ru", "uk_UA": "uk", "en_US": "en", "zh_CN": "zh-hans"}
    for c in range(1, n_customers + 1):
        first, last, middle = c_parts[c]
        locale = STORES[cust_store[c]][3]
        n, spent = c_orders[c], _money(c_spent[c])
        base = c_any_first[c] or (now - dt.timedelta(days=rng.randrange(1, HISTORY_DAYS)))
        created = base - dt.timedelta(minutes=rng.randrange(0, 30 * 1440))
        days = (now_aware - c_last[c]).days if c_last[c] else None
        rfm = rfm_class(days_since_last=days, orders=n, spent=spent, thresholds=thresholds)
        lifetime = max((now - created).days, 0)
        if c_first[c]:
            lifetime = max((now - c_first[c]).days, lifetime)
        search = " ".join(p.strip().lower() for p in (first, last, middle) if p)[:310]
        t_cust.add((c, store_list[cust_store[c]].pk, first, last, middle, search, langs[locale], "bench", n, spent,
                    _money(spent / n) if n else Decimal("0.00"), c_first[c], c_last[c], rfm, lifetime, created,
                    now, rng.random() < 0.4))  # fmt: skip
        phone_id += 1
        raw, e164 = c_phone[c]
        t_phone.add((phone_id, c, raw, e164, e164[1:], True, "mobile", 0))
        if rng.random() < 0.1:
            phone_id += 1
            raw2, e2 = phone_for(STORES[cust_store[c]][5], rng)
            t_phone.add((phone_id, c, raw2, e2, e2[1:], True, "home", 1))
        if c_email[c]:
            email_id += 1
            t_email.add((email_id, c, c_email[c], c_email[c], True, 0))
        if c % 50_000 == 0:
            w.flush(t_cust, t_phone, t_email)
    w.flush(t_cust, t_phone, t_email)
    log(f"customers: {n_customers} ({time.monotonic() - started:.0f} s)")

    # --- stock: receipts so that on hand covers what shipped and what is held, plus free stock ---
    t_level = w.table(StockLevel, ["id", "offer_id", "warehouse_id", "on_hand", "reserved"])
    level_id = 0
    receipt_at = now - dt.timedelta(days=HISTORY_DAYS + 1)
    for o in range(1, n_offers + 1):
        free = Decimal(rng.randrange(0, 60))
        on_hand = held[o] + free
        level_id += 1
        t_level.add((level_id, o, main_wh, on_hand, held[o]))
        ids["move"] += 1
        t_move.add((ids["move"], receipt_at, "receipt", o, main_wh, on_hand + shipped_qty[o], ZERO, "initial stock",
                    None, None, "system", None, "system"))  # fmt: skip
        if rng.random() < 0.3:
            spare = Decimal(rng.randrange(1, 30))
            level_id += 1
            t_level.add((level_id, o, spare_wh, spare, ZERO))
            ids["move"] += 1
            t_move.add((ids["move"], receipt_at, "receipt", o, spare_wh, spare, ZERO, "initial stock", None, None,
                        "system", None, "system"))  # fmt: skip
        if o % 50_000 == 0:
            w.flush(t_level, t_move)
    w.flush(t_level, t_move)
    for si, store in enumerate(store_list):
        StoreOrderSettings.objects.filter(store=store).update(last_number=store_numbers[si])
    log(f"stock: {level_id} levels ({time.monotonic() - started:.0f} s)")

    load_done = time.monotonic()
    log("indexes...")
    w.end_load(log)
    _finish(log)
    elapsed = time.monotonic() - started
    log(f"generated {size} in {elapsed:.0f} s (indexes and analyze {time.monotonic() - load_done:.0f} s)")
    return {
        "size": size,
        "seed": seed,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generation_seconds": round(elapsed, 1),
        "api_key": small["api_key"],
        "admin_id": small["admin"],
        "counts": {t.name: t.count for t in w.tables.values()},
        "stores": [s[0] for s in STORES],
        "max_order_id": n_orders,
        "open_orders_sample": rng.sample(open_order_ids, min(200, len(open_order_ids))),
    }


def _max_id(model) -> int:
    from django.db.models import Max

    return model.objects.aggregate(m=Max("id"))["m"] or 0


def _finish(log) -> None:
    """Sequences past the explicit ids; planner statistics."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    models = [m for m in apps.get_models() if m._meta.app_label in {"catalog", "customers", "orders", "inventory",
                                                                      "core", "stores", "accounts"}]  # fmt: skip
    from shopkeeper.orders import counts

    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cur.execute(sql)
        counts.recount()  # the list's group counters, as the services keep them
        log("analyze...")
        cur.execute("ANALYZE")
