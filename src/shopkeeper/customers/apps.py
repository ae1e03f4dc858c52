from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "shopkeeper.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from shopkeeper.accounts.selectors import user_label
        from shopkeeper.core.changes import register_value_label
        from shopkeeper.core.demo import register_demo
        from shopkeeper.core.events import register_consumer
        from shopkeeper.core.nav import Section, register_section
        from shopkeeper.core.templatetags.shopkeeper import phone

        from . import demo
        from .metrics import on_order_event, on_order_events

        register_section(
            Section(
                key="customers",
                label=_("Customers"),
                url_name="customers:list",
                icon="people",
                order=200,
                permission="customers.view_customer",
            )
        )
        register_section(
            Section(
                key="companies",
                label=_("Companies"),
                url_name="customers:companies",
                icon="building",
                order=210,
                permission="customers.view_company",
            )
        )
        register_section(
            Section(
                key="customer_settings",
                label=_("Customer settings"),
                url_name="customers:settings",
                icon="person-gear",
                order=210,
                permission="customers.change_rfmsettings",
                group="settings",
            )
        )
        register_consumer("customers.metrics", ["order.*"], on_order_event, batch_handler=on_order_events)
        register_value_label("customer", "phones", phone)  # each number as the card shows it
        for entity in ("customer", "company"):
            register_value_label(entity, "manager", user_label)
        register_demo(40, "customers", demo.load)
