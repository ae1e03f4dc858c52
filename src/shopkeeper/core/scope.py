"""A unit of work's memo: reference rows (a store, its policies, its mappings) read once per batch.

A batch of a hundred orders asks for the same store's dedupe policy, warehouses and code mappings a
hundred times. Inside `memo_scope()` the first answer is kept for the rest of the block; outside it,
`memoized` simply calls the function. Only read-mostly settings belong here, never rows the block
itself changes.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

_memo: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar("memo_scope", default=None)


@contextmanager
def memo_scope() -> Iterator[None]:
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized[T](key: Hashable, compute: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def peek(key: Hashable) -> Any:
    """What the current scope holds under `key` (None outside a scope or if nothing is there)."""
    memo = _memo.get()
    return None if memo is None else memo.get(key)
