"""The intake journal: every inbound order request is stored raw before it is processed.

`InboundRequest` rows are the journal. `SourceCredential` holds per-store secrets of the signed sources
(WooCommerce, Shopify). `CodeMapping` translates a source's delivery/payment/status/channel codes to ours;
unknown codes seen in intake are recorded there unmapped so an administrator can map them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    NATIVE = "native", _("Native API")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")
    SHOPIFY = "shopify", _("Shopify")
    FORM = "form", _("Web form")


class EntryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FLAGGED = "flagged", _("Flagged")
    FAILED = "failed", _("Failed")


class InboundRequest(models.Model):
    id = models.BigAutoField(primary_key=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    endpoint = models.CharField(_("endpoint"), max_length=40, blank=True)  # intake, orders, orders-batch
    store_code = models.CharField(_("store"), max_length=50, blank=True)
    topic = models.CharField(_("topic"), max_length=60, blank=True)
    delivery_id = models.CharField(_("delivery id"), max_length=255, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"), blank=True)
    original_body = models.BinaryField(_("original body"), null=True, blank=True)  # set when edited
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    api_key_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.RECEIVED
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status_idx"),
            models.Index(fields=["source", "delivery_id"], name="inbound_delivery_idx"),
        ]
        verbose_name = _("inbound request")
        verbose_name_plural = _("inbound requests")

    def __str__(self) -> str:
        return f"{self.source} #{self.pk}"

    @property
    def body_text(self) -> str:
        return bytes(self.body or b"").decode("utf-8", errors="replace")


class SourceCredential(models.Model):
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    secret = models.CharField(_("secret"), max_length=255)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "source"], name="intake_credential_uniq")]
        verbose_name = _("source credential")
        verbose_name_plural = _("source credentials")

    def __str__(self) -> str:
        return f"{self.store_id}/{self.source}"


class MappingKind(models.TextChoices):
    DELIVERY = "delivery", _("Delivery type")
    PAYMENT = "payment", _("Payment type")
    STATUS = "status", _("Status")
    CHANNEL = "channel", _("Channel")


class CodeMapping(models.Model):
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=MappingKind.choices)
    external_code = models.CharField(_("external code"), max_length=100)
    internal_code = models.CharField(_("our code"), max_length=50, blank=True)  # "" = not mapped yet
    seen_count = models.PositiveIntegerField(_("seen"), default=0)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "source", "kind", "external_code"], name="intake_mapping_uniq"
            )
        ]
        ordering = ["source", "kind", "external_code"]
        verbose_name = _("code mapping")
        verbose_name_plural = _("code mappings")

    def __str__(self) -> str:
        return f"{self.source}:{self.kind}:{self.external_code}->{self.internal_code or '?'}"
