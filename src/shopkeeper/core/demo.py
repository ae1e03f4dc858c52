"""Demo data: each app registers a loader; `shopkeeper loaddemo` runs them in order.

Loaders are idempotent: running them again reuses what exists instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from faker import Faker

SIZES = {"S", "M", "L"}
LOCALES = ["en_US", "ru_RU", "uk_UA", "zh_CN"]


@dataclass
class DemoContext:
    size: str
    faker: Faker
    seed: int
    log: Callable[[str], None]


_loaders: list[tuple[int, str, Callable[[DemoContext], None]]] = []


def register_demo(order: int, name: str, loader: Callable[[DemoContext], None]) -> None:
    if all(n != name for _o, n, _l in _loaders):
        _loaders.append((order, name, loader))


def load_demo(size: str = "S", seed: int = 2026, log: Callable[[str], None] = print) -> None:
    faker = Faker(LOCALES)
    Faker.seed(seed)
    ctx = DemoContext(size=size, faker=faker, seed=seed, log=log)
    for _order, name, loader in sorted(_loaders, key=lambda item: item[0]):
        log(f"demo: {name}")
        loader(ctx)
    from .maintenance import analyze

    analyze()
