from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$",
    _("Use lowercase letters, digits, '-' and '_' (for example: main-site)."),
)


class ReservationStrategy(models.TextChoices):
    PRIORITY = "priority", _("warehouse priority order")
    MOST_AVAILABLE = "most_available", _("most available first")


class Store(models.Model):
    """A site (shop) the CRM serves; API keys and users can be limited to some stores."""

    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    is_active = models.BooleanField(_("active"), default=True)
    reservation_strategy = models.CharField(
        _("stock reservation"),
        max_length=20,
        choices=ReservationStrategy.choices,
        default=ReservationStrategy.PRIORITY,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name
