"""In-process probes for targets no HTTP scenario covers, and the profile of one W1 request.

- `profile_w1`: order creation (POST /api/v1/orders, 3 lines) through Django's test client in this
  process, under cProfile and with every query captured: wall time, queries, database time (the sum of
  the captured query times), the part of it spent on the stock tables (the reservation of the 3 lines:
  issue 3's "< 5 ms of database time"), and where the Python time goes (by package, top functions).
- `segment_count`: count of a typical segment rule (issue 4: "< 500 ms").
Both run on the bench database after the server is stopped. cProfile slows Python down (roughly 1.5-2x),
so its shares matter more than its absolute times; the database times come from runs without it.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import random
import statistics
import time
import uuid
from typing import Any

from .load import percentile

GROUPS = [
    ("database driver", ("psycopg", "sqlite3", "<method 'execute", "<method 'fetch")),
    ("shopkeeper", ("/shopkeeper/",)),
    ("django ORM", ("/django/db/",)),
    ("django (request, middleware, templates, rest)", ("/django/",)),
    ("ninja + pydantic", ("/ninja/", "/pydantic", "pydantic_core")),
    ("phonenumbers", ("phonenumbers",)),
]


def _group(path: str, name: str) -> str:
    key = f"{path}:{name}"
    for label, needles in GROUPS:
        if any(n in key for n in needles):
            return label
    return "other (stdlib, builtins)"


class _Timer:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((sql, time.perf_counter() - t0))


def _post_order(client, api_key: str, body: dict) -> int:
    resp = client.post(
        "/api/v1/orders",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    return resp.status_code


def profile_w1(ctx: dict, runs: int = 10) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from .run import _order_body

    rng = random.Random(77)
    client = Client()
    api_key = ctx["api_key"]
    pools = ctx["pools"]
    _post_order(client, api_key, _order_body(rng, pools, True))  # warm caches (dictionaries, imports)
    # Without the profiler: wall time, queries and database time per request (each statement timed by an
    # execute wrapper: Django's captured query times are rounded to whole milliseconds).
    walls, counts, db_ms, stock_ms, statuses = [], [], [], [], []
    by_table: dict[str, float] = {}
    for i in range(runs):
        body = _order_body(rng, pools, returning=i % 2 == 0)
        timer = _Timer()
        with connection.execute_wrapper(timer):
            t0 = time.perf_counter()
            statuses.append(_post_order(client, api_key, body))
            walls.append((time.perf_counter() - t0) * 1000)
        counts.append(len(timer.rows))
        db_ms.append(sum(t for _sql, t in timer.rows) * 1000)
        stock_ms.append(sum(t for sql, t in timer.rows if '"inventory_' in sql) * 1000)
        for sql, _t in timer.rows:
            verb = sql.split(None, 1)[0].upper() if sql else "?"
            table = next((w.strip('"') for w in sql.split() if w.startswith('"') and "_" in w), "")
            table = table.split('"')[0].split(".")[0]
            key = (
                verb if verb in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"} else f"{verb} {table}"
            )
            key = key.strip()
            by_table[key] = by_table.get(key, 0.0) + 1 / runs
    # With the profiler: where the Python time goes.
    profiler = cProfile.Profile()
    profiled_walls = []
    for i in range(runs):
        body = _order_body(rng, pools, returning=i % 2 == 0)
        t0 = time.perf_counter()
        profiler.enable()
        _post_order(client, api_key, body)
        profiler.disable()
        profiled_walls.append((time.perf_counter() - t0) * 1000)
    stats = pstats.Stats(profiler)
    groups: dict[str, float] = {}
    own: list[tuple[float, float, int, str]] = []
    total = 0.0
    for (path, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total += tt
        g = _group(path, name)
        groups[g] = groups.get(g, 0.0) + tt
        if "/shopkeeper/" in path:
            short = path.split("/shopkeeper/", 1)[1]
            own.append((ct, tt, nc, f"{short}:{line} {name}"))
    own.sort(reverse=True)
    top_tables = sorted(by_table.items(), key=lambda kv: -kv[1])[:12]
    return {
        "runs": runs,
        "statuses": sorted(set(statuses)),
        "wall_ms_p50": round(statistics.median(walls), 1),
        "queries": round(statistics.median(counts)),
        "db_ms_p50": round(statistics.median(db_ms), 1),
        "stock_db_ms_p50": round(statistics.median(stock_ms), 2),
        "stock_db_ms_p95": round(percentile(stock_ms, 95) or 0, 2),
        "profiled_wall_ms_p50": round(statistics.median(profiled_walls), 1),
        "python_share": {
            k: round(v / total * 100, 1) for k, v in sorted(groups.items(), key=lambda kv: -kv[1]) if total
        },
        "top_shopkeeper_cumulative_ms": [
            {"function": f, "cumulative_ms": round(ct / runs * 1000, 1), "calls": round(nc / runs, 1)}
            for ct, _tt, nc, f in own[:20]
        ],
        "statements": [{"statement": k, "per_request": round(v, 1)} for k, v in top_tables],
    }


TYPICAL_RULE = {
    "match": "all",
    "conditions": [
        {"field": "total_spent", "op": "gt", "value": "10000"},
        {"field": "last_order_days", "op": "gt", "value": 90},
        {"field": "consent_email", "op": "eq", "value": True},
    ],
}


def segment_count(runs: int = 20) -> dict[str, Any]:
    from shopkeeper.customers.models import Customer
    from shopkeeper.customers.segments import compile_rules

    times, count = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        count = Customer.objects.filter(merged_into__isnull=True).filter(compile_rules(TYPICAL_RULE)).count()
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "rule": "total spent > 10000 and last order > 90 days ago and email consent",
        "members": count,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95) or 0, 1),
    }


def yml_feed(n: int, seed: int = 3) -> bytes:
    """A YML feed of n offers (3 offers per product, 20 categories), SKUs that do not exist yet."""
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:6].upper()
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-11-24 00:00"><shop><name>Bench</name>',
             "<categories>"]  # fmt: skip
    parts += [f'<category id="b{c}">Bench category {c}</category>' for c in range(20)]
    parts.append("</categories><offers>")
    for i in range(n):
        product = i // 3
        parts.append(
            f'<offer id="Y{tag}-{i}" group_id="P{tag}-{product}" available="true">'
            f"<name>Bench item {product} size {i % 3}</name><productName>Bench item {product}</productName>"
            f"<vendorCode>YML-{tag}-{i:06d}</vendorCode><categoryId>b{product % 20}</categoryId>"
            f"<price>{rng.randrange(100, 100000) / 100:.2f}</price><barcode>{4600000000000 + i}</barcode>"
            f'<param name="color">c{i % 7}</param></offer>'
        )
    parts.append("</offers></shop></yml_catalog>")
    return "".join(parts).encode()


def yml_import(n: int) -> dict[str, Any]:
    """Import a feed of n new offers through the catalog import job (as the worker runs it)."""
    from django.core.files.base import ContentFile

    from shopkeeper.catalog.importing import run_job
    from shopkeeper.catalog.models import ImportFormat, ImportJob

    data = yml_feed(n)
    job = ImportJob.objects.create(format=ImportFormat.YML)
    job.file.save("bench-feed.yml", ContentFile(data), save=True)
    t0 = time.perf_counter()
    try:
        job = run_job(job)
    finally:
        seconds = time.perf_counter() - t0
        job.file.delete(save=False)
    return {
        "offers": n,
        "feed_mb": round(len(data) / 2**20, 1),
        "seconds": round(seconds, 1),
        "status": str(job.status),
        "created": job.created,
        "updated": job.updated,
        "skipped": job.skipped,
        "errors": len(job.errors or []),
        "message": job.message[:200],
    }


def read_timings(ctx: dict, runs: int = 15) -> list[dict[str, Any]]:
    """One request at a time, in-process (no HTTP server, no concurrency): wall and database time of the
    read scenarios, to tell per-request cost from queueing on the 2 cores under load."""
    from django.db import connection
    from django.test import Client

    from shopkeeper.accounts.models import User

    pools = ctx["pools"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ctx['api_key']}")
    html = Client()
    html.force_login(User.objects.get(pk=ctx["meta"]["admin_id"]))
    custs = [c for c in pools["customers"] if c.get("email")] or pools["customers"]
    ids = pools["order_ids"]
    cases = [
        ("W3", "order card, API", api, lambda i: f"/api/v1/orders/{ids[i % len(ids)]}"),
        ("W3", "order card, HTML", html, lambda i: f"/orders/{ids[i % len(ids)]}/"),
        ("W3c", "customer card, API", api, lambda i: f"/api/v1/customers/{custs[i % len(custs)]['id']}"),
        ("W4", "order list API, first page, status=new", api, lambda i: "/api/v1/orders?limit=50&status=new"),
        ("W4", "order list HTML, first page", html, lambda i: "/orders/?sort=-created"),
        ("W5", "order search by phone fragment", api,
         lambda i: f"/api/v1/orders?limit=50&q={custs[i % len(custs)]['phone'][-7:-1]}"),
        ("W5", "order search by email", api, lambda i: f"/api/v1/orders?limit=50&q={custs[i % len(custs)]['email']}"),
        ("W5c", "customer search by phone fragment", api,
         lambda i: f"/api/v1/customers?limit=50&q={custs[i % len(custs)]['phone'][-7:-1]}"),
        ("W5c", "customer search by name", api, lambda i: f"/api/v1/customers?limit=50&q={custs[i % len(custs)]['last']}"),
        ("W5o", "catalog: product search by SKU prefix", api,
         lambda i: f"/api/v1/products?limit=50&q={pools['skus'][i % len(pools['skus'])][:-1]}"),
    ]  # fmt: skip
    out = []
    for rid, name, client, url in cases:
        client.get(url(0))  # warm up
        walls, dbs, statuses = [], [], set()
        for i in range(1, runs + 1):
            timer = _Timer()
            with connection.execute_wrapper(timer):
                t0 = time.perf_counter()
                statuses.add(client.get(url(i)).status_code)
                walls.append((time.perf_counter() - t0) * 1000)
            dbs.append(sum(t for _s, t in timer.rows) * 1000)
        out.append(
            {
                "id": rid,
                "name": name,
                "wall_ms_p50": round(statistics.median(walls), 1),
                "wall_ms_p95": round(percentile(walls, 95) or 0, 1),
                "db_ms_p50": round(statistics.median(dbs), 1),
                "queries": len(timer.rows),
                "statuses": sorted(statuses),
            }
        )
    return out
