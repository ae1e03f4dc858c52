"""The spine every domain writes through: the change log and the event outbox.

A service that changes domain data records, in the same transaction, one `Change` row (what changed,
field by field, who did it and from where) and usually one `Event` (what happened, for consumers).
For each consumer registered for the event, an `EventDelivery` row is created too, so the worker has a
queue per consumer: a failing consumer is retried with backoff and never blocks the others.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorType(models.TextChoices):
    USER = "user", _("User")
    API_KEY = "api_key", _("API key")
    RULE = "rule", _("Rule")
    SYSTEM = "system", _("System")


class Change(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    entity = models.CharField(max_length=40)
    entity_id = models.BigIntegerField()
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True)

    class Meta:
        indexes = [models.Index(fields=["entity", "entity_id", "id"], name="change_entity_idx")]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self) -> str:
        return f"{self.entity}#{self.entity_id} {self.action}"


class ChangeLink(models.Model):
    """Another entity a change belongs to: an order's change also shows on its customer's timeline."""

    id = models.BigAutoField(primary_key=True)
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="links")
    entity = models.CharField(max_length=40)
    entity_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["entity", "entity_id", "change"], name="changelink_entity_idx")]


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    name = models.CharField(max_length=60, db_index=True)
    entity = models.CharField(max_length=40)
    entity_id = models.BigIntegerField()
    payload = models.JSONField(default=dict, blank=True)
    change = models.ForeignKey(Change, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.name} {self.entity}#{self.entity_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    DEAD = "dead", _("Dead-lettered")


class EventDelivery(models.Model):
    """One event for one consumer: the outbox queue the worker drains."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    consumer = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="delivery_due_idx",
                condition=models.Q(status="pending"),
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "consumer"], name="delivery_event_consumer_uniq")
        ]


class IdempotencyRecord(models.Model):
    """The first answer to a write made with an `Idempotency-Key`, replayed for repeats."""

    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=64)  # who may replay it: an API key's id, or a session user's
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.BinaryField(blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_uniq")]
