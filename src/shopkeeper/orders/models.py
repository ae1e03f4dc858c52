"""Orders and the dictionaries their workflow runs on (statuses in groups, transitions, channels...).

The dictionaries live here rather than in `stores` because each of them exists for the order workflow.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shopkeeper.stores.models import code_validator

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}
QTY = {"max_digits": 14, "decimal_places": 3}


class Dictionary(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        """The name in the reader's language when it is one we install (stored as its English msgid),
        else as an administrator typed it."""
        return gettext(self.name) if self.name else self.name


class Channel(Dictionary):
    class Meta(Dictionary.Meta):
        verbose_name = _("channel")
        verbose_name_plural = _("channels")


class OrderType(Dictionary):
    class Meta(Dictionary.Meta):
        verbose_name = _("order type")
        verbose_name_plural = _("order types")


class DeliveryType(Dictionary):
    default_cost = models.DecimalField(_("default cost"), **MONEY)

    class Meta(Dictionary.Meta):
        verbose_name = _("delivery type")
        verbose_name_plural = _("delivery types")


class PaymentType(Dictionary):
    class Meta(Dictionary.Meta):
        verbose_name = _("payment type")
        verbose_name_plural = _("payment types")


class CancelReason(Dictionary):
    class Meta(Dictionary.Meta):
        verbose_name = _("cancellation reason")
        verbose_name_plural = _("cancellation reasons")


class StatusGroup(Dictionary):
    """New, Approval, Assembling, Delivery, Complete, Cancelled; the last two are final."""

    is_final = models.BooleanField(_("final"), default=False)
    is_cancelled = models.BooleanField(_("cancellation"), default=False)

    class Meta(Dictionary.Meta):
        verbose_name = _("status group")
        verbose_name_plural = _("status groups")


class StockAction(models.TextChoices):
    NONE = "", _("keep as it is")
    RESERVE = "reserve", _("reserve")
    WRITE_OFF = "write_off", _("write off (shipped)")
    RELEASE = "release", _("release")


class Status(Dictionary):
    group = models.ForeignKey(
        StatusGroup, on_delete=models.PROTECT, related_name="statuses", verbose_name=_("group")
    )
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit, minutes"),
        null=True,
        blank=True,
        help_text=_("An order staying longer in this status is flagged overdue."),
    )
    stock_action = models.CharField(_("stock"), max_length=10, choices=StockAction.choices, blank=True)

    class Meta(Dictionary.Meta):
        ordering = ["group__position", "position", "code"]
        verbose_name = _("status")
        verbose_name_plural = _("statuses")
        permissions = [("change_status_settings", _("Can change order workflow settings"))]

    @property
    def is_final(self) -> bool:
        return self.group.is_final


class Transition(models.Model):
    """Which status may follow which, per order type (and optionally only for some roles)."""

    order_type = models.ForeignKey(OrderType, on_delete=models.CASCADE, related_name="transitions")
    source = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="transitions_out")
    target = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="transitions_in")
    roles = models.ManyToManyField("auth.Group", blank=True, help_text=_("Empty: every role."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_type", "source", "target"], name="transition_uniq")
        ]


class StoreOrderSettings(models.Model):
    """Per store: order numbering (a locked counter row, never max()+1) and defaults."""

    store = models.OneToOneField("stores.Store", on_delete=models.CASCADE, related_name="order_settings")
    number_prefix = models.CharField(_("order number prefix"), max_length=10, blank=True)
    last_number = models.PositiveBigIntegerField(default=0)
    default_price_type = models.CharField(_("default price type"), max_length=50, default="retail")
    # A customer without a manager takes the manager of their order once it has one, so the assignment
    # rule "the customer's own manager first" sends their next orders to the same person.
    customers_keep_manager = models.BooleanField(_("customers keep their first manager"), default=False)


class StatusCount(models.Model):
    """How many orders a store has in each status, kept by the order services in the same transaction
    as the order (see `orders.counts`): the single window's group counters without counting millions of
    rows on every load."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "status"], name="status_count_uniq")]


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("unpaid")
    PARTLY = "partly_paid", _("partly paid")
    PAID = "paid", _("paid")
    OVERPAID = "overpaid", _("overpaid")
    REFUNDED = "refunded", _("refunded")


class StockState(models.TextChoices):
    NONE = "", _("not reserved")
    RESERVED = "reserved", _("reserved")
    PARTIAL = "partial", _("partly reserved")
    BACKORDERED = "backordered", _("backordered")
    OUT_OF_STOCK = "out_of_stock", _("out of stock")
    SHIPPED = "shipped", _("shipped")
    RELEASED = "released", _("released")


class Order(models.Model):
    id = models.BigAutoField(primary_key=True)
    # No index of its own: the (store, created) index and the (store, number) key serve it. A plain
    # store index let PostgreSQL intersect a quarter of the orders with a status's few (11 ms for a
    # store and a status group) instead of walking the newest orders.
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("store"),
        db_index=False,
    )
    number = models.CharField(_("number"), max_length=40)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    company = models.ForeignKey(
        "customers.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("company"),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        verbose_name=_("manager"),
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("channel")
    )
    order_type = models.ForeignKey(OrderType, on_delete=models.PROTECT, verbose_name=_("order type"))
    # Indexed with the id (order_status_id_idx), which the plain index it replaces did not order by.
    status = models.ForeignKey(Status, on_delete=models.PROTECT, verbose_name=_("status"), db_index=False)
    status_changed_at = models.DateTimeField(_("status changed"))
    is_cancelled = models.BooleanField(default=False)
    is_final = models.BooleanField(default=False)
    overdue_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.ForeignKey(
        CancelReason, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("cancellation reason")
    )
    # A snapshot of the buyer for the list and search (no joins on the hot path).
    customer_name = models.CharField(_("customer"), max_length=310, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_digits = models.CharField(max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    # Totals, always recomputed from lines by services (see totals.py).
    price_type = models.CharField(_("price type"), max_length=50, default="retail")
    subtotal = models.DecimalField(_("subtotal"), **MONEY)
    discount_amount = models.DecimalField(_("order discount"), **MONEY)
    discount_percent = models.DecimalField(_("order discount, %"), max_digits=5, decimal_places=2, default=0)
    discount_total = models.DecimalField(_("discounts"), **MONEY)
    delivery_cost = models.DecimalField(_("delivery cost"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)
    purchase_total = models.DecimalField(_("purchase cost"), **MONEY)
    paid_amount = models.DecimalField(_("paid"), **MONEY)
    payment_status = models.CharField(
        _("payment status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    stock_state = models.CharField(_("stock"), max_length=12, choices=StockState.choices, blank=True)
    # Delivery
    delivery_type = models.ForeignKey(
        DeliveryType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("delivery type")
    )
    delivery_service = models.CharField(_("delivery service"), max_length=100, blank=True)
    delivery_address = models.JSONField(_("delivery address"), default=dict, blank=True)
    delivery_address_text = models.CharField(_("address"), max_length=500, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    delivery_time_from = models.TimeField(_("from"), null=True, blank=True)
    delivery_time_to = models.TimeField(_("to"), null=True, blank=True)
    delivery_net_cost = models.DecimalField(_("delivery net cost"), **MONEY)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    delivery_status = models.CharField(_("delivery status"), max_length=50, blank=True)
    # Everything else
    customer_comment = models.TextField(_("customer comment"), blank=True)
    manager_comment = models.TextField(_("manager comment"), blank=True)
    utm = models.JSONField(_("UTM"), default=dict, blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_store_number_uniq"),
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=~Q(external_id=""),
                name="order_store_external_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
            models.Index(fields=["status", "-id"], name="order_status_id_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_created_idx"),
            models.Index(fields=["store", "-created_at", "-id"], name="order_store_created_idx"),
            models.Index(fields=["manager", "-created_at", "-id"], name="order_manager_created_idx"),
            # The list's other sorts.
            models.Index(fields=["-status_changed_at", "-id"], name="order_status_changed_idx"),
            models.Index(fields=["-total", "-id"], name="order_total_idx"),
            models.Index(fields=["status", "-total", "-id"], name="order_status_total_idx"),
            models.Index(fields=["customer", "-created_at"], name="order_customer_idx"),
            models.Index(fields=["company", "-created_at"], name="order_company_idx"),
            models.Index(fields=["phone_digits"], name="order_phone_idx"),
            models.Index(fields=["email"], name="order_email_idx"),
            models.Index(fields=["number"], name="order_number_idx"),
            # The partial unique index cannot serve `external_id = %s` lookups on SQLite; this one can.
            models.Index(fields=["store", "external_id"], name="order_store_external_idx"),
            models.Index(fields=["tracking_number"], name="order_tracking_idx"),
            models.Index(
                fields=["needs_attention", "-created_at"],
                name="order_attention_idx",
                condition=Q(needs_attention=True),
            ),
            models.Index(fields=["overdue_at"], name="order_overdue_idx", condition=Q(is_final=False)),
        ]

    def __str__(self) -> str:
        return self.number


class LineStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    CANCELLED = "cancelled", _("cancelled")


class OrderLine(models.Model):
    id = models.BigAutoField(primary_key=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(
        "catalog.Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=300)
    quantity = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(Decimal("0.001"))])
    price = models.DecimalField(_("price"), **MONEY)
    catalog_price = models.DecimalField(
        _("catalog price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    discount_amount = models.DecimalField(_("discount"), **MONEY)
    discount_percent = models.DecimalField(_("discount, %"), max_digits=5, decimal_places=2, default=0)
    purchase_price = models.DecimalField(
        _("purchase price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    total = models.DecimalField(_("total"), **MONEY)
    status = models.CharField(
        _("line status"), max_length=10, choices=LineStatus.choices, default=LineStatus.ACTIVE
    )
    reserved = models.DecimalField(_("reserved"), max_digits=14, decimal_places=3, default=0)
    stock_state = models.CharField(_("stock"), max_length=12, choices=StockState.choices, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.sku or self.name} × {self.quantity}"


class PaymentState(models.TextChoices):
    NOT_PAID = "not_paid", _("not paid")
    PAID = "paid", _("paid")
    REFUNDED = "refunded", _("refunded")
    FAILED = "failed", _("failed")


class Payment(models.Model):
    id = models.BigAutoField(primary_key=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    payment_type = models.ForeignKey(
        PaymentType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("payment type")
    )
    type_raw = models.CharField(max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentState.choices, default=PaymentState.NOT_PAID
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.status}"


class SavedView(models.Model):
    """A named set of list filters and columns; personal or shared with everyone."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="order_views")
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(max_length=2000, blank=True)
    columns = models.JSONField(default=list, blank=True)
    is_shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerKind(models.TextChoices):
    ANY = "", _("any customer")
    PERSON = "person", _("persons")
    COMPANY = "company", _("companies")


class AssignmentRule(models.Model):
    """Which new orders a manager may receive automatically. A manager without rules may receive any
    order (of their stores); with rules, only orders that match one of them. Empty fields match any."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignment_rules",
        verbose_name=_("manager"),
    )
    store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("store")
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("channel")
    )
    order_type = models.ForeignKey(
        OrderType, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("order type")
    )
    customer_kind = models.CharField(
        _("customer type"), max_length=10, choices=CustomerKind.choices, blank=True, default=CustomerKind.ANY
    )

    class Meta:
        ordering = ["manager__username", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return f"{self.manager}: {self.store or '*'} / {self.channel or '*'} / {self.order_type or '*'}"
