from shopkeeper.core.changes import Actor
from shopkeeper.core.demo import DemoContext

from .models import NameOrder, Store
from .services import store_create

DEMO_STORES = [
    ("main", "Northwind Outfitters", "USD", "America/New_York", NameOrder.FIRST_LAST),
    ("moscow", "Северный ветер", "RUB", "Europe/Moscow", NameOrder.LAST_FIRST),
    ("kyiv", "Північний вітер", "UAH", "Europe/Kyiv", NameOrder.LAST_FIRST),
]


def load(ctx: DemoContext) -> None:
    for code, name, currency, tz, name_order in DEMO_STORES:
        if not Store.objects.filter(code=code).exists():
            store_create(
                code=code,
                name=name,
                currency=currency,
                timezone=tz,
                name_order=name_order,
                actor=Actor.system("demo"),
            )
