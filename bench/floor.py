"""The raw-SQL floor of W1: one order's inserts and updates issued with the driver, no framework.

Per order, in one transaction: customer upsert (find by phone, else insert customer + phone + email),
the store's order counter, the order and its store/status count, 3 lines, 3 stock reservations (guarded UPDATE of the stock row in
offer order + movement + reservation row), the change-log row + its customer link + the outbox event,
and the customer's metrics. The same number of clients as W1 (threads, one connection each).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import threading
import time
import uuid
from decimal import Decimal

from .load import Result


def _insert_sql(table, placeholder: str, returning: bool = True) -> str:
    cols = ", ".join(f'"{c}"' for c in table.all_columns)
    marks = ", ".join(placeholder for _ in table.all_columns)
    return f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})' + (" RETURNING id" if returning else "")


class Floor:
    def __init__(self, *, vendor: str, dsn: str, data: dict) -> None:
        from shopkeeper.core.models import Change, ChangeLink, Event
        from shopkeeper.customers.models import Customer, CustomerEmail, CustomerPhone
        from shopkeeper.inventory.models import Movement, Reservation
        from shopkeeper.orders.models import Order, OrderLine

        from .writer import Table

        self.vendor, self.dsn, self.data = vendor, dsn, data
        ph = "%s" if vendor == "postgresql" else "?"
        self.ph = ph
        self.t = {
            "customer": Table(
                Customer, ["store_id", "first_name", "last_name", "search_name", "created_at", "updated_at"]
            ),
            "phone": Table(CustomerPhone, ["customer_id", "raw", "e164", "digits"]),
            "email": Table(CustomerEmail, ["customer_id", "raw", "email"]),
            "order": Table(
                Order,
                [
                    "store_id",
                    "number",
                    "customer_id",
                    "channel_id",
                    "order_type_id",
                    "status_id",
                    "status_changed_at",
                    "customer_name",
                    "phone",
                    "phone_digits",
                    "email",
                    "subtotal",
                    "total",
                    "stock_state",
                    "created_at",
                    "updated_at",
                ],
            ),
            "line": Table(
                OrderLine,
                [
                    "order_id",
                    "offer_id",
                    "sku",
                    "name",
                    "quantity",
                    "price",
                    "catalog_price",
                    "total",
                    "reserved",
                    "stock_state",
                    "position",
                ],
            ),
            "move": Table(
                Movement,
                [
                    "at",
                    "kind",
                    "offer_id",
                    "warehouse_id",
                    "reserved_delta",
                    "order_id",
                    "order_line_id",
                    "actor_type",
                    "actor_id",
                    "actor_label",
                ],
            ),
            "res": Table(Reservation, ["order_id", "line_id", "offer_id", "warehouse_id", "quantity"]),
            "change": Table(
                Change,
                [
                    "at",
                    "entity",
                    "entity_id",
                    "action",
                    "changes",
                    "actor_type",
                    "actor_id",
                    "actor_label",
                    "source",
                ],
            ),
            "link": Table(ChangeLink, ["change_id", "entity", "entity_id"]),
            "event": Table(Event, ["at", "name", "entity", "entity_id", "payload", "change_id"]),
        }
        self.sql = {k: _insert_sql(t, ph, returning=k not in {"phone", "email", "move", "res", "link"})
                    for k, t in self.t.items()}  # fmt: skip

    def connect(self):
        if self.vendor == "postgresql":
            import psycopg

            conn = psycopg.connect(self.dsn)
            conn.execute("SET TIME ZONE 'UTC'")
            conn.commit()
            return conn
        conn = sqlite3.connect(self.dsn, isolation_level=None, timeout=30, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def _now(self):
        now = dt.datetime.now(dt.UTC)
        return now if self.vendor == "postgresql" else now.replace(tzinfo=None)

    def one_order(self, conn, rng: random.Random) -> None:
        d, ph, sql, t = self.data, self.ph, self.sql, self.t
        store_id = rng.choice(d["store_ids"])
        now = self._now()
        if rng.random() < 0.5 and d["returning"].get(store_id):
            first, last, e164, email = rng.choice(d["returning"][store_id])
        else:
            first, last = "Floor", f"Buyer{rng.randrange(10**9)}"
            e164, email = f"+7999{rng.randrange(10**7):07d}", f"floor{uuid.uuid4().hex[:12]}@example.com"
        offers = sorted(rng.sample(d["offers"], 3))
        pg = self.vendor == "postgresql"
        cur = conn.cursor()
        if not pg:
            cur.execute("BEGIN IMMEDIATE")
        try:
            cur.execute(
                f"SELECT c.id FROM customers_customerphone p JOIN customers_customer c ON c.id = p.customer_id "
                f"WHERE p.e164 = {ph} AND c.store_id = {ph} ORDER BY c.id LIMIT 1",
                (e164, store_id),
            )
            row = cur.fetchone()
            if row:
                customer_id = row[0]
            else:
                cur.execute(sql["customer"], (store_id, first, last, f"{first} {last}".lower(), now, now, *t["customer"].const))  # fmt: skip
                customer_id = cur.fetchone()[0]
                cur.execute(sql["phone"], (customer_id, e164, e164, e164[1:], *t["phone"].const))
                cur.execute(sql["email"], (customer_id, email, email, *t["email"].const))
            cur.execute(
                f"UPDATE orders_storeordersettings SET last_number = last_number + 1 WHERE store_id = {ph} "
                f"RETURNING number_prefix, last_number",
                (store_id,),
            )
            prefix, number = cur.fetchone()
            lines = [(offer_id, sku, price, Decimal(1)) for offer_id, sku, price in offers]
            total = sum((price * q for _o, _s, price, q in lines), Decimal(0))
            cur.execute(sql["order"], (store_id, f"{prefix}{number}", customer_id, d["channel_id"], d["order_type_id"], d["status_id"], now, f"{last} {first}", e164, e164[1:], email, total, total, "reserved", now, now, *t["order"].const))  # fmt: skip
            order_id = cur.fetchone()[0]
            cur.execute(
                f"UPDATE orders_statuscount SET count = count + 1 WHERE store_id = {ph} AND status_id = {ph}",
                (store_id, d["status_id"]),
            )
            line_ids = []
            for pos, (offer_id, sku, price, q) in enumerate(lines):
                cur.execute(sql["line"], (order_id, offer_id, sku, sku, q, price, price, price * q, q, "reserved", pos, *t["line"].const))  # fmt: skip
                line_ids.append(cur.fetchone()[0])
            for (offer_id, _sku, _price, q), line_id in zip(lines, line_ids, strict=True):
                cur.execute(
                    f"UPDATE inventory_stocklevel SET reserved = reserved + {ph} WHERE offer_id = {ph} "
                    f"AND warehouse_id = {ph} AND on_hand - reserved >= {ph}",
                    (q, offer_id, d["warehouse_id"], q),
                )
                if cur.rowcount:
                    cur.execute(sql["move"], (now, "reservation", offer_id, d["warehouse_id"], q, order_id, line_id, "api_key", None, "floor", *t["move"].const))  # fmt: skip
                    cur.execute(
                        sql["res"], (order_id, line_id, offer_id, d["warehouse_id"], q, *t["res"].const)
                    )
                else:
                    cur.execute(
                        f"UPDATE orders_orderline SET reserved = 0, stock_state = 'out_of_stock' WHERE id = {ph}",
                        (line_id,),
                    )
            changes = json.dumps({"number": [None, f"{prefix}{number}"], "total": [None, str(total)]})
            cur.execute(sql["change"], (now, "order", order_id, "created", changes, "api_key", None, "floor", "api", *t["change"].const))  # fmt: skip
            change_id = cur.fetchone()[0]
            cur.execute(sql["link"], (change_id, "customer", customer_id, *t["link"].const))
            cur.execute(sql["event"], (now, "order.created", "order", order_id, json.dumps({"order_id": order_id}), change_id, *t["event"].const))  # fmt: skip
            cur.execute(
                f"UPDATE customers_customer SET orders_count = orders_count + 1, total_spent = total_spent + {ph}, "
                f"last_order_at = {ph} WHERE id = {ph}",
                (total if pg else str(total), now, customer_id),
            )
            if pg:
                conn.commit()
            else:
                cur.execute("COMMIT")
        except Exception:
            if pg:
                conn.rollback()
            else:
                cur.execute("ROLLBACK")
            raise


def floor_data() -> dict:
    """What the floor needs, read once through the ORM (not timed)."""
    from shopkeeper.catalog.models import Price
    from shopkeeper.customers.models import CustomerPhone
    from shopkeeper.inventory.models import Warehouse
    from shopkeeper.orders.models import Channel, OrderType, Status
    from shopkeeper.stores.models import Store

    store_ids = list(Store.objects.values_list("pk", flat=True))
    offers = [
        (p.offer_id, p.offer.sku, p.amount)
        for p in Price.objects.select_related("offer")
        .filter(price_type__code="retail")
        .order_by("offer_id")[:2000]
    ]
    returning: dict[int, list] = {}
    for p in CustomerPhone.objects.select_related("customer").exclude(e164="").order_by("?")[:2000]:
        c = p.customer
        returning.setdefault(c.store_id, []).append(
            (c.first_name, c.last_name, p.e164, f"floor{c.pk}@example.com")
        )
    return {
        "store_ids": store_ids,
        "offers": offers,
        "returning": returning,
        "warehouse_id": Warehouse.objects.order_by("priority").first().pk,
        "channel_id": Channel.objects.get(code="api").pk,
        "order_type_id": OrderType.objects.order_by("position").first().pk,
        "status_id": Status.objects.get(code="new").pk,
    }


def run_floor(*, vendor: str, dsn: str, clients: int, duration: float) -> Result:
    floor = Floor(vendor=vendor, dsn=dsn, data=floor_data())
    result = Result(
        id="W1-floor", name=f"raw-SQL floor of W1, {clients} clients", clients=clients, unit="orders/s"
    )
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = floor.connect()
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    floor.one_order(conn, rng)
                    ok, err = True, ""
                except Exception as exc:
                    ok, err = False, repr(exc)
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    result.requests += 1
                    if ok:
                        result.latencies_ms.append(ms)
                    else:
                        result.errors += 1
                        result.error_samples.append(err[:200])
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    result.seconds = time.perf_counter() - started
    return result
