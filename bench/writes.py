"""W8 (the batch endpoint) and W9 (webhook dispatch to a local receiver).

W8 posts `{"orders": [100 orders]}` to `POST /api/v1/orders/batch` from N clients; every item must come
back 201. Throughput is orders created per second.

W9 subscribes one endpoint (`order.*`) to a receiver running in its own process (`bench.receiver`), then
  A. creates a backlog of orders with the worker stopped, starts `shopkeeper worker` (the bench
     environment, `SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE=1`) and measures deliveries/s until the backlog is
     delivered: the outbox fan-out (one delivery per event) and the sender run in their own processes of
     the worker, so this is the end-to-end dispatch rate;
  B. with the worker running, creates orders from 2 clients and measures event -> first attempt
     (receiver's clock minus the event's `at`, same machine) p50/p95/p99.
Correctness: every `order.*` event since the endpoint was created has exactly one delivery, every
delivery is delivered, and the receiver saw each delivery id exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from . import db as bench_db
from .load import Result, percentile, run_load

BATCH = 100


# --- W8 ----------------------------------------------------------------------------------------------


def w8_batch(ctx: dict, clients: int, duration: float, per_request: int = BATCH) -> Result:
    from .run import _order_body

    rng = random.Random(800 + clients)
    pools = ctx["pools"]
    counts = {"created": 0, "item_errors": 0}

    def check(resp) -> str | None:
        if resp.status_code != 200:
            return f"POST /api/v1/orders/batch -> {resp.status_code}: {resp.text[:200]}"
        items = resp.json().get("items", [])
        bad = [it for it in items if it.get("status") != 201]
        counts["created"] += len(items) - len(bad)
        counts["item_errors"] += len(bad)
        if bad or len(items) != per_request:
            return f"{len(bad)} of {len(items)} batch items failed, e.g. {str(bad[:1])[:200]}"
        return None

    def factory(i: int):
        orders = [_order_body(rng, pools, returning=rng.random() < 0.5) for _ in range(per_request)]
        return "POST", "/api/v1/orders/batch", {"json": {"orders": orders}}, check

    result = Result(
        id="W8", name=f"batch endpoint, {per_request} orders/request, {clients} clients", unit="orders/s"
    )
    run_load(
        base_url=ctx["url"],
        headers=ctx["auth"],
        result=result,
        factory=factory,
        clients=clients,
        duration=duration,
        timeout=600.0,
    )
    result.throughput = counts["created"] / result.seconds if result.seconds else None
    result.extra = {"orders": counts["created"], "item_errors": counts["item_errors"]}
    result.note = (
        f"{counts['created']} orders in {result.requests} requests; latency per {per_request}-order request"
    )
    return result


def batch_queries(ctx: dict) -> int | None:
    """Queries of one 100-order batch request (in-process test client, same database)."""
    from .run import _count_queries, _order_body

    rng = random.Random(8)
    body = {"orders": [_order_body(rng, ctx["pools"], returning=rng.random() < 0.5) for _ in range(BATCH)]}
    return _count_queries(
        "POST", "/api/v1/orders/batch", api_key=ctx["api_key"], admin_id=ctx["meta"]["admin_id"], body=body
    )


# --- W9 ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self, db: str, size: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/shopkeeper"
        self.out = bench_db.VAR / f"receiver-{db}-{size}.tsv"
        self.out.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", "--port", str(self.port), "--out", str(self.out)],
            cwd=bench_db.ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if line.strip() != "ready":
            self.proc.kill()
            raise RuntimeError(f"the webhook receiver did not start ({line!r})")

    def records(self) -> list[tuple[str, float, str, str]]:
        if not self.out.exists():
            return []
        rows = []
        for line in self.out.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 4:
                rows.append((parts[0], float(parts[1]), parts[2], parts[3]))
        return rows

    def count(self) -> int:
        if not self.out.exists():
            return 0
        with self.out.open("rb") as f:
            return sum(1 for _ in f)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Worker:
    """`shopkeeper worker` as a subprocess with the bench environment (its loops in supervised processes;
    `processes` outbox dispatchers and webhook senders, each)."""

    def __init__(self, db: str, size: str, processes: int = 1) -> None:
        env = {
            **os.environ,
            **bench_db.env(db, size),
            "SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE": "1",
            "DJANGO_SETTINGS_MODULE": "bench.worker_settings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(bench_db.ROOT), os.environ.get("PYTHONPATH")])),
        }
        self.log = open(bench_db.VAR / f"worker-{db}-{size}.log", "w")  # noqa: SIM115
        exe = Path(sys.executable).parent / "shopkeeper"
        self.started = time.time()
        self.proc = subprocess.Popen(
            [str(exe), "worker", *(["--processes", str(processes)] if processes != 1 else [])],
            env=env,
            cwd=bench_db.ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _create_orders_batch(ctx: dict, n: int, clients: int = 2) -> int:
    """n orders (multiples of 100) through the batch endpoint; returns how many were created."""
    from .run import _order_body

    rng = random.Random(900)
    created = [0]

    def check(resp) -> str | None:
        if resp.status_code != 200:
            return f"batch -> {resp.status_code}: {resp.text[:200]}"
        items = resp.json().get("items", [])
        ok = sum(1 for it in items if it.get("status") == 201)
        created[0] += ok
        return None if ok == len(items) else f"{len(items) - ok} batch items failed"

    def factory(i: int):
        orders = [_order_body(rng, ctx["pools"], returning=rng.random() < 0.5) for _ in range(BATCH)]
        return "POST", "/api/v1/orders/batch", {"json": {"orders": orders}}, check

    r = Result(id="W9-setup", name="backlog")
    run_load(
        base_url=ctx["url"],
        headers=ctx["auth"],
        result=r,
        factory=factory,
        clients=clients,
        duration=3600,
        max_requests=max(1, n // BATCH),
        timeout=600.0,
    )
    if r.errors:
        raise RuntimeError(f"W9: creating the backlog failed: {r.error_samples[:2]}")
    return created[0]


def _create_orders_steady(ctx: dict, clients: int, duration: float) -> Result:
    from .load import expect
    from .run import _order_body

    rng = random.Random(901)

    def factory(i: int):
        body = _order_body(rng, ctx["pools"], returning=rng.random() < 0.5)
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        return "POST", "/api/v1/orders", {"json": body, "headers": headers}, expect(201)

    r = Result(id="W9-load", name="steady orders", unit="orders/s")
    return run_load(
        base_url=ctx["url"],
        headers=ctx["auth"],
        result=r,
        factory=factory,
        clients=clients,
        duration=duration,
    )


def _state(endpoint_id: int, event_floor: int) -> tuple[int, int, int]:
    """(order.* events since the endpoint exists, its deliveries, of them still pending)."""
    from shopkeeper.core.models import Event
    from shopkeeper.integrations.models import WebhookDelivery, WebhookStatus

    events = Event.objects.filter(pk__gt=event_floor, name__startswith="order.").count()
    deliveries = WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
    return events, deliveries.count(), deliveries.filter(status=WebhookStatus.PENDING).count()


def _wait_drained(receiver: Receiver, worker: Worker, endpoint_id: int, floor: int, timeout: float) -> bool:
    from django.db import connections

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not worker.alive():
            raise RuntimeError(f"the worker exited ({worker.proc.returncode}); see {worker.log.name}")
        events, deliveries, pending = _state(endpoint_id, floor)
        if events and deliveries >= events and not pending and receiver.count() >= deliveries:
            return True
        connections.close_all()
        time.sleep(0.25)
    return False


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f} ms"


def w9_webhooks(
    ctx: dict, db: str, size: str, backlog: int, duration: float, processes: int = 1
) -> list[Result]:
    from django.db import connections

    from shopkeeper.core.changes import Actor
    from shopkeeper.core.models import Event
    from shopkeeper.integrations.models import WebhookDelivery, WebhookStatus
    from shopkeeper.integrations.services import endpoint_create, endpoint_disable

    log = ctx["log"]
    receiver = Receiver(db, size)
    worker: Worker | None = None
    floor = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    endpoint = endpoint_create(
        url=receiver.url, events=["order.*"], actor=Actor.system("bench"), description="bench W9 receiver"
    )
    timeout = 120.0 + backlog / 5
    marks: dict[str, float] = {}
    try:
        # A: a backlog with the worker stopped, then the worker drains it.
        made = _create_orders_batch(ctx, backlog)
        log(f"W9: {made} orders of backlog created; starting the worker")
        worker = Worker(db, size, processes)
        marks["worker_started"] = worker.started
        drained_a = _wait_drained(receiver, worker, endpoint.pk, floor, timeout)
        marks["backlog_done"] = time.time()
        # B: steady creation with the worker running.
        marks["steady_started"] = time.time()
        steady = _create_orders_steady(ctx, 2, duration)
        drained_b = _wait_drained(receiver, worker, endpoint.pk, floor, 60.0 + duration * 5)
    finally:
        if worker is not None:
            worker.stop()
        receiver.stop()
        connections.close_all()
        endpoint_disable(endpoint=endpoint, reason="bench W9 finished", actor=Actor.system("bench"))

    rows = list(
        WebhookDelivery.objects.filter(endpoint=endpoint).values_list(
            "uid", "status", "created_at", "event__at", "event_id"
        )
    )
    events = Event.objects.filter(pk__gt=floor, name__startswith="order.").count()
    received = receiver.records()
    seen = Counter(uid for uid, *_ in received)
    first: dict[str, float] = {}
    for uid, at, *_ in received:
        first[uid] = min(at, first.get(uid, at))
    uids = {str(u) for u, *_ in rows}
    duplicates = sum(c - 1 for c in seen.values() if c > 1)
    unknown = len(set(seen) - uids)
    missing = len(uids - set(seen))
    undelivered = sum(1 for _u, status, *_ in rows if status != WebhookStatus.DELIVERED)
    per_event = Counter(ev for *_, ev in rows if ev and ev > floor)
    doubled_events = sum(1 for c in per_event.values() if c > 1)
    events_without = max(0, events - len(per_event))
    problems = {
        "duplicate receipts": duplicates,
        "unknown delivery ids": unknown,
        "never received": missing,
        "not marked delivered": undelivered,
        "events with 2+ deliveries": doubled_events,
        "events without a delivery": events_without,
    }
    errors = sum(problems.values())
    problem_text = ", ".join(f"{k} {v}" for k, v in problems.items() if v)
    if not (drained_a and drained_b):
        problem_text = (problem_text + "; " if problem_text else "") + "not drained before the timeout"
        errors = errors or 1

    def ts(d: dt.datetime) -> float:
        return d.timestamp()

    phase_a = [(str(u), ts(c), ts(e)) for u, _s, c, e, _ev in rows if e and ts(e) < marks["worker_started"]]
    phase_b = [(str(u), ts(c), ts(e)) for u, _s, c, e, _ev in rows if e and ts(e) >= marks["steady_started"]]

    # A: end to end, deliveries/s from the first delivery row (the outbox fan-out started) to the last
    # receipt; the fan-out rate and the sender's own rate (first to last receipt) beside it.
    a_times = sorted(first[u] for u, _c, _e in phase_a if u in first)
    fan = sorted(c for _u, c, _e in phase_a)
    a = Result(id="W9", name=f"webhook dispatch, backlog of {len(phase_a)} order events", unit="deliveries/s")
    a.clients = 1
    a.requests = len(phase_a)
    a.errors = errors
    if a_times and fan:
        a.seconds = a_times[-1] - fan[0]
        a.throughput = len(a_times) / a.seconds if a.seconds > 0 else None
    fan_rate = (len(fan) - 1) / (fan[-1] - fan[0]) if len(fan) > 1 and fan[-1] > fan[0] else None
    send_span = a_times[-1] - a_times[0] if len(a_times) > 1 else 0
    send_rate = (len(a_times) - 1) / send_span if send_span > 0 else None
    start_to_first = (a_times[0] - marks["worker_started"]) if a_times else None
    a.extra = {
        "deliveries": len(phase_a),
        "fan_out_per_s": round(fan_rate, 1) if fan_rate else None,
        "sender_per_s": round(send_rate, 1) if send_rate else None,
        "worker_start_to_first_receipt_s": round(start_to_first, 1) if start_to_first is not None else None,
        **{k.replace(" ", "_"): v for k, v in problems.items()},
    }
    a.note = (
        f"end to end (first delivery row to last receipt); outbox fan-out {fan_rate or 0:.0f}/s, sender "
        f"{send_rate or 0:.0f}/s (first to last receipt); worker start (incl. its ANALYZE) to first receipt "
        f"{start_to_first or 0:.1f} s" + (f"; FAILED: {problem_text}" if problem_text else "")
    )
    a.error_samples = [problem_text] if problem_text else []

    # B: event -> first attempt at steady load.
    b = Result(
        id="W9",
        name="webhook dispatch at steady load (2 clients creating orders), event -> first attempt",
        unit="deliveries/s",
    )
    b.clients = 2
    lat = [(first[u] - e) * 1000 for u, _c, e in phase_b if u in first]
    fan_lag = [(c - e) * 1000 for _u, c, e in phase_b]
    send_lag = [(first[u] - c) * 1000 for u, c, _e in phase_b if u in first]
    b.latencies_ms = lat
    b.requests = len(phase_b)
    b.seconds = steady.seconds
    b.throughput = len(lat) / steady.seconds if steady.seconds else None
    b.extra = {
        "orders_per_s": round((steady.requests - steady.errors) / steady.seconds, 1)
        if steady.seconds
        else None,
        "fan_out_lag_p50_ms": round(statistics.median(fan_lag), 1) if fan_lag else None,
        "fan_out_lag_p99_ms": round(percentile(fan_lag, 99) or 0, 1) if fan_lag else None,
        "send_lag_p50_ms": round(statistics.median(send_lag), 1) if send_lag else None,
        "send_lag_p99_ms": round(percentile(send_lag, 99) or 0, 1) if send_lag else None,
    }
    b.note = (
        f"throughput bound by order creation ({b.extra['orders_per_s']} orders/s); event -> delivery row "
        f"p50 {_ms(b.extra['fan_out_lag_p50_ms'])} / p99 {_ms(b.extra['fan_out_lag_p99_ms'])}, "
        f"row -> receiver p50 {_ms(b.extra['send_lag_p50_ms'])} / p99 {_ms(b.extra['send_lag_p99_ms'])}"
    )
    if steady.errors:
        b.errors += steady.errors
        b.error_samples += steady.error_samples[:3]
    return [a, b]
