"""Fixed-window counters in the cache, shared by login throttling and API rate limits."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True, slots=True)
class Window:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window ends


def _key(name: str, window: int) -> tuple[str, int]:
    start = int(time.time()) // window * window
    return f"rl:{name}:{start}", start + window - int(time.time())


def hit(name: str, *, limit: int, window: int) -> Window:
    """Count one request against `name`; `allowed` is False once the limit is exceeded."""
    key, reset = _key(name, window)
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    return Window(allowed=count <= limit, limit=limit, remaining=max(limit - count, 0), reset=max(reset, 1))


def peek(name: str, *, limit: int, window: int) -> Window:
    key, reset = _key(name, window)
    count = cache.get(key, 0)
    return Window(allowed=count < limit, limit=limit, remaining=max(limit - count, 0), reset=max(reset, 1))


def clear(name: str, *, window: int) -> None:
    cache.delete(_key(name, window)[0])
