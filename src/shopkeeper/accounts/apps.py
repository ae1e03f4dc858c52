from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shopkeeper.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Roles need the permissions Django creates after migrating; this is the only hook there is.
        from shopkeeper.core.demo import register_demo
        from shopkeeper.core.nav import Section, register_section

        from . import demo
        from .roles import roles_sync_after_migrate

        register_section(
            Section(
                key="users",
                label=_("Team"),
                url_name="accounts:users",
                icon="people",
                order=900,
                permission="accounts.view_user",
                group="settings",
            )
        )

        register_demo(10, "users", demo.load)
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="shopkeeper.roles_sync")
