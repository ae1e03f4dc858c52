from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "shopkeeper.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from shopkeeper.core.demo import register_demo
        from shopkeeper.core.nav import Section, register_section

        from . import demo

        register_section(
            Section(
                key="orders",
                label=_("Orders"),
                url_name="orders:list",
                icon="receipt",
                order=100,
                permission="orders.view_order",
            )
        )
        register_section(
            Section(
                key="order_settings",
                label=_("Order settings"),
                url_name="orders:settings",
                icon="sliders",
                order=800,
                permission="orders.change_status",
                group="settings",
            )
        )
        register_demo(60, "orders", demo.load)

        from .labels import register

        register()
