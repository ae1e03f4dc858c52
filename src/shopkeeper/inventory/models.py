"""Inventory: warehouses, stock per offer per warehouse, the movement ledger and reservations.

The ledger (Movement) is the source of truth: for every stock level, `on_hand` equals the sum of its
movements' `on_hand_delta` and `reserved` the sum of `reserved_delta`. Only inventory.services writes here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shopkeeper.stores.models import code_validator

QTY = {"max_digits": 14, "decimal_places": 3}


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.IntegerField(_("priority"), default=100, help_text=_("Lower ships first."))
    stores = models.ManyToManyField(
        "stores.Store", through="StoreWarehouse", related_name="warehouses", blank=True
    )

    class Meta:
        ordering = ["priority", "code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.name


class StoreWarehouse(models.Model):
    """A warehouse a store ships from, with the store's own priority for it."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="warehouse_links")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="store_links")
    priority = models.IntegerField(_("priority"), default=100)

    class Meta:
        ordering = ["priority", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "warehouse"], name="inventory_store_wh_unique")
        ]


class StockLevel(models.Model):
    offer = models.ForeignKey("catalog.Offer", on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.DecimalField(_("on hand"), **QTY, default=0)
    reserved = models.DecimalField(_("reserved"), **QTY, default=0)

    class Meta:
        ordering = ["warehouse__priority", "warehouse__code"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["offer", "warehouse"], name="inventory_stock_unique"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inventory_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="inventory_reserved_le_on_hand"
            ),
        ]

    @property
    def available(self):
        return self.on_hand - self.reserved


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("receipt")
    ADJUSTMENT = "adjustment", _("adjustment")
    RESERVATION = "reservation", _("reservation")
    RELEASE = "release", _("release")
    WRITE_OFF = "write_off", _("write-off")
    RETURN = "return", _("return to stock")
    TRANSFER_OUT = "transfer_out", _("transfer out")
    TRANSFER_IN = "transfer_in", _("transfer in")


class Movement(models.Model):
    at = models.DateTimeField(_("at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    offer = models.ForeignKey("catalog.Offer", on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    on_hand_delta = models.DecimalField(_("on hand change"), **QTY, default=0)
    reserved_delta = models.DecimalField(_("reserved change"), **QTY, default=0)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    order_id = models.BigIntegerField(_("order"), null=True, blank=True, db_index=True)
    order_line_id = models.BigIntegerField(_("order line"), null=True, blank=True, db_index=True)
    actor_type = models.CharField(max_length=20)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["offer", "-id"])]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")


class Reservation(models.Model):
    """What one order line holds in one warehouse: reserved now, and shipped (written off) so far."""

    order_id = models.BigIntegerField(db_index=True)
    line_id = models.BigIntegerField()
    offer = models.ForeignKey("catalog.Offer", on_delete=models.PROTECT, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(**QTY, default=0)
    shipped = models.DecimalField(**QTY, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["line_id", "offer", "warehouse"], name="inventory_reservation_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0) & Q(shipped__gte=0), name="inventory_res_not_negative"
            ),
        ]
