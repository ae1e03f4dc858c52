import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$",
    _("Use lowercase letters, digits, '-' and '_' (for example: main-site)."),
)
currency_validator = RegexValidator(
    r"^[A-Z]{3}$", _("Use a three-letter currency code (for example: USD, EUR, RUB).")
)


@functools.cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA time zone name, sorted (read from the system once: the scan takes milliseconds)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def validate_timezone(value: str) -> None:
    if value not in timezone_names():
        raise ValidationError(_("Unknown time zone."), code="invalid_timezone")


class ReservationStrategy(models.TextChoices):
    PRIORITY = "priority", _("warehouse priority order")
    MOST_AVAILABLE = "most_available", _("most available first")


class NameOrder(models.TextChoices):
    """How the store writes a person's name (`Customer.full_name`)."""

    LAST_FIRST = "last_first", _("Last name first (Ivanov Ivan Ivanovich)")
    FIRST_LAST = "first_last", _("First name first (Ivan Ivanov)")


class Store(models.Model):
    """A site (shop) the CRM serves; API keys and users can be limited to some stores."""

    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, default="USD", validators=[currency_validator])
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    is_active = models.BooleanField(_("active"), default=True)
    reservation_strategy = models.CharField(
        _("stock reservation"),
        max_length=20,
        choices=ReservationStrategy.choices,
        default=ReservationStrategy.PRIORITY,
    )
    name_order = models.CharField(
        _("name order"), max_length=20, choices=NameOrder.choices, default=NameOrder.LAST_FIRST
    )
    # Requisites printed on the store's documents (invoices).
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    address = models.TextField(_("address"), blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=50, blank=True)
    bank_details = models.TextField(_("bank details"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name

    @property
    def has_requisites(self) -> bool:
        """Whether any requisite is filled in (the invoice shows the block then)."""
        return any((self.legal_name, self.address, self.tax_id, self.bank_details, self.phone, self.email))
