from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "shopkeeper.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from shopkeeper.core.nav import Section, register_section

        register_section(
            Section(
                key="inventory",
                label=_("Inventory"),
                url_name="inventory:stock",
                icon="boxes",
                order=310,
                permission="inventory.view_stocklevel",
            )
        )
