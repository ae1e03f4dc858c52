from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "shopkeeper.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from shopkeeper.core.events import register_consumer
        from shopkeeper.core.nav import Section, register_section

        from .services import WEBHOOK_EVENT_PATTERNS, webhooks_fan_out, webhooks_fan_out_many

        register_consumer(
            "integrations.webhooks",
            WEBHOOK_EVENT_PATTERNS,
            webhooks_fan_out,
            batch_handler=webhooks_fan_out_many,
        )
        register_section(
            Section(
                key="webhooks",
                label=_("Webhooks"),
                url_name="integrations:webhooks",
                icon="broadcast",
                order=830,
                permission="integrations.view_webhookendpoint",
                group="settings",
            )
        )
