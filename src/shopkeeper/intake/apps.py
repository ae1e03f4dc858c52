from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "shopkeeper.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from shopkeeper.core.nav import Section, register_section

        register_section(
            Section(
                key="intake",
                label=_("Intake"),
                url_name="intake:inbox",
                icon="inbox",
                order=150,
                permission="intake.view_inboundrequest",
            )
        )
        register_section(
            Section(
                key="intake_mappings",
                label=_("Intake mappings"),
                url_name="intake:mappings",
                icon="arrow-left-right",
                order=820,
                permission="intake.change_codemapping",
                group="settings",
            )
        )
