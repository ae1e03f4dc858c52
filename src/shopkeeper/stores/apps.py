from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoresConfig(AppConfig):
    name = "shopkeeper.stores"
    label = "stores"
    verbose_name = _("Stores")

    def ready(self) -> None:
        from shopkeeper.core.demo import register_demo
        from shopkeeper.core.nav import Section, register_section

        from . import demo

        register_section(
            Section(
                key="stores",
                label=_("Stores"),
                url_name="stores:list",
                icon="shop",
                order=790,
                permission="stores.change_store",
                group="settings",
            )
        )
        register_demo(20, "stores", demo.load)
