"""Outbound webhooks: endpoints, one delivery per (endpoint, event), and every attempt's log."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEndpoint(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("secret"), max_length=255)
    previous_secret = models.CharField(max_length=255, blank=True)  # also signed with until it expires
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    events = models.JSONField(_("events"), default=list)  # patterns: "order.created", "order.*", "*"
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("disabled because"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url


class WebhookStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead letter")


class WebhookDelivery(models.Model):
    id = models.BigAutoField(primary_key=True)
    uid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("core.Event", null=True, on_delete=models.SET_NULL, related_name="+")
    event_name = models.CharField(_("event"), max_length=60)
    body = models.BinaryField()  # the exact JSON sent (and signed) on every attempt
    status = models.CharField(
        _("status"), max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_endpoint_event_uniq")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_due_idx",
                condition=models.Q(status="pending"),
            )
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event_name} -> {self.endpoint_id} ({self.uid})"


class WebhookAttempt(models.Model):
    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=1000, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
