"""Demo catalog: a few hundred offers across apparel, electronics and home, stocked in three warehouses."""

from __future__ import annotations

import random
from decimal import Decimal

from shopkeeper.core.changes import Actor
from shopkeeper.core.demo import DemoContext

from . import services
from .models import Offer, PriceType, Product, ProductGroup

ACTOR = Actor.system("demo")

GROUPS = [
    ("apparel", "Apparel", None),
    ("t-shirts", "T-shirts", "apparel"),
    ("hoodies", "Hoodies", "apparel"),
    ("jeans", "Jeans", "apparel"),
    ("electronics", "Electronics", None),
    ("audio", "Audio", "electronics"),
    ("chargers", "Chargers and cables", "electronics"),
    ("home", "Home", None),
    ("kitchen", "Kitchen", "home"),
    ("textiles", "Home textiles", "home"),
]
COLOURS = ["black", "white", "navy", "red", "green", "grey"]
SIZES = ["XS", "S", "M", "L", "XL"]
FAMILIES = {
    "t-shirts": (
        ["Classic tee", "Organic tee", "Pocket tee", "Graphic tee", "V-neck tee", "Long-sleeve tee"],
        15,
        40,
    ),
    "hoodies": (["Zip hoodie", "Pullover hoodie", "Fleece hoodie", "Heavyweight hoodie"], 45, 90),
    "jeans": (["Slim jeans", "Straight jeans", "Relaxed jeans", "Bootcut jeans"], 50, 120),
    "audio": (["Wireless earbuds", "Over-ear headphones", "Bluetooth speaker", "Studio headphones"], 30, 300),
    "chargers": (
        ["USB-C charger 30W", "USB-C charger 65W", "Braided cable 1m", "Braided cable 2m", "Power bank"],
        10,
        80,
    ),
    "kitchen": (["Ceramic mug", "French press", "Chef knife", "Cutting board", "Tea kettle"], 8, 120),
    "textiles": (["Wool blanket", "Linen pillowcase", "Bath towel", "Throw pillow"], 15, 150),
}
# A family's products after the first are its lines ("Bath towel Aurora"), as a store names its range;
# the count reaches 30 at size L.
LINES = [
    "Aurora", "Nord", "Terra", "Vega", "Atlas", "Breeze", "Cedar", "Drift", "Ember", "Fjord",
    "Glacier", "Harbor", "Iris", "Juniper", "Kestrel", "Lumen", "Meadow", "Nova", "Orbit", "Pulse",
    "Quartz", "Ridge", "Sierra", "Tundra", "Umber", "Vista", "Willow", "Zephyr", "Alto", "Basalt",
]  # fmt: skip
WAREHOUSES = [
    ("central", "Central warehouse", 10),
    ("east", "East warehouse", 20),
    ("west", "West warehouse", 30),
]
STORE_WAREHOUSES = {"main": ["central", "west"], "moscow": ["east", "central"], "kyiv": ["west", "east"]}


def _money(value: float) -> Decimal:
    return Decimal(str(round(value))) - Decimal("0.01")


def load(ctx: DemoContext) -> None:
    from shopkeeper.inventory import services as stock
    from shopkeeper.inventory.models import Warehouse
    from shopkeeper.stores.models import Store

    rng = random.Random(ctx.seed + 30)
    count = {"S": 1, "M": 3, "L": 10}.get(ctx.size, 1)
    wholesale = PriceType.objects.filter(code="wholesale").first() or services.price_type_create(
        code="wholesale", name="Wholesale", position=10, actor=ACTOR
    )
    services.price_type_default()
    groups = {g.code: g for g in ProductGroup.objects.all()}
    for code, name, parent in GROUPS:
        if code not in groups:
            groups[code] = services.group_create(name=name, code=code, parent=groups.get(parent), actor=ACTOR)

    existing = set(Offer.objects.values_list("sku", flat=True))
    new_products: list[int] = []
    done = set(Product.objects.exclude(external_id="").values_list("external_id", flat=True))
    for group_code, (names, low, high) in FAMILIES.items():
        apparel = group_code in ("t-shirts", "hoodies", "jeans")
        for n in range(count * 3):
            for base in names:
                key = f"{group_code[:3].upper()}-{names.index(base) + 1:02d}-{n + 1:02d}"
                if f"demo-{key}" in done:
                    continue
                rng = random.Random(f"{ctx.seed}-{key}")
                if apparel:
                    variants = [(c, s) for c in rng.sample(COLOURS, 2) for s in SIZES]
                else:
                    variants = [(c, None) for c in rng.sample(COLOURS, rng.randint(1, 3))]
                title = f"{base} {LINES[n - 1]}" if n else base
                offers = []
                retail = rng.uniform(low, high)
                for colour, size in variants:
                    sku = f"{key}-{colour.upper()}" + (f"-{size}" if size else "")
                    if sku in existing:
                        continue
                    properties = {"colour": colour, **({"size": size} if size else {})}
                    offers.append(
                        {
                            "sku": sku,
                            "name": f"{title} {colour}" + (f" {size}" if size else ""),
                            "barcode": str(rng.randint(10**12, 10**13 - 1)),
                            "properties": properties,
                            "weight": Decimal(str(round(rng.uniform(0.1, 2.0), 3))),
                            "purchase_price": _money(retail * 0.45),
                            "min_stock": Decimal(rng.choice([0, 2, 5])),
                            "prices": {"retail": _money(retail), wholesale.code: _money(retail * 0.8)},
                        }
                    )
                if offers:
                    created = services.product_create(
                        name=title,
                        external_id=f"demo-{key}",
                        group=groups[group_code],
                        offers=offers,
                        actor=ACTOR,
                        description=ctx.faker["en_US"].sentence(nb_words=12),
                    )
                    existing.update(o["sku"] for o in offers)
                    new_products.append(created.pk)

    warehouses = {w.code: w for w in Warehouse.objects.all()}
    for code, name, priority in WAREHOUSES:
        if code not in warehouses:
            warehouses[code] = stock.warehouse_create(code=code, name=name, priority=priority, actor=ACTOR)
    for store in Store.objects.filter(code__in=list(STORE_WAREHOUSES)):
        if not store.warehouse_links.exists():
            stock.store_set_warehouses(
                store=store, warehouses=[warehouses[c] for c in STORE_WAREHOUSES[store.code]], actor=ACTOR
            )
    items = []
    for offer in Offer.objects.filter(product__in=new_products).order_by("pk"):
        for warehouse in warehouses.values():
            if rng.random() < 0.7:
                items.append((offer, warehouse, rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 40])))
    stock.stock_receive_bulk(items=items, reason="opening balance", actor=ACTOR)
    ctx.log(f"  catalog: {Offer.objects.count()} offers, {len(items)} stock rows received")
