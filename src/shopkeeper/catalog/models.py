"""Catalog: groups, products, offers (the sellable variants), price types and prices."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from shopkeeper.stores.models import code_validator

MONEY = {"max_digits": 14, "decimal_places": 2}


class ProductGroup(models.Model):
    """A node of the catalog tree."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    group = models.ForeignKey(
        ProductGroup,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    images = models.JSONField(_("image URLs"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_service = models.BooleanField(
        _("service (no stock)"), default=False, help_text=_("Services are sold without stock.")
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """A sellable variant of a product (size, colour...), identified by its SKU."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="offers"
    )
    name = models.CharField(_("name"), max_length=300)
    sku = models.CharField(_("SKU"), max_length=100, unique=True)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    properties = models.JSONField(_("variant properties"), default=dict, blank=True)
    unit = models.CharField(_("unit"), max_length=16, default="pcs")
    weight = models.DecimalField(
        _("weight, kg"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    purchase_price = models.DecimalField(
        _("purchase price"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    min_stock = models.DecimalField(
        _("minimum stock"),
        max_digits=14,
        decimal_places=3,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("The offer shows on the low-stock list when available stock falls below this."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(Upper("sku"), name="catalog_offer_sku_upper")]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"

    @property
    def is_stocked(self) -> bool:
        return not self.product.is_service


class PriceType(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="catalog_one_default_price_type",
            )
        ]
        verbose_name = _("price type")
        verbose_name_plural = _("price types")

    def __str__(self) -> str:
        return self.name


class Price(models.Model):
    """The price of an offer for one price type, in the store's currency."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="prices")
    price_type = models.ForeignKey(PriceType, on_delete=models.PROTECT, related_name="prices")
    amount = models.DecimalField(_("price"), **MONEY, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["price_type__position", "price_type__code"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "price_type"], name="catalog_price_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="catalog_price_not_negative"),
        ]
        indexes = [models.Index(fields=["price_type", "amount"])]
        verbose_name = _("price")
        verbose_name_plural = _("prices")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportFormat(models.TextChoices):
    YML = "yml", _("YML / ICML feed")
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")


class ImportJob(models.Model):
    """A catalog import running in the background; the page polls it for progress."""

    format = models.CharField(_("format"), max_length=10, choices=ImportFormat.choices)
    source_url = models.URLField(_("feed URL"), max_length=1000, blank=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("catalog import")
        verbose_name_plural = _("catalog imports")

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class FeedSource(models.Model):
    """A catalog feed fetched by the worker every `interval_hours` (store-independent)."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("feed URL"), max_length=1000)
    format = models.CharField(
        _("format"), max_length=10, choices=ImportFormat.choices, default=ImportFormat.YML
    )
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    interval_hours = models.PositiveIntegerField(
        _("every (hours)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 31)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=10, choices=ImportStatus.choices, blank=True)
    last_message = models.TextField(_("last message"), blank=True)
    last_job = models.ForeignKey(
        ImportJob,
        verbose_name=_("last import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("catalog feed")
        verbose_name_plural = _("catalog feeds")

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        """The status of the last run: the job's own while it exists, else what was recorded."""
        return self.last_job.status if self.last_job_id and self.last_job else self.last_status

    @property
    def status_label(self) -> str:
        return ImportStatus(self.status).label if self.status else ""
