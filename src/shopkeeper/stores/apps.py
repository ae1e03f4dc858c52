from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoresConfig(AppConfig):
    name = "shopkeeper.stores"
    label = "stores"
    verbose_name = _("Stores")

    def ready(self) -> None:
        from shopkeeper.core.demo import register_demo

        from . import demo

        register_demo(20, "stores", demo.load)
