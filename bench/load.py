"""The load generator: N asyncio clients (httpx) against the running server, bounded in time and count.

Only loopback addresses are ever targeted (the harness starts the server on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

MAX_REQUESTS = 200_000  # a hard bound per step, whatever the duration
# Each client is one keep-alive connection, opened anew after this many requests. The server's workers
# take connections as granian's accept hands them out, which is uneven: four lasting connections often
# all landed on one of the two workers, and that step measured one core (the same code gave 54 or 95
# req/s from one step to the next). Reconnecting spreads a step's requests over the workers as many
# managers' browsers do, for one TCP handshake per ten requests.
RECONNECT_EVERY = 10


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Result:
    id: str
    name: str
    clients: int = 1
    unit: str = "req/s"
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    queries: int | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    throughput: float | None = None

    def summary(self) -> dict[str, Any]:
        tp = self.throughput
        if tp is None and self.seconds > 0:
            tp = (self.requests - self.errors) / self.seconds
        return {
            "id": self.id,
            "name": self.name,
            "clients": self.clients,
            "unit": self.unit,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "throughput": round(tp, 1) if tp is not None else None,
            "p50_ms": _r(percentile(self.latencies_ms, 50)),
            "p95_ms": _r(percentile(self.latencies_ms, 95)),
            "p99_ms": _r(percentile(self.latencies_ms, 99)),
            "queries": self.queries,
            "note": self.note,
            "error_samples": self.error_samples[:5],
            **self.extra,
        }


def _r(v: float | None) -> float | None:
    return round(v, 1) if v is not None else None


# A request factory returns (method, url, kwargs, check); check(response) -> error text or None.
Check = Callable[[httpx.Response], str | None]
Factory = Callable[[int], tuple[str, str, dict[str, Any], Check | None]]


def expect(*codes: int) -> Check:
    def check(resp: httpx.Response) -> str | None:
        if resp.status_code in codes:
            return None
        return f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}: {resp.text[:200]}"

    return check


async def _run(
    base_url: str,
    headers: dict[str, str],
    cookies: dict[str, str],
    result: Result,
    factory: Factory,
    clients: int,
    duration: float,
    max_requests: int,
    on_response: Callable[[int, httpx.Response], Awaitable[None] | None] | None,
    timeout: float = 60.0,
) -> None:
    counter = 0
    deadline = time.perf_counter() + duration
    started = time.perf_counter()

    async def worker() -> None:
        nonlocal counter
        # One connection per client; every RECONNECT_EVERY-th request says `Connection: close`.
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=base_url, headers=headers, cookies=cookies, limits=limits, timeout=timeout
        ) as client:
            sent = 0
            while time.perf_counter() < deadline and counter < max_requests:
                sent += 1
                i = counter
                counter += 1
                method, url, kwargs, check = factory(i)
                if sent % RECONNECT_EVERY == 0:
                    kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), "Connection": "close"}}
                t0 = time.perf_counter()
                try:
                    resp = await client.request(method, url, **kwargs)
                except httpx.HTTPError as exc:
                    result.requests += 1
                    result.errors += 1
                    result.error_samples.append(f"{method} {url}: {exc!r}")
                    continue
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                result.requests += 1
                problem = (check or expect(200))(resp)
                if problem:
                    result.errors += 1
                    result.error_samples.append(problem)
                elif on_response is not None:
                    maybe = on_response(i, resp)
                    if maybe is not None:
                        await maybe

    await asyncio.gather(*(worker() for _ in range(clients)))
    result.seconds = time.perf_counter() - started


def run_load(
    *,
    base_url: str,
    result: Result,
    factory: Factory,
    clients: int,
    duration: float,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    max_requests: int = MAX_REQUESTS,
    on_response=None,
    timeout: float = 60.0,
) -> Result:
    result.clients = clients
    asyncio.run(
        _run(
            base_url,
            headers or {},
            cookies or {},
            result,
            factory,
            clients,
            duration,
            max_requests,
            on_response,
            timeout,
        )
    )
    return result


async def _burst(base_url: str, headers: dict[str, str], requests: list[tuple[str, str, dict]]) -> tuple:
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=120.0) as client:

        async def one(method: str, url: str, kwargs: dict):
            t0 = time.perf_counter()
            try:
                resp = await client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                return None, repr(exc), (time.perf_counter() - t0) * 1000
            return resp, None, (time.perf_counter() - t0) * 1000

        started = time.perf_counter()
        out = await asyncio.gather(*(one(m, u, k) for m, u, k in requests))
        return out, time.perf_counter() - started


def burst(*, base_url: str, headers: dict[str, str], requests: list[tuple[str, str, dict]]):
    """All requests at once, each on its own connection: [(response|None, error|None, ms)], seconds."""
    return asyncio.run(_burst(base_url, headers, requests))
