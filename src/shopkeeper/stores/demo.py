from shopkeeper.core.changes import Actor
from shopkeeper.core.demo import DemoContext

from .models import NameOrder, Store
from .services import store_create

DEMO_STORES = [
    ("main", "Northwind Outfitters", "USD", "America/New_York", NameOrder.FIRST_LAST),
    ("moscow", "Северный ветер", "RUB", "Europe/Moscow", NameOrder.LAST_FIRST),
    ("kyiv", "Північний вітер", "UAH", "Europe/Kyiv", NameOrder.LAST_FIRST),
]

# What the stores' invoices print (made up: the tax ids and accounts belong to no one).
REQUISITES = {
    "main": {
        "legal_name": "Northwind Outfitters LLC",
        "address": "415 Hudson Street, Suite 700\nNew York, NY 10014, USA",
        "tax_id": "EIN 00-0000000",
        "bank_details": "Account 0000 1234 5678\nRouting 000000000",
        "phone": "+1 212 555 0100",
        "email": "billing@northwind.example",
    },
    "moscow": {
        "legal_name": "ООО «Северный ветер»",
        "address": "123112, г. Москва, Пресненская наб., д. 12, офис 305",
        "tax_id": "ИНН 0000000000, КПП 000000000",
        "bank_details": "р/с 40702810000000000000\nк/с 30101810000000000000, БИК 000000000",
        "phone": "+7 495 555-01-00",
        "email": "buh@severny-veter.example",
    },
    "kyiv": {
        "legal_name": "ТОВ «Північний вітер»",
        "address": "01001, м. Київ, вул. Хрещатик, 22, офіс 14",
        "tax_id": "ЄДРПОУ 00000000",
        "bank_details": "IBAN UA00 0000 0000 0000 0000 0000 0000 0",
        "phone": "+380 44 555 01 00",
        "email": "buh@pivnichnyi-viter.example",
    },
}


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
                **REQUISITES.get(code, {}),
            )
