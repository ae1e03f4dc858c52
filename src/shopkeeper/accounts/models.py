import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from shopkeeper.core.scope import reference

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


class WorkStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")


class User(AbstractUser):
    """A person who works in the CRM. The role is a group (see roles.py)."""

    email = models.EmailField(_("email address"), blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, choices=TIMEZONE_CHOICES, blank=True)
    work_status = models.CharField(
        _("status"), max_length=10, choices=WorkStatus.choices, default=WorkStatus.AWAY
    )
    stores = models.ManyToManyField(
        "stores.Store",
        blank=True,
        related_name="users",
        verbose_name=_("stores"),
        help_text=_("Limit the user to these stores (orders, customers, assignment). Empty: all stores."),
    )
    own_orders_only = models.BooleanField(
        _("only own orders"), default=False, help_text=_("Sees only the orders assigned to them.")
    )
    receives_orders = models.BooleanField(
        _("receives new orders"), default=True, help_text=_("Takes part in automatic assignment when online.")
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Changed to sign out every session of the user at once (the session hash mixes it in); the
    # session that made the change is kept with update_session_auth_hash.
    session_salt = models.CharField(max_length=32, blank=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def _session_hash(self, secret=None) -> str:
        # Empty salt: the very hash Django makes of the password, so sessions survive the upgrade.
        value = f"{self.password}${self.session_salt}" if self.session_salt else self.password
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            value,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        return self._session_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    @property
    def role(self):  # the one role group, if any
        groups = getattr(self, "_prefetched_objects_cache", {}).get("groups")
        if groups is None:
            groups = self.groups.all()
        return next(iter(groups), None)


class Scope(models.TextChoices):
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Create and change orders")
    CUSTOMERS_READ = "customers:read", _("Read customers")
    CUSTOMERS_WRITE = "customers:write", _("Create and change customers")
    CATALOG_READ = "catalog:read", _("Read the catalog")
    CATALOG_WRITE = "catalog:write", _("Change the catalog")
    INVENTORY_WRITE = "inventory:write", _("Change stock")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Manage webhooks")
    CHANGES_READ = "changes:read", _("Read the change feed")


class ApiKey(models.Model):
    """A key for the REST API. Only a SHA-256 hash of the secret is stored; it is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    stores = models.ManyToManyField("stores.Store", blank=True, verbose_name=_("stores"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def store_ids(self) -> list[int] | None:
        """Ids of the stores this key is limited to, None for every store (kept like reference rows)."""
        return reference(
            ("api_key_stores", self.pk), lambda: list(self.stores.values_list("pk", flat=True)) or None
        )


class SecurityEvent(models.Model):
    """Authentication events and denied access: who, what, when, from where; never secrets."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=40)
    username = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    ip = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
