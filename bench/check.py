"""Consistency check of a (generated or benchmarked) database: `python -m bench check --db ... --size ...`.

Everything the services promise, verified over all rows in SQL (and a random sample in Python with
`shopkeeper.orders.totals`): line and order totals, payment status, stock = ledger sums, reservations =
reserved stock, no oversold level, customer metrics = their orders, order numbers and change log.
Fails loudly: `check()` returns the list of problems and the CLI exits non-zero when it is not empty.
"""

from __future__ import annotations

import random
from decimal import Decimal

# Money and quantities are compared with a tolerance below their smallest unit: SQLite stores decimals as
# REAL, so its SUM() of 413.32 + 770 + 167.33 is 1350.6499999999999, not 1350.65.
CHECKS = {
    "order subtotal = sum of active line totals": """
        SELECT COUNT(*) FROM orders_order o
        LEFT JOIN (SELECT order_id, SUM(total) s FROM orders_orderline WHERE status = 'active' GROUP BY order_id) l
          ON l.order_id = o.id
        WHERE ABS(o.subtotal - COALESCE(l.s, 0)) > 0.0001""",
    "order total = subtotal - order discount + delivery": """
        SELECT COUNT(*) FROM orders_order o
        LEFT JOIN (SELECT order_id, SUM(ROUND(quantity * price, 2) - total) d FROM orders_orderline
                   WHERE status = 'active' GROUP BY order_id) l ON l.order_id = o.id
        WHERE ABS(o.total - (o.subtotal - (o.discount_total - COALESCE(l.d, 0)) + o.delivery_cost)) > 0.0001""",
    "paid amount = sum of paid payments": """
        SELECT COUNT(*) FROM orders_order o
        LEFT JOIN (SELECT order_id, SUM(amount) s FROM orders_payment WHERE status = 'paid' GROUP BY order_id) p
          ON p.order_id = o.id
        WHERE ABS(o.paid_amount - COALESCE(p.s, 0)) > 0.0001""",
    "stock on hand / reserved = ledger sums": """
        SELECT COUNT(*) FROM inventory_stocklevel s
        LEFT JOIN (SELECT offer_id, warehouse_id, SUM(on_hand_delta) h, SUM(reserved_delta) r
                   FROM inventory_movement GROUP BY offer_id, warehouse_id) m
          ON m.offer_id = s.offer_id AND m.warehouse_id = s.warehouse_id
        WHERE ABS(s.on_hand - COALESCE(m.h, 0)) > 0.0001 OR ABS(s.reserved - COALESCE(m.r, 0)) > 0.0001""",
    "ledger has no movement without a stock level": """
        SELECT COUNT(*) FROM (SELECT DISTINCT offer_id, warehouse_id FROM inventory_movement) m
        LEFT JOIN inventory_stocklevel s ON s.offer_id = m.offer_id AND s.warehouse_id = m.warehouse_id
        WHERE s.id IS NULL""",
    "reserved stock = sum of reservations": """
        SELECT COUNT(*) FROM inventory_stocklevel s
        LEFT JOIN (SELECT offer_id, warehouse_id, SUM(quantity) q FROM inventory_reservation
                   GROUP BY offer_id, warehouse_id) r ON r.offer_id = s.offer_id AND r.warehouse_id = s.warehouse_id
        WHERE ABS(s.reserved - COALESCE(r.q, 0)) > 0.0001""",
    "oversold stock levels (reserved > on hand or negative)": """
        SELECT COUNT(*) FROM inventory_stocklevel WHERE reserved > on_hand OR reserved < 0 OR on_hand < 0""",
    "line reserved = its reservations": """
        SELECT COUNT(*) FROM orders_orderline l
        LEFT JOIN (SELECT line_id, SUM(quantity) q FROM inventory_reservation GROUP BY line_id) r ON r.line_id = l.id
        WHERE l.offer_id IS NOT NULL AND ABS(l.reserved - COALESCE(r.q, 0)) > 0.0001""",
    "final orders hold no reservation": """
        SELECT COUNT(*) FROM inventory_reservation r JOIN orders_order o ON o.id = r.order_id
        WHERE o.is_final AND r.quantity > 0""",
    "customer metrics = their non-cancelled orders": """
        SELECT COUNT(*) FROM customers_customer c
        LEFT JOIN (SELECT customer_id, COUNT(*) n, SUM(total) s, MIN(created_at) f, MAX(created_at) l
                   FROM orders_order WHERE NOT is_cancelled AND customer_id IS NOT NULL GROUP BY customer_id) o
          ON o.customer_id = c.id
        WHERE c.merged_into_id IS NULL AND (c.orders_count <> COALESCE(o.n, 0) OR ABS(c.total_spent - COALESCE(o.s, 0)) > 0.0001
           OR (o.n IS NOT NULL AND (c.first_order_at <> o.f OR c.last_order_at <> o.l)))""",
    "order numbers within the store counter": """
        SELECT COUNT(*) FROM orders_storeordersettings s
        JOIN (SELECT store_id, COUNT(*) n FROM orders_order GROUP BY store_id) o ON o.store_id = s.store_id
        WHERE s.last_number < o.n""",
    "every order has its 'created' change": """
        SELECT COUNT(*) FROM orders_order o
        WHERE NOT EXISTS (SELECT 1 FROM core_change c
                          WHERE c.entity = 'order' AND c.entity_id = o.id AND c.action = 'created')""",
    "status flags follow the status group": """
        SELECT COUNT(*) FROM orders_order o JOIN orders_status s ON s.id = o.status_id
        JOIN orders_statusgroup g ON g.id = s.group_id
        WHERE o.is_final <> g.is_final OR o.is_cancelled <> g.is_cancelled""",
}
# Metrics are kept by an event consumer run by the worker; the bench runs no worker, so orders created
# during a benchmark leave their customer's metrics behind. Checked only on freshly generated data.
AFTER_LOAD_ONLY = {"customer metrics = their non-cancelled orders"}


def check(*, sample: int = 2000, log=print, after_load: bool = True) -> list[str]:
    from django.db import connection

    from shopkeeper.orders import totals
    from shopkeeper.orders.models import Order

    failures = []
    with connection.cursor() as cur:
        for name, sql in CHECKS.items():
            if name in AFTER_LOAD_ONLY and not after_load:
                continue
            cur.execute(sql)
            bad = cur.fetchone()[0]
            log(f"  {'ok ' if not bad else 'BAD'} {name}" + (f": {bad} rows" if bad else ""))
            if bad:
                failures.append(f"{name}: {bad} rows")
        cur.execute("SELECT MAX(id) FROM orders_order")
        max_id = cur.fetchone()[0] or 0
    # Arithmetic of a random sample, recomputed with the services' own functions.
    ids = random.Random(7).sample(range(1, max_id + 1), min(sample, max_id))
    wrong = 0
    for order in Order.objects.filter(pk__in=ids).prefetch_related("lines", "payments"):
        lines = [ln for ln in order.lines.all() if ln.status == "active"]
        amounts = totals.order_amounts(
            lines=[
                (
                    totals.line_amounts(
                        quantity=ln.quantity,
                        price=ln.price,
                        discount_amount=ln.discount_amount,
                        discount_percent=ln.discount_percent,
                    ),
                    ln.quantity,
                    ln.purchase_price,
                )
                for ln in lines
            ],
            discount_amount=order.discount_amount,
            discount_percent=order.discount_percent,
            delivery_cost=order.delivery_cost,
        )
        status, paid = totals.payment_status(
            total=amounts.total, payments=[(p.status, p.amount) for p in order.payments.all()]
        )
        line_ok = all(
            ln.total
            == totals.line_amounts(
                quantity=ln.quantity,
                price=ln.price,
                discount_amount=ln.discount_amount,
                discount_percent=ln.discount_percent,
            ).total
            for ln in lines
        )
        if not (
            line_ok
            and amounts.total == order.total
            and amounts.subtotal == order.subtotal
            and amounts.discount_total == order.discount_total
            and amounts.purchase_total == order.purchase_total
            and status == order.payment_status
            and Decimal(paid) == order.paid_amount
        ):
            wrong += 1
    log(
        f"  {'ok ' if not wrong else 'BAD'} totals and payment status recomputed for {len(ids)} sampled orders"
    )
    if wrong:
        failures.append(f"sampled orders with wrong totals or payment status: {wrong}")
    from shopkeeper.orders import counts

    drift = counts.drift()
    log(f"  {'ok ' if not drift else 'BAD'} status counters = orders per store and status")
    if drift:
        failures.append(f"status counters that disagree with the orders: {drift}")
    return failures
