"""Customers 360: persons and companies, their contacts, dedupe queue, tags, segments and settings.

Writes go through `services.py` / `dedupe.py` / `metrics.py`; models hold no domain logic.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}


class Entity(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    COMPANY = "company", _("Company")
    ORDER = "order", _("Order")


class FieldType(models.TextChoices):
    STRING = "string", _("String")
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes / no")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomFieldDefinition(models.Model):
    """A typed custom field of customers, companies or orders; values live in the entity's `custom_fields`."""

    entity = models.CharField(_("entity"), max_length=10, choices=Entity.choices)
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=10, choices=FieldType.choices, default=FieldType.STRING)
    choices = models.JSONField(_("choices"), default=list, blank=True)  # [{"code", "label"}] for "choice"
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["entity", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "code"], name="customfield_entity_code_uniq")
        ]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(_("color"), max_length=20, default="secondary")

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    ANY = "", _("No preference")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    MESSENGER = "messenger", _("Messenger")


class Customer(models.Model):
    """A person who buys. A merged customer keeps its row, pointing at the survivor (`merged_into`)."""

    id = models.BigAutoField(primary_key=True)
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="customers")
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    search_name = models.CharField(max_length=310, blank=True, editable=False)  # lowercased full name
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    social_links = models.JSONField(_("social profiles"), default=list, blank=True)
    language = models.CharField(_("preferred language"), max_length=10, blank=True)
    channel = models.CharField(_("preferred channel"), max_length=10, choices=Channel.choices, blank=True)
    consent_email = models.BooleanField(_("email consent"), default=False)
    consent_email_at = models.DateTimeField(null=True, blank=True)
    consent_email_how = models.CharField(max_length=100, blank=True)
    consent_sms = models.BooleanField(_("SMS consent"), default=False)
    consent_sms_at = models.DateTimeField(null=True, blank=True)
    consent_sms_how = models.CharField(max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    utm = models.JSONField(_("first-contact UTM"), default=dict, blank=True)
    discount_percent = models.DecimalField(
        _("personal discount, %"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("manager"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Metrics, kept by metrics.py from orders.
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    total_spent = models.DecimalField(_("total spent"), **MONEY)
    average_order = models.DecimalField(_("average order"), **MONEY)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    rfm_class = models.CharField(_("RFM"), max_length=3, blank=True)
    lifetime_days = models.PositiveIntegerField(_("lifetime, days"), default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_customers"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=~models.Q(external_id=""),
                name="customer_store_external_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["search_name"], name="customer_search_name_idx"),
            models.Index(fields=["store", "last_order_at"], name="customer_store_last_order_idx"),
            # The list's "last order" sort (customers who never ordered last). Created by migration
            # 0008 as SQL of each database's own: SQLite takes no NULLS LAST in an index.
            models.Index(
                models.F("last_order_at").desc(nulls_last=True),
                models.F("id").desc(),
                name="customer_last_order_idx",
            ),
            models.Index(fields=["total_spent"], name="customer_total_spent_idx"),
            models.Index(fields=["rfm_class"], name="customer_rfm_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        """The name in the store's order (`Store.name_order`): "Last First Patronymic" or "First
        Patronymic Last". Reads `self.store`: lists load it with their rows (select_related)."""
        if self.store.name_order == "first_last":
            parts = (self.first_name, self.patronymic, self.last_name)
        else:
            parts = (self.last_name, self.first_name, self.patronymic)
        return " ".join(p for p in parts if p)


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Home")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")


class CustomerPhone(models.Model):
    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    raw = models.CharField(_("as typed"), max_length=64)
    e164 = models.CharField(max_length=20, blank=True, db_index=True)  # "" when the number is invalid
    digits = models.CharField(max_length=32, blank=True, db_index=True)  # for fragment search
    is_valid = models.BooleanField(default=True)
    kind = models.CharField(max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.e164 or self.raw


class CustomerEmail(models.Model):
    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    raw = models.CharField(_("as typed"), max_length=254)
    email = models.CharField(max_length=254, db_index=True)  # normalised (lowercase)
    is_valid = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.email


class Address(models.Model):
    """A structured address of a customer (delivery) or company (legal / delivery)."""

    class Kind(models.TextChoices):
        DELIVERY = "delivery", _("Delivery")
        LEGAL = "legal", _("Legal")

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses"
    )
    company = models.ForeignKey(
        "Company", null=True, blank=True, on_delete=models.CASCADE, related_name="addresses"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DELIVERY)
    country = models.CharField(_("country"), max_length=2, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    building = models.CharField(_("building"), max_length=30, blank=True)
    flat = models.CharField(_("flat"), max_length=30, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    text = models.CharField(_("address"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        if self.text:
            return self.text
        parts = (self.postcode, self.country, self.region, self.city, self.street, self.building, self.flat)
        return ", ".join(p for p in parts if p)


class Company(models.Model):
    id = models.BigAutoField(primary_key=True)
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="companies")
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=300)
    brand = models.CharField(_("brand"), max_length=200, blank=True)
    search_name = models.CharField(max_length=510, blank=True, editable=False)
    bank_details = models.JSONField(_("bank details"), default=dict, blank=True)
    price_type = models.CharField(_("price type"), max_length=50, blank=True)  # a catalog price type code
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="companies",
        verbose_name=_("manager"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies", verbose_name=_("tags"))
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    contacts = models.ManyToManyField(Customer, through="CompanyContact", related_name="companies")
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    total_spent = models.DecimalField(_("total spent"), **MONEY)
    average_order = models.DecimalField(_("average order"), **MONEY)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [models.Index(fields=["search_name"], name="company_search_name_idx")]

    def __str__(self) -> str:
        return self.brand or self.legal_name


class TaxIdKind(models.TextChoices):
    INN = "inn", _("INN")
    KPP = "kpp", _("KPP")
    OGRN = "ogrn", _("OGRN")
    VAT = "vat", _("VAT number")
    EDRPOU = "edrpou", _("EDRPOU")
    EIN = "ein", _("EIN")
    USCC = "uscc", _("Unified social credit code")
    OTHER = "other", _("Other")


class CompanyTaxId(models.Model):
    id = models.BigAutoField(primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="tax_ids")
    kind = models.CharField(max_length=10, choices=TaxIdKind.choices)
    value = models.CharField(max_length=50, db_index=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class CompanyContact(models.Model):
    """A person linked to a company with a role; a person can belong to several companies."""

    id = models.BigAutoField(primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contact_links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="company_links")
    role = models.CharField(_("role"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "customer"], name="companycontact_company_customer_uniq"
            )
        ]


class Note(models.Model):
    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    text = models.TextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]


class DedupePolicy(models.Model):
    """Per store: whether an exact phone / email match reuses the existing customer on intake."""

    store = models.OneToOneField("stores.Store", on_delete=models.CASCADE, related_name="dedupe_policy")
    reuse_on_phone = models.BooleanField(_("reuse the customer on an exact phone match"), default=True)
    reuse_on_email = models.BooleanField(_("reuse the customer on an exact email match"), default=True)

    class Meta:
        verbose_name = _("duplicate policy")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not a duplicate")


class DuplicateCandidate(models.Model):
    """A possible duplicate pair waiting for a person: `customer` (newer) looks like `other`."""

    id = models.BigAutoField(primary_key=True)
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="duplicate_of")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="duplicates")
    reasons = models.JSONField(default=list)  # ["phone", "email", "name_address"]
    status = models.CharField(max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["customer", "other"], name="duplicate_pair_uniq")]
        indexes = [models.Index(fields=["status", "id"], name="duplicate_status_idx")]


class Segment(models.Model):
    """A dynamic segment: rules over profile fields, custom fields, metrics and RFM (see segments.py)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    rules = models.JSONField(_("rules"), default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class RfmSettings(models.Model):
    """Thresholds of the RFM scores 1..3 (one row). Recency in days: lower is better."""

    recency_days = models.JSONField(default=list)  # [good, fair]: <= good -> 3, <= fair -> 2, else 1
    frequency = models.JSONField(default=list)  # [fair, good] orders: >= good -> 3, >= fair -> 2
    monetary = models.JSONField(default=list)  # [fair, good] as decimal strings

    DEFAULTS = {"recency_days": [30, 180], "frequency": [2, 5], "monetary": ["5000", "20000"]}

    class Meta:
        verbose_name = _("RFM settings")


class CustomerVisibility(models.Model):
    """A user who sees only the customers and companies they manage (404 for the others)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_visibility"
    )
    own_only = models.BooleanField(_("only own customers"), default=True)


class SavedView(models.Model):
    """A named customer-list query string; personal, or shared with everyone who sees the list."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_views"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    is_shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="customer_savedview_owner_name_uniq")
        ]
        permissions = [("share_savedview", _("Can share customer list views with the team"))]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name
