from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "shopkeeper.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from shopkeeper.core.demo import register_demo
        from shopkeeper.core.events import register_consumer

        from . import demo
        from .metrics import on_order_event

        register_consumer("customers.metrics", ["order.*"], on_order_event)
        register_demo(40, "customers", demo.load)
