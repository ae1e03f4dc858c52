"""`python -m bench run`: generate (or reuse) the data, start `shopkeeper serve`, run W1..W9 against it,
measure the raw-SQL floor, check correctness, write bench/results/*.json and docs/performance.md.

Timings never fail the run; correctness does (errors, oversold stock, idempotency, consistency check).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from . import db as bench_db
from .load import Result, burst, expect, run_load

RESULTS = bench_db.ROOT / "bench" / "results"
PROFILE_KEYS = ("wall_ms_p50", "queries", "db_ms_p50", "stock_db_ms_p50", "profiled_wall_ms_p50")


class Server:
    """`shopkeeper serve` as a subprocess on a free loopback port, with its peak RSS sampled."""

    def __init__(self, db: str, size: str, workers: int) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **bench_db.env(db, size)}
        bench_db.VAR.mkdir(parents=True, exist_ok=True)
        self.log = open(bench_db.VAR / f"server-{db}-{size}.log", "w")  # noqa: SIM115
        exe = Path(sys.executable).parent / "shopkeeper"
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.peak_rss = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._wait_ready()
        self._sampler.start()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self.log.name}")
            try:
                httpx.get(f"{self.base_url}/accounts/login/", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start within 60 s")

    def _tree(self) -> list[int]:
        pids, frontier = [self.proc.pid], [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            pids += [int(c) for c in children]
            frontier += [int(c) for c in children]
        return pids

    def rss(self) -> int:
        total = 0
        for pid in self._tree():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, self.rss())
            time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# --- data the scenarios draw from ----------------------------------------------------------------


def _pools(meta: dict) -> dict[str, Any]:
    from shopkeeper.catalog.models import Offer
    from shopkeeper.customers.models import Customer, CustomerEmail, CustomerPhone
    from shopkeeper.orders.models import Order

    rng = random.Random(11)
    max_order = Order.objects.order_by("-id").values_list("id", flat=True).first() or 1
    order_ids = rng.sample(range(1, max_order + 1), min(2000, max_order))
    orders = list(Order.objects.filter(pk__in=order_ids[:500]).values_list("pk", "number"))
    max_customer = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 1
    cust_ids = rng.sample(range(1, max_customer + 1), min(2000, max_customer))
    customers = {
        c.pk: {"store": c.store.code, "first": c.first_name, "last": c.last_name}
        for c in Customer.objects.filter(pk__in=cust_ids).select_related("store")
    }
    for p in CustomerPhone.objects.filter(customer_id__in=cust_ids, position=0):
        customers[p.customer_id]["phone"] = p.e164
    for e in CustomerEmail.objects.filter(customer_id__in=cust_ids):
        customers[e.customer_id]["email"] = e.email
    # Offers of the generator (the YML import probe adds offers without stock, SKUs "YML-...").
    skus = list(
        Offer.objects.exclude(sku__startswith="YML-").order_by("id").values_list("sku", flat=True)[:3000]
    )
    return {
        "order_ids": order_ids,
        "orders": orders,
        "customers": [dict(id=k, **v) for k, v in customers.items() if v.get("phone")],
        "skus": skus,
        "stores": meta["stores"],
    }


def _session_cookie(admin_id: int) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    from shopkeeper.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=admin_id))
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def _count_queries(
    method: str, url: str, *, api_key: str | None, admin_id: int, body: Any = None
) -> int | None:
    """Queries of one request of this kind, through Django's test client in this process (same DB)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shopkeeper.accounts.models import User

    client = Client()
    headers = {}
    if api_key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {api_key}"
    else:
        client.force_login(User.objects.get(pk=admin_id))
    try:
        with CaptureQueriesContext(connection) as ctx:
            if method == "POST":
                headers["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex
                client.post(url, data=json.dumps(body), content_type="application/json", **headers)
            else:
                client.get(url, **headers)
        return len(ctx.captured_queries)
    except Exception:
        return None


def _order_body(rng: random.Random, pools: dict, returning: bool) -> dict:
    if returning and pools["customers"]:
        c = rng.choice(pools["customers"])
        store = c["store"]
        customer = {
            "first_name": c["first"],
            "last_name": c["last"],
            "phone": c["phone"],
            "email": c.get("email", ""),
        }
    else:
        store = rng.choice(pools["stores"])
        n = rng.randrange(10**9)
        customer = {
            "first_name": "Bench",
            "last_name": f"Buyer{n}",
            "phone": f"+1 212 {rng.randrange(200, 999)} {rng.randrange(10**4):04d}",
            "email": f"bench{n}@example.com",
        }
    skus = rng.sample(pools["skus"], 3)
    return {
        "store": store,
        "channel": "api",
        "customer": customer,
        "lines": [{"sku": s, "quantity": "1"} for s in skus],
        "delivery": {"type": "courier", "address": {"city": "Moscow", "text": "Tverskaya 1"}},
    }


# --- scenarios -------------------------------------------------------------------------------------


def w1_create(ctx: dict, clients: int, duration: float) -> Result:
    rng = random.Random(clients)
    pools, created = ctx["pools"], ctx["created"]
    bodies: dict[int, tuple[str, dict]] = {}

    def factory(i: int):
        body = _order_body(rng, pools, returning=rng.random() < 0.5)
        key = uuid.uuid4().hex
        bodies[i] = (key, body)
        return "POST", "/api/v1/orders", {"json": body, "headers": {"Idempotency-Key": key}}, expect(201)

    def on_response(i: int, resp) -> None:
        key, body = bodies.pop(i)
        if len(created) < 200:
            created.append((key, body, resp.json()["id"]))

    result = Result(id="W1", name=f"create order via API (3 lines), {clients} clients", unit="orders/s")
    return run_load(
        base_url=ctx["url"],
        headers=ctx["auth"],
        result=result,
        factory=factory,
        clients=clients,
        duration=duration,
        on_response=on_response,
    )


def w1_idempotency(ctx: dict) -> tuple[int, int]:
    """Replays of created orders with their key and body: the same order must come back."""
    import httpx

    wrong = 0
    sample = ctx["created"][:30]
    with httpx.Client(base_url=ctx["url"], headers=ctx["auth"], timeout=30) as client:
        for key, body, order_id in sample:
            resp = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})
            if resp.status_code not in (200, 201) or resp.json().get("id") != order_id:
                wrong += 1
    return len(sample), wrong


def w2_scarce(ctx: dict, buyers: int = 50, stock: int = 10) -> Result:
    from decimal import Decimal

    from django.db import transaction

    from shopkeeper.catalog.models import Offer, Price, PriceType, Product
    from shopkeeper.core.changes import Actor
    from shopkeeper.inventory.models import Reservation, StockLevel, Warehouse
    from shopkeeper.inventory.services import stock_adjust
    from shopkeeper.orders.models import OrderLine

    sku = f"SCARCE-{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        product = Product.objects.create(name=f"Scarce {sku}")
        offer = Offer.objects.create(product=product, name=f"Scarce {sku}", sku=sku)
        Price.objects.create(
            offer=offer, price_type=PriceType.objects.get(code="retail"), amount=Decimal("99.00")
        )
    warehouse = Warehouse.objects.order_by("priority").first()
    stock_adjust(
        offer=offer, warehouse=warehouse, delta=stock, reason="bench", kind="receipt", actor=Actor.system()
    )
    store = ctx["pools"]["stores"][0]
    requests = []
    for i in range(buyers):
        body = {
            "store": store,
            "channel": "api",
            "customer": {"first_name": "Scarce", "last_name": f"Buyer{i}", "phone": f"+7999{i:07d}"},
            "lines": [{"sku": sku, "quantity": "1"}],
        }
        requests.append(
            ("POST", "/api/v1/orders", {"json": body, "headers": {"Idempotency-Key": uuid.uuid4().hex}})
        )
    out, seconds = burst(base_url=ctx["url"], headers=ctx["auth"], requests=requests)
    result = Result(
        id="W2", name=f"{buyers} parallel buyers of one offer with stock {stock}", unit="orders/s"
    )
    result.clients, result.seconds = buyers, seconds
    for resp, err, ms in out:
        result.requests += 1
        if resp is None or resp.status_code != 201:
            result.errors += 1
            result.error_samples.append(err or f"{resp.status_code}: {resp.text[:200]}")
        else:
            result.latencies_ms.append(ms)
    levels = list(StockLevel.objects.filter(offer=offer))
    reserved = sum((lv.reserved for lv in levels), Decimal(0))
    on_hand = sum((lv.on_hand for lv in levels), Decimal(0))
    held = sum(Reservation.objects.filter(offer=offer).values_list("quantity", flat=True), Decimal(0))
    lines_reserved = sum(OrderLine.objects.filter(offer=offer).values_list("reserved", flat=True), Decimal(0))
    oversold = max(Decimal(0), reserved - on_hand, held - on_hand, lines_reserved - on_hand)
    result.extra = {
        "oversold": int(oversold),
        "reserved": int(reserved),
        "on_hand": int(on_hand),
        "consistent": reserved == held == lines_reserved,
    }
    result.note = f"reserved {int(reserved)} of {int(on_hand)}, oversold {int(oversold)}"
    return result


def _get_step(ctx, rid: str, name: str, urls, clients: int, duration: float, html: bool = False) -> Result:
    urls = list(urls)

    def factory(i: int):
        return "GET", urls[i % len(urls)], {}, expect(200)

    result = Result(id=rid, name=name, unit="req/s")
    run_load(
        base_url=ctx["url"],
        headers={} if html else ctx["auth"],
        cookies=ctx["cookie"] if html else None,
        result=result,
        factory=factory,
        clients=clients,
        duration=duration,
    )
    q_url = urls[0]
    result.queries = _count_queries(
        "GET", q_url, api_key=None if html else ctx["api_key"], admin_id=ctx["meta"]["admin_id"]
    )
    return result


LIST_FILTERS = [
    "",
    "status=new",
    "group=complete&store=ru-main",
    "payment_status=paid&created_after={d90}",
    "amount_min=5000",
    "channel=marketplace&status=delivered",
    "store=us-store&group=approval",
]


def _filters() -> list[str]:
    d90 = (dt.date.today() - dt.timedelta(days=90)).isoformat()
    return [f.format(d90=d90) for f in LIST_FILTERS]


def w4_deep(ctx: dict, pages: int) -> Result:
    import httpx

    result = Result(id="W4", name=f"order list API, deep pages (cursor, pages 2..{pages})", unit="req/s")
    started = time.perf_counter()
    with httpx.Client(base_url=ctx["url"], headers=ctx["auth"], timeout=60) as client:
        for f in _filters()[:4]:
            cursor = None
            for page in range(pages):
                url = f"/api/v1/orders?limit=50&{f}" + (f"&cursor={cursor}" if cursor else "")
                t0 = time.perf_counter()
                resp = client.get(url)
                ms = (time.perf_counter() - t0) * 1000
                if resp.status_code != 200:
                    result.requests += 1
                    result.errors += 1
                    result.error_samples.append(f"{url} -> {resp.status_code}")
                    break
                cursor = resp.json().get("next_cursor")
                if page:
                    result.requests += 1
                    result.latencies_ms.append(ms)
                if not cursor:
                    break
    result.seconds = time.perf_counter() - started
    return result


def run(args) -> list[str]:
    db, size = args.db, args.size
    quick = args.quick
    duration = args.duration or (4.0 if quick else 10.0)
    meta_file = bench_db.VAR / f"meta-{db}-{size}.json"
    failures: list[str] = []
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    from .__main__ import cmd_check, cmd_generate

    if args.reuse and meta_file.exists() and bench_db.exists(db, size) and _holds(db, meta_file):
        meta = json.loads(meta_file.read_text())
        print(f"[{db}] reusing the {size} database generated {meta['generated_at']}", flush=True)
        from .__main__ import cmd_migrate

        cmd_migrate(db, size)  # the code may have moved on since the data was generated
        failures += cmd_check(db, size, after_load=False)
        _drain_outbox(db)  # earlier runs leave events the worker never saw (it runs only during W9)
    else:
        meta = cmd_generate(db, size, args.seed)
        failures += cmd_check(db, size)
    if failures:
        return failures  # no point measuring inconsistent data

    import logging

    import django
    from django.conf import settings

    logging.getLogger("httpx").setLevel(logging.WARNING)
    ctx: dict[str, Any] = {"meta": meta, "api_key": meta["api_key"], "created": []}
    ctx["auth"] = {"Authorization": f"Bearer {meta['api_key']}"}
    ctx["pools"] = _pools(meta)
    ctx["cookie"] = _session_cookie(meta["admin_id"])
    results: list[Result] = []
    skipped: dict[str, str] = {}
    server = Server(db, size, args.workers)
    ctx["url"] = server.base_url
    print(
        f"[{db}] server on {server.base_url} ({args.workers} workers); {duration:.0f} s per step", flush=True
    )

    def step(result: Result) -> Result:
        s = result.summary()
        print(
            f"[{db}] {s['id']:8} {s['name'][:60]:60} {s['throughput'] or 0:8.1f} {s['unit']:9} "
            f"p50 {s['p50_ms'] or 0:7.1f} p95 {s['p95_ms'] or 0:7.1f} p99 {s['p99_ms'] or 0:7.1f} ms "
            f"err {s['errors']} q {s['queries']}",
            flush=True,
        )
        results.append(result)
        return result

    floors: list[Result] = []
    ctx["log"] = lambda m: print(f"[{db}] {m}", flush=True)
    only = {x.strip().upper() for x in (getattr(args, "only", "") or "").split(",") if x.strip()}
    if only:
        return _run_only(ctx, db, size, args, only, step, duration, server, failures, results)
    try:
        pools = ctx["pools"]
        # W9 first, while the outbox holds nothing else: the worker runs only for this scenario.
        from .writes import batch_queries, w8_batch, w9_webhooks

        for r in w9_webhooks(
            ctx, db, size, backlog=200 if quick else 600, duration=duration, processes=args.worker_processes
        ):
            step(r)
        # W1 (and its floor, right after each, with the same number of clients)
        w1_clients = [4] if quick else [1, 4, 16]
        for clients in w1_clients:
            r = w1_create(ctx, clients, duration)
            if clients == w1_clients[0]:
                body = _order_body(random.Random(1), pools, True)
                r.queries = _count_queries(
                    "POST", "/api/v1/orders", api_key=ctx["api_key"], admin_id=meta["admin_id"], body=body
                )
            step(r)
        replays, wrong = w1_idempotency(ctx)
        print(f"[{db}] idempotency: {replays} replays, {wrong} wrong", flush=True)
        if wrong:
            failures.append(f"W1 idempotency: {wrong} of {replays} replays returned another order")
        # W2
        w2 = step(w2_scarce(ctx))
        if w2.extra["oversold"] or not w2.extra["consistent"]:
            failures.append(f"W2 oversold {w2.extra['oversold']} (consistent={w2.extra['consistent']})")
        # W8
        for clients in [2] if quick else [1, 4]:
            r = w8_batch(ctx, clients, duration)
            if not quick and clients == 1:
                r.queries = batch_queries(ctx)
            step(r)
        _reads(ctx, step, quick, duration)
        skipped["W6"] = "not built (no dashboard or sales report yet)"
        skipped["W7"] = "not built (no streamed CSV export of orders yet)"
    finally:
        peak = server.peak_rss
        server.stop()
    # Floors of W1 with the server stopped, so they get the machine to themselves as W1 did.
    from .floor import run_floor

    vendor = "postgresql" if db == "postgresql" else "sqlite"
    dsn = bench_db.url(db, size) if db == "postgresql" else str(bench_db.sqlite_path(size))
    for clients in w1_clients:
        f = run_floor(vendor=vendor, dsn=dsn, clients=clients, duration=duration)
        floors.append(f)
        step(f)
    # In-process: the profile of one W1 request and the segment count probe (server stopped).
    from .probes import profile_w1, read_timings, segment_count

    profile = profile_w1(ctx, runs=5 if quick else 10)
    print(
        f"[{db}] W1 profile: {json.dumps({k: v for k, v in profile.items() if k in PROFILE_KEYS})}",
        flush=True,
    )
    if profile["statuses"] != [201]:
        failures.append(f"W1 profile: answers {profile['statuses']}")
    probes = {"segment_count": segment_count(), "reads_in_process": read_timings(ctx)}
    for r in probes["reads_in_process"]:
        if r["statuses"] != [200]:
            failures.append(f"in-process {r['name']}: answers {r['statuses']}")
    print(f"[{db}] segment count: {probes['segment_count']}", flush=True)
    for r in results:
        if r.errors and r.id != "W1-floor":
            failures.append(f"{r.id} {r.name}: {r.errors} errors, e.g. {r.error_samples[:2]}")
    # The data is still consistent after the load (metrics are the worker's job: not run here).
    from django.db import connections

    connections.close_all()
    failures += cmd_check(db, size, after_load=False)
    # Last, as it adds offers: the catalog import of a YML feed (issue 3: 50k offers < 60 s on SQLite).
    from .probes import yml_import

    probes["yml_import"] = yml_import(5_000 if quick else 50_000)
    print(f"[{db}] YML import: {probes['yml_import']}", flush=True)
    if probes["yml_import"]["status"] != "done" or probes["yml_import"]["errors"]:
        failures.append(f"YML import: {probes['yml_import']}")

    report = {
        "db": db,
        "size": size,
        "quick": quick,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "started": started_at,
        "machine": {**_machine(), "load_average_at_start": load_at_start},
        "versions": _versions(db),
        "workers": args.workers,
        "worker_processes": args.worker_processes,
        "seconds_per_step": duration,
        "dataset": meta["counts"],
        "generation_seconds": meta.get("generation_seconds"),
        "server_peak_rss_mb": round(peak / 2**20, 1),
        "scenarios": [r.summary() for r in results],
        "skipped": skipped,
        "idempotency_replays": {"replays": replays, "wrong": wrong},
        "profile_w1": profile,
        "probes": probes,
        "correctness_failures": failures,
    }
    _ = settings, django
    save(report)
    from .report import write_report

    write_report()
    return failures


def _reads(ctx: dict, step, quick: bool, duration: float) -> None:
    """W3, W3c, W4, W5, W5c, W5o: the read scenarios, each from 4 clients."""
    pools = ctx["pools"]
    # W3
    ids = pools["order_ids"]
    step(_get_step(ctx, "W3", "order card, API", (f"/api/v1/orders/{i}" for i in ids), 4, duration))
    step(_get_step(ctx, "W3", "order card, HTML", (f"/orders/{i}/" for i in ids), 4, duration, html=True))
    cust_ids = [c["id"] for c in pools["customers"]]
    step(
        _get_step(ctx, "W3c", "customer card, API", (f"/api/v1/customers/{i}" for i in cust_ids), 4, duration)
    )
    if not quick:
        step(_get_step(ctx, "W3c", "customer card, HTML", (f"/customers/{i}/" for i in cust_ids), 4, duration,
                       html=True))  # fmt: skip
    # W4
    filters = _filters()
    step(_get_step(ctx, "W4", "order list API, first page, 7 filters",
                   (f"/api/v1/orders?limit=50&{f}" for f in filters), 4, duration))  # fmt: skip
    sorts = ["-created", "-total", "created", "-status_changed"]
    html_urls = [f"/orders/?{f}&sort={sorts[i % len(sorts)]}" for i, f in enumerate(filters)]
    step(
        _get_step(
            ctx, "W4", "order list HTML, first page, filters x sorts", html_urls, 4, duration, html=True
        )
    )
    step(w4_deep(ctx, 5 if quick else 20))
    # W5
    rng = random.Random(5)
    custs = pools["customers"]
    phones = [c["phone"][-7:-1] for c in custs]
    emails = [c["email"] for c in custs if c.get("email")]
    names = [c["last"] for c in custs]
    numbers = [n for _i, n in pools["orders"]]
    rng.shuffle(names)
    searches = {"phone fragment": phones, "email": emails, "name": names, "number": numbers}
    for label, values in searches.items():
        step(_get_step(ctx, "W5", f"order search by {label}",
                       (f"/api/v1/orders?limit=50&q={v}" for v in values[:300]), 4, duration))  # fmt: skip
    for label in ("phone fragment", "email", "name"):
        step(_get_step(ctx, "W5c", f"customer search by {label}",
                       (f"/api/v1/customers?limit=50&q={v}" for v in searches[label][:300]), 4, duration))  # fmt: skip
    step(_get_step(ctx, "W5o", "catalog: offer by SKU",
                   (f"/api/v1/offers?sku={s}" for s in pools["skus"][:500]), 4, duration))  # fmt: skip
    step(_get_step(ctx, "W5o", "catalog: product search by SKU prefix (q = SKU minus its last character)",
                   (f"/api/v1/products?limit=50&q={s[:-1]}" for s in pools["skus"][:500]), 4, duration))  # fmt: skip


def _run_only(ctx, db, size, args, only, step, duration, server, failures, results) -> list[str]:
    """`--only W9,W1,...`: just those scenarios against the running server, printed, not saved (a quick
    before/after while working on one path; `docs/performance.md` comes from full runs only)."""
    from .writes import w8_batch, w9_webhooks

    known = {"W1", "W8", "W9", "READS"}
    if only - known:
        server.stop()
        return [f"--only knows {', '.join(sorted(known))}, not {', '.join(sorted(only - known))}"]
    try:
        if "W9" in only:
            for r in w9_webhooks(
                ctx,
                db,
                size,
                backlog=200 if args.quick else 600,
                duration=duration,
                processes=args.worker_processes,
            ):
                step(r)
                if r.note:
                    print(f"[{db}]          {r.note}", flush=True)
        if "W1" in only:
            for clients in [4] if args.quick else [1, 4, 16]:
                step(w1_create(ctx, clients, duration))
        if "W8" in only:
            for clients in [2] if args.quick else [1, 4]:
                step(w8_batch(ctx, clients, duration))
        if "READS" in only:
            _reads(ctx, step, args.quick, duration)
    finally:
        server.stop()
    for r in results:
        if r.errors:
            failures.append(f"{r.id} {r.name}: {r.errors} errors, e.g. {r.error_samples[:2]}")
    from django.db import connections

    connections.close_all()
    from .__main__ import cmd_check

    failures += cmd_check(db, size, after_load=False)
    print(f"[{db}] --only {','.join(sorted(only))}: results not saved", flush=True)
    return failures


def _drain_outbox(db: str) -> None:
    """Run the outbox deliveries left pending by earlier runs (in this process), so W9 measures its own
    events only: the worker serves the oldest first."""
    from shopkeeper.core.events import dispatch_pending
    from shopkeeper.core.models import DeliveryStatus, EventDelivery

    pending = EventDelivery.objects.filter(status=DeliveryStatus.PENDING).count()
    if not pending:
        return
    started = time.monotonic()
    while dispatch_pending(batch=1000):
        pass
    print(
        f"[{db}] drained {pending} outbox deliveries left by earlier runs in {time.monotonic() - started:.0f} s"
    )


def _holds(db: str, meta_file: Path) -> bool:
    """PostgreSQL has one `bench` database for every size: it holds this size only if this size was the
    last one generated there."""
    if db != "postgresql":
        return True
    generated = {
        p: json.loads(p.read_text()).get("generated_at", "") for p in bench_db.VAR.glob(f"meta-{db}-*.json")
    }
    return max(generated, key=lambda p: generated[p]) == meta_file


def _machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem,
        "os": platform.platform(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def _versions(db: str) -> dict[str, str]:
    import sqlite3

    import django
    import granian
    from django.db import connection

    versions = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "granian": granian.__version__,
    }
    if db == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            versions["postgresql"] = cur.fetchone()[0]
    else:
        versions["sqlite"] = sqlite3.sqlite_version
    return versions


def save(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{report['db']}-{report['size']}{'-quick' if report['quick'] else ''}"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    latest_file = RESULTS / "latest.json"
    latest = json.loads(latest_file.read_text()) if latest_file.exists() else {}
    latest[name] = report
    latest_file.write_text(json.dumps(latest, indent=2, ensure_ascii=False))
