from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shopkeeper.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models import signals

        from .scope import reference_model_changed

        for signal in (signals.post_save, signals.post_delete, signals.m2m_changed):
            signal.connect(reference_model_changed, dispatch_uid="reference_model_changed")
