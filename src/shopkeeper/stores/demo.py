from shopkeeper.core.changes import Actor
from shopkeeper.core.demo import DemoContext

from .models import Store
from .services import store_create

DEMO_STORES = [
    ("main", "Northwind Outfitters", "USD", "America/New_York"),
    ("moscow", "Северный ветер", "RUB", "Europe/Moscow"),
    ("kyiv", "Північний вітер", "UAH", "Europe/Kyiv"),
]


def load(ctx: DemoContext) -> None:
    for code, name, currency, tz in DEMO_STORES:
        if not Store.objects.filter(code=code).exists():
            store_create(code=code, name=name, currency=currency, timezone=tz, actor=Actor.system("demo"))
