"""Demo orders: a year of history written through bulk paths (totals computed by totals.py, change
log rows included), plus the recent open orders created through the services so stock reservations
and the ledger are real."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from shopkeeper.accounts.models import User, WorkStatus
from shopkeeper.catalog.models import Offer, Price
from shopkeeper.core.changes import Actor
from shopkeeper.core.demo import DemoContext
from shopkeeper.core.models import ActorType, Change, ChangeLink
from shopkeeper.customers.demo import email_of
from shopkeeper.customers.metrics import recompute_all
from shopkeeper.customers.models import Company, CompanyContact, Customer
from shopkeeper.stores.models import Store

from . import counts, services, totals
from .models import (
    CancelReason,
    Channel,
    DeliveryType,
    LineStatus,
    Order,
    OrderLine,
    OrderType,
    Payment,
    PaymentState,
    PaymentType,
    Status,
    StockAction,
    StoreOrderSettings,
)

HISTORY = {"S": 3000, "M": 30000, "L": 100000}
LIVE = {"S": 40, "M": 80, "L": 120}
PREFIX = {"main": "NW-", "moscow": "MSK-", "kyiv": "KV-"}
# Stores whose customers keep their first manager (the large US shop shares its customers out).
KEEP_MANAGER = {"moscow", "kyiv"}


def load(ctx: DemoContext) -> None:
    if Order.objects.exists():
        ctx.log("  orders exist; left as they are")
        return
    rng = random.Random(ctx.seed)
    stores = list(Store.objects.filter(is_active=True))
    offers = list(
        Offer.objects.filter(is_active=True, product__is_active=True).select_related("product")[:2000]
    )
    if not stores or not offers:
        ctx.log("  no stores or offers; skipped")
        return
    for store in stores:
        StoreOrderSettings.objects.get_or_create(
            store=store,
            defaults={
                "number_prefix": PREFIX.get(store.code, ""),
                "customers_keep_manager": store.code in KEEP_MANAGER,
            },
        )
    User.objects.filter(groups__name__in=["Manager", "Head of sales"]).update(work_status=WorkStatus.ONLINE)
    _history(ctx, rng, stores, offers, HISTORY[ctx.size])
    _live(ctx, rng, stores, offers, LIVE[ctx.size])
    _intake(ctx, rng, stores, offers)


def _buyer_weights(customers: list[Customer]) -> list[float]:
    """Cumulative weights for picking who buys, 1 / (rank + a tenth of the customers): whatever the
    store's size, its most loyal customer orders some eleven times as often as its least loyal one and
    gets some 4% of its orders."""
    offset = max(1, len(customers) // 10)
    total = 0.0
    cumulative = []
    for rank in range(len(customers)):
        total += 1 / (rank + offset)
        cumulative.append(total)
    return cumulative


def _history(ctx, rng, stores, offers, count) -> None:
    statuses = {s.code: s for s in Status.objects.select_related("group")}
    channels = list(Channel.objects.all())
    channel_weights = [5 if c.code == "web" else 3 if c.code == "phone" else 1 for c in channels]
    retail = OrderType.objects.get(code="retail")
    wholesale = OrderType.objects.filter(code="wholesale").first() or retail
    deliveries = list(DeliveryType.objects.all())
    payment_types = list(PaymentType.objects.all())
    reasons = list(CancelReason.objects.all())
    managers = list(User.objects.filter(groups__name__in=["Manager", "Head of sales"]))
    prices = {(p.offer_id, p.price_type.code): p.amount for p in Price.objects.select_related("price_type")}
    customers_by_store = {
        s.pk: list(
            Customer.objects.filter(store=s, merged_into__isnull=True)
            .select_related("store")
            .prefetch_related("phones", "emails")
        )
        for s in stores
    }
    for customers in customers_by_store.values():
        rng.shuffle(customers)  # the loyal ones are not the first created
    weights = {pk: _buyer_weights(customers) for pk, customers in customers_by_store.items()}
    by_pk = {c.pk: c for customers in customers_by_store.values() for c in customers}
    # Wholesale orders come from companies, placed by one of their contact persons.
    buyers_by_store: dict[int, list[tuple[Company, Customer]]] = {}
    for link in CompanyContact.objects.select_related("company").order_by("company_id", "id"):
        contact = by_pk.get(link.customer_id)
        if contact is not None and link.company.store_id == contact.store_id:
            buyers_by_store.setdefault(link.company.store_id, []).append((link.company, contact))
    now = timezone.now()
    start = now - dt.timedelta(days=365)
    counters = dict.fromkeys([s.pk for s in stores], 0)
    prefix = {s.store_id: s.number_prefix for s in StoreOrderSettings.objects.all()}
    keep = set(
        StoreOrderSettings.objects.filter(customers_keep_manager=True).values_list("store_id", flat=True)
    )
    # (model, id) -> the customer's or the company's manager, in the stores whose customers keep one
    own: dict[tuple[type, int], User] = {}
    locales = {"moscow": "ru_RU", "kyiv": "uk_UA"}
    addresses = {
        s.code: [
            ctx.faker[locales.get(s.code, "en_US")].address().replace("\n", ", ")[:500] for _ in range(200)
        ]
        for s in stores
    }
    final_weights = [
        ("delivered", 70),
        ("cancelled", 14),
        ("returned", 3),
        ("shipped", 5),
        ("confirmed", 3),
        ("assembling", 3),
        ("no-answer", 2),
    ]
    batch: list[tuple[Order, list[OrderLine], list[Payment]]] = []

    def flush() -> None:
        with transaction.atomic():
            Order.objects.bulk_create([o for o, _l, _p in batch])
            lines = [ln for o, ls, _p in batch for ln in ls]
            for o, ls, ps in batch:
                for ln in ls:
                    ln.order = o
                for p in ps:
                    p.order = o
            OrderLine.objects.bulk_create(lines)
            Payment.objects.bulk_create([p for _o, _l, ps in batch for p in ps])
            changes = []
            for o, _l, _p in batch:
                changes.append(
                    Change(
                        at=o.created_at,
                        entity="order",
                        entity_id=o.pk,
                        action="created",
                        changes={
                            "number": [None, o.number],
                            "status": [None, "new"],
                            "total": [None, str(o.total)],
                        },
                        **_actor_of(o, site=bool(o.channel and o.channel.code == "web")),
                        source="demo",
                    )
                )
                if o.status.code != "new":
                    changes.append(
                        Change(
                            at=o.status_changed_at,
                            entity="order",
                            entity_id=o.pk,
                            action="status_changed",
                            changes={"status": ["new", o.status.code]},
                            **_actor_of(o),
                            source="demo",
                        )
                    )
            changes.sort(key=lambda c: c.at)  # a status change came hours after its order
            Change.objects.bulk_create(changes)
            # The customer's and the company's timelines show their orders' changes (services._related).
            related = {o.pk: {"customer": o.customer_id, "company": o.company_id} for o, _l, _p in batch}
            ChangeLink.objects.bulk_create(
                [
                    ChangeLink(change=c, entity=entity, entity_id=entity_id)
                    for c in changes
                    for entity, entity_id in related[c.entity_id].items()
                    if entity_id
                ]
            )
        batch.clear()

    # Seasonality: more orders in November-December, fewer in summer. The moments are drawn first and
    # the orders written oldest first, so ids, numbers and the change log run in time as they would.
    moments = []
    for _ in range(count):
        while True:
            created = start + dt.timedelta(seconds=rng.random() * 365 * 86400)
            season = 1.0 + (0.8 if created.month in (11, 12) else -0.3 if created.month in (6, 7, 8) else 0.0)
            if rng.random() < season / 1.8:
                break
        if (now - created).days >= 3:
            moments.append(created)
    moments.sort()
    for i, created in enumerate(moments):
        store = rng.choices(stores, weights=[5, 3, 2][: len(stores)] + [1] * max(0, len(stores) - 3))[0]
        customers = customers_by_store.get(store.pk) or []
        if not customers:
            continue
        age_days = (now - created).days
        code = rng.choices([c for c, _w in final_weights], weights=[w for _c, w in final_weights])[0]
        if age_days > 30 and code in ("confirmed", "assembling", "no-answer", "shipped"):
            code = "delivered"
        status = statuses[code]
        company = None
        order_type = wholesale if rng.random() < 0.08 else retail
        if order_type is wholesale and buyers_by_store.get(store.pk):
            company, customer = rng.choice(buyers_by_store[store.pk])
        else:
            customer = rng.choices(customers, cum_weights=weights[store.pk])[0]
        price_type = "wholesale" if order_type is wholesale else "retail"
        counters[store.pk] += 1
        phone = next(iter(customer.phones.all()), None)
        email = next(iter(customer.emails.all()), None)
        delivery = rng.choice(deliveries)
        manager = rng.choice(managers) if managers else None
        if manager is not None and store.pk in keep and rng.random() < 0.9:  # else a colleague stands in
            manager = own.setdefault((Company, company.pk) if company else (Customer, customer.pk), manager)
        order = Order(
            store=store,
            number=f"{prefix.get(store.pk, '')}{counters[store.pk]}",
            external_id=str(100000 + i) if rng.random() < 0.6 else "",
            customer=customer,
            company=company,
            manager=manager,
            channel=rng.choices(channels, weights=channel_weights)[0],
            order_type=order_type,
            status=status,
            status_changed_at=created + dt.timedelta(hours=rng.randint(1, 72)),
            is_cancelled=status.group.is_cancelled,
            is_final=status.group.is_final,
            customer_name=customer.full_name[:310],
            phone=(phone.e164 or phone.raw) if phone else "",
            phone_digits=phone.digits[:20] if phone else "",
            email=email.email if email else "",
            price_type=price_type,
            delivery_type=delivery,
            delivery_cost=delivery.default_cost,
            delivery_address_text=addresses[store.code][i % len(addresses[store.code])]
            if delivery.code != "pickup"
            else "",
            tracking_number=f"TRK{rng.randint(10**9, 10**10)}" if code in ("shipped", "delivered") else "",
            cancel_reason=rng.choice(reasons) if status.group.is_cancelled and reasons else None,
            utm={"source": rng.choice(["google", "yandex", "direct", "email", "instagram"])}
            if rng.random() < 0.4
            else {},
            created_at=created,
            updated_at=created,
            stock_state="shipped"
            if code in ("shipped", "delivered")
            else "released"
            if status.group.is_cancelled
            else "",
        )
        lines = []
        for position, offer in enumerate(
            rng.sample(offers, k=min(len(offers), rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]))
        ):
            price = (
                prices.get((offer.pk, price_type)) or prices.get((offer.pk, "retail")) or Decimal("100.00")
            )
            quantity = Decimal(rng.choices([1, 2, 3], weights=[80, 15, 5])[0])
            percent = Decimal(rng.choice([0, 0, 0, 5, 10]))
            amounts = totals.line_amounts(quantity=quantity, price=price, discount_percent=percent)
            lines.append(
                OrderLine(
                    offer=offer,
                    sku=offer.sku,
                    name=offer.name,
                    quantity=quantity,
                    price=price,
                    catalog_price=price,
                    discount_percent=percent,
                    purchase_price=offer.purchase_price,
                    total=amounts.total,
                    position=position,
                    status=LineStatus.ACTIVE,
                    stock_state=order.stock_state,
                )
            )
        amounts = totals.order_amounts(
            lines=[
                (
                    totals.line_amounts(
                        quantity=ln.quantity, price=ln.price, discount_percent=ln.discount_percent
                    ),
                    ln.quantity,
                    ln.purchase_price,
                )
                for ln in lines
            ],
            delivery_cost=order.delivery_cost,
        )
        order.subtotal, order.discount_total, order.total = (
            amounts.subtotal,
            amounts.discount_total,
            amounts.total,
        )
        order.purchase_total = amounts.purchase_total
        payments = []
        if code in ("delivered", "shipped", "returned") or (code == "confirmed" and rng.random() < 0.5):
            state = PaymentState.REFUNDED if code == "returned" else PaymentState.PAID
            payments.append(
                Payment(
                    payment_type=rng.choice(payment_types),
                    amount=order.total,
                    status=state,
                    paid_at=order.status_changed_at,
                )
            )
        status_paid, paid = totals.payment_status(
            total=order.total, payments=[(p.status, p.amount) for p in payments]
        )
        order.payment_status, order.paid_amount = status_paid, paid
        batch.append((order, lines, payments))
        if len(batch) >= 500:
            flush()
    if batch:
        flush()
    for store_id, n in counters.items():
        StoreOrderSettings.objects.filter(store_id=store_id).update(last_number=n)
    by_manager: dict[tuple[type, int], list[int]] = {}
    for (model, pk), manager in own.items():
        by_manager.setdefault((model, manager.pk), []).append(pk)
    for (model, manager_id), ids in by_manager.items():
        model.objects.filter(pk__in=ids).update(manager_id=manager_id)
    _reserve_open()
    _customers_since_first_order(rng)
    counts.recount()
    # Written in bulk, the history raised no events: the customers' and companies' metrics (orders,
    # spent, RFM) are computed once here, as `shopkeeper recompute_metrics` does.
    recompute_all()
    ctx.log(f"  {sum(counters.values())} historical orders")


def _actor_of(order: Order, *, site: bool = False) -> dict:
    """Who wrote a history order's change: the site (its API key), its manager, or the system."""
    if site:
        return {"actor_type": ActorType.API_KEY, "actor_label": "site"}
    if order.manager:
        return {
            "actor_type": ActorType.USER,
            "actor_id": order.manager_id,
            "actor_label": order.manager.username,
        }
    return {"actor_type": ActorType.SYSTEM, "actor_label": "system"}


def _customers_since_first_order(rng: random.Random) -> None:
    """The demo's customers were written today; each became a customer some time before their first
    order (the "created" entry of their timeline with them), the others some time in the year."""
    now = timezone.now()
    customers = list(
        Customer.objects.filter(created_at__gte=now - dt.timedelta(days=1))
        .annotate(first=Min("orders__created_at"))
        .only("id", "created_at")
    )
    for c in customers:
        before = dt.timedelta(minutes=rng.uniform(1, 60 * 24 * 30))
        c.created_at = c.updated_at = (c.first or now - dt.timedelta(days=rng.uniform(3, 365))) - before
    Customer.objects.bulk_update(customers, ["created_at", "updated_at"], batch_size=1000)
    created_at = {c.pk: c.created_at for c in customers}
    rows = [
        row
        for row in Change.objects.filter(
            entity="customer", action="created", at__gte=now - dt.timedelta(days=1)
        )
        if row.entity_id in created_at
    ]
    for row in rows:
        row.at = created_at[row.entity_id]
    Change.objects.bulk_update(rows, ["at"], batch_size=1000)


def _reserve_open() -> None:
    """The history's open orders (new to assembling) hold their stock as orders created through the
    services do, shortages flagged on the order; shipped and final ones hold none."""
    actor = Actor(type=ActorType.SYSTEM, label="demo", source="demo")
    since = timezone.now()
    for order in Order.objects.filter(is_final=False, stock_state="").select_related("store", "status"):
        problems = services._apply_stock(order, StockAction.RESERVE, actor)
        services._set_problems(order, problems)
        order.save(update_fields=["stock_state", "problems", "needs_attention"])
    # On an order's timeline the reservation is the newest entry: dated with its last move, not with
    # the minute the demo was loaded.
    moved = Order.objects.filter(pk=OuterRef("entity_id")).values("status_changed_at")
    Change.objects.filter(entity="order", at__gte=since).update(at=Subquery(moved))


def _live(ctx, rng, stores, offers, count) -> None:
    """Recent orders through the services: real reservations, events and timelines."""
    from shopkeeper.customers.services import CustomerInput

    actor = Actor(type=ActorType.API_KEY, label="site", source="demo")
    skus = [o.sku for o in offers if not o.product.is_service]
    statuses = {s.code: s for s in Status.objects.select_related("group")}
    # Some of today's buyers ordered before: the site sends their name and phone as typed, and the
    # order finds the customer with the history.
    regulars: dict[int, list[tuple[str, str, str]]] = {}
    for c in Customer.objects.filter(merged_into__isnull=True, orders_count__gt=1).prefetch_related("phones"):
        phone = next((p.e164 for p in c.phones.all() if p.e164), "")
        if phone:
            regulars.setdefault(c.store_id, []).append((c.first_name, c.last_name, phone))
    # Today's orders came in over the last two days, not all in the minute the demo was loaded.
    now = timezone.now()
    moments = sorted(now - dt.timedelta(minutes=rng.uniform(3, 48 * 60)) for _ in range(count))
    created = 0
    for i in range(count):
        store = rng.choice(stores)
        fake = _faker(ctx, store)
        if regulars.get(store.pk) and rng.random() < 0.4:
            first, last, phone = rng.choice(regulars[store.pk])
            email = ""
        else:
            first, last, phone = fake.first_name(), fake.last_name(), _phone(rng, store)
            email = email_of(fake, rng, first, last, i)
        data = services.OrderInput(
            store=store,
            external_id=f"web-{200000 + i}",
            channel=rng.choice(["web", "web", "phone", "marketplace"]),
            customer=CustomerInput(first_name=first, last_name=last, phone=phone, email=email),
            lines=[
                services.LineInput(sku=sku, quantity=Decimal(rng.choice([1, 1, 2])))
                for sku in rng.sample(skus, k=rng.choice([1, 2, 3]))
            ],
            delivery=services.DeliveryInput(
                type=rng.choice(["courier", "pickup", "post"]),
                address={"text": fake.address().replace("\n", ", ")},
            ),
            customer_comment=rng.choice(["", "", "Call before delivery", "Leave at the door"]),
        )
        if rng.random() < 0.1:
            data.lines.append(
                services.LineInput(
                    sku=f"UNKNOWN-{i}", name="Gift wrapping", quantity=Decimal(1), price=Decimal("5.00")
                )
            )
        order = services.order_create(data=data, actor=actor)
        move = rng.random()
        # The order's manager moves it on (the site only sent it).
        mover = Actor.for_user(order.manager, source="demo") if order.manager else actor
        if move < 0.35:
            services.order_set_status(order=order, status=statuses["confirmed"], actor=mover)
        elif move < 0.5:
            services.order_set_status(order=order, status=statuses["assembling"], actor=mover)
        moved = min(now, moments[i] + dt.timedelta(minutes=rng.uniform(5, 240)))
        _backdate(order, moments[i], moved, since=now)
        created += 1
    ctx.log(f"  {created} open orders through the services")


def _intake(ctx, rng, stores, offers) -> None:
    """What a site sent today through intake, as integrations send it: call-back forms, orders with
    delivery and payment codes nobody has mapped yet (created and flagged, the codes listed on the
    mappings page), and one request the intake could not read (kept in the journal with its answer)."""
    import json

    from shopkeeper.intake import services as intake

    skus = [o.sku for o in offers if not o.product.is_service]

    requests: list[tuple[str, dict]] = []
    for i, store in enumerate(stores[:2]):
        requests.append(
            (
                "form",
                {
                    "store": store.code,
                    "name": _faker(ctx, store).first_name(),
                    "phone": _phone(rng, store),
                    "message": "Please call me back about the delivery time.",
                    "page": "/product/" + rng.choice(skus).lower(),
                    "external_id": f"callback-{300 + i}",
                },
            )
        )
    for i in range(3):
        store = rng.choice(stores)
        requests.append(
            (
                "native",
                {
                    "store": store.code,
                    "external_id": f"app-{400 + i}",
                    "channel": "web",
                    "customer": {"first_name": _faker(ctx, store).first_name(), "phone": _phone(rng, store)},
                    "lines": [{"sku": rng.choice(skus), "quantity": "1"}],
                    "delivery": {
                        "type": rng.choice(["dpd-express", "boxberry"]),
                        "address": {"text": _faker(ctx, store).city()},
                    },
                    "payments": [{"type": "sbp-qr", "amount": "10.00", "status": "not_paid"}],
                },
            )
        )
    requests.append(
        ("native", {"store": stores[0].code, "external_id": "app-499", "lines": "three t-shirts"})
    )
    since = timezone.now()
    for i, (source, payload) in enumerate(requests):
        entry = intake.inbound_journal(
            source=source,
            endpoint="intake",
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        outcome = intake.inbound_run(entry_id=entry.pk, verify=False)
        if outcome.order_id:  # its customer dated with it (the order's time is taken before they are made)
            at = since - dt.timedelta(seconds=len(requests) - i)  # in order, none in the future
            _backdate(Order.objects.get(pk=outcome.order_id), at, at, since=since)
    ctx.log(f"  {len(requests)} requests through intake")


def _faker(ctx, store: Store):
    """Names and places of the store's country."""
    return ctx.faker[{"moscow": "ru_RU", "kyiv": "uk_UA"}.get(store.code, "en_US")]


def _backdate(order: Order, at: dt.datetime, moved_at: dt.datetime, since: dt.datetime) -> None:
    """Move an order made just now back to `at` (a later status to `moved_at`), with its change-log rows
    and, when it brought a new customer (anything of theirs written after `since`), the customer's; its
    time limit counts from when its status was set, as it would have."""
    order.refresh_from_db()
    changed_at = at if order.status.code == "new" else moved_at
    Order.objects.filter(pk=order.pk).update(
        created_at=at,
        updated_at=changed_at,
        status_changed_at=changed_at,
        overdue_at=services._overdue_at(order.status, changed_at),
    )
    # Its change-log rows up to the first status change (its creation and the stock it reserved) are
    # dated with the order, the rest with the move.
    rows = Change.objects.filter(entity="order", entity_id=order.pk)
    first_move = rows.filter(action="status_changed").order_by("id").values_list("id", flat=True).first()
    if first_move is None:
        rows.update(at=at)
    else:
        rows.filter(id__lt=first_move).update(at=at)
        rows.filter(id__gte=first_move).update(at=changed_at)
    if order.customer_id:
        Customer.objects.filter(pk=order.customer_id, created_at__gte=since).update(created_at=at)
        Change.objects.filter(entity="customer", entity_id=order.customer_id, at__gte=since).update(at=at)


def _phone(rng: random.Random, store: Store) -> str:
    if store.code == "moscow":
        return (
            f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        )
    if store.code == "kyiv":
        return f"+380 {rng.choice(['50', '67', '93'])} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    area = rng.choice([212, 646, 718, 917, 415, 310, 312, 617, 305, 206, 512, 404])
    return f"+1 {area} {rng.randint(201, 989)} {rng.randint(1000, 9999)}"
