"""API schemas: input and output kept apart (inputs never carry protected fields)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from shopkeeper.core.schemas import Out

from .normalize import format_phone


class AddressIn(Schema):
    country: str = Field("", max_length=2)
    region: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    street: str = Field("", max_length=200)
    building: str = Field("", max_length=30)
    flat: str = Field("", max_length=30)
    postcode: str = Field("", max_length=20)
    text: str = Field("", max_length=500)


class AddressOut(Out):
    id: int
    kind: str
    country: str
    region: str
    city: str
    street: str
    building: str
    flat: str
    postcode: str
    text: str


class PhoneOut(Out):
    number: str  # E.164, or as typed when invalid
    display: str
    raw: str
    is_valid: bool


class EmailOut(Out):
    email: str
    is_valid: bool


class ConsentIn(Schema):
    email: bool | None = None
    email_how: str | None = Field(None, max_length=100)
    sms: bool | None = None
    sms_how: str | None = Field(None, max_length=100)


class CustomerBase(Schema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    patronymic: str | None = Field(None, max_length=100)
    external_id: str | None = Field(None, max_length=100)
    birthday: dt.date | None = None
    social_links: list[str] | None = Field(None, max_length=20)
    language: str | None = Field(None, max_length=10)
    channel: str | None = Field(None, pattern=r"^(|phone|sms|email|messenger)$")
    source: str | None = Field(None, max_length=100)
    utm: dict[str, str] | None = None
    discount_percent: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    manager_id: int | None = None
    custom_fields: dict[str, Any] | None = None
    consents: ConsentIn | None = None
    tags: list[str] | None = Field(None, max_length=50)


class CustomerIn(CustomerBase):
    store: str = Field(..., max_length=50)
    phone: str = Field("", max_length=64)
    email: str = Field("", max_length=254)
    phones: list[str] = Field(default_factory=list, max_length=20)
    emails: list[str] = Field(default_factory=list, max_length=20)
    address: AddressIn | None = None


class CustomerPatch(CustomerBase):
    phones: list[str] | None = Field(None, max_length=20)
    emails: list[str] | None = Field(None, max_length=20)
    addresses: list[AddressIn] | None = Field(None, max_length=20)


class Metrics(Out):
    orders_count: int
    total_spent: Decimal
    average_order: Decimal
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None
    rfm_class: str
    lifetime_days: int


class CompanyRef(Out):
    company_id: int
    name: str
    role: str
    position: str


class CustomerOut(Out):
    id: int
    store: str
    external_id: str
    first_name: str
    last_name: str
    patronymic: str
    phones: list[PhoneOut]
    emails: list[EmailOut]
    birthday: dt.date | None
    language: str
    channel: str
    consents: dict[str, Any]
    source: str
    utm: dict[str, Any]
    discount_percent: Decimal
    manager_id: int | None
    tags: list[str]
    custom_fields: dict[str, Any]
    metrics: Metrics
    merged_into: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerDetailOut(CustomerOut):
    addresses: list[AddressOut]
    companies: list[CompanyRef]
    problems: list[str] = []


# The API answers with these dicts rather than model instances: pydantic validates a dict natively,
# while ninja resolves a model instance field by field in Python (most of a 50-customer page's time).


def customer_out(customer, contacts: dict[str, list]) -> dict[str, Any]:
    """CustomerOut of a customer (its store attached by `attach_store_and_manager`) and its
    `selectors.contact_rows` entry."""
    c = customer
    return {
        "id": c.pk,
        "store": c.store.code,
        "external_id": c.external_id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "patronymic": c.patronymic,
        "phones": [
            {"number": e164 or raw, "display": format_phone(e164, raw), "raw": raw, "is_valid": is_valid}
            for e164, raw, is_valid in contacts["phones"]
        ],
        "emails": [{"email": email, "is_valid": is_valid} for email, is_valid in contacts["emails"]],
        "birthday": c.birthday,
        "language": c.language,
        "channel": c.channel,
        "consents": {
            "email": c.consent_email,
            "email_at": c.consent_email_at.isoformat() if c.consent_email_at else None,
            "email_how": c.consent_email_how,
            "sms": c.consent_sms,
            "sms_at": c.consent_sms_at.isoformat() if c.consent_sms_at else None,
            "sms_how": c.consent_sms_how,
        },
        "source": c.source,
        "utm": c.utm,
        "discount_percent": c.discount_percent,
        "manager_id": c.manager_id,
        "tags": [name for name, _color in contacts["tags"]],
        "custom_fields": c.custom_fields,
        "metrics": {name: getattr(c, name) for name in Metrics.model_fields},
        "merged_into": c.merged_into_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def customer_detail_out(customer, contacts: dict[str, list]) -> dict[str, Any]:
    """CustomerDetailOut of a customer loaded by the API's `_customer_qs` and its `contact_rows` entry;
    `problems` are the ones a write just found (set on the instance)."""
    return {
        **customer_out(customer, contacts),
        "addresses": [
            {"id": a.pk, "kind": a.kind, **{name: getattr(a, name) for name in AddressIn.model_fields}}
            for a in customer.addresses.all()
        ],
        "companies": [
            {
                "company_id": ln.company_id,
                "name": ln.company.legal_name,
                "role": ln.role,
                "position": ln.position,
            }
            for ln in customer.company_links.all()
        ],
        "problems": getattr(customer, "problems", []),
    }


class MergeIn(Schema):
    merged_id: int


class CompanyBase(Schema):
    legal_name: str | None = Field(None, min_length=1, max_length=300)
    brand: str | None = Field(None, max_length=200)
    external_id: str | None = Field(None, max_length=100)
    tax_ids: dict[str, str] | None = None
    bank_details: dict[str, str] | None = None
    price_type: str | None = Field(None, max_length=50)
    manager_id: int | None = None
    custom_fields: dict[str, Any] | None = None


class CompanyIn(CompanyBase):
    store: str = Field(..., max_length=50)
    legal_name: str = Field(..., min_length=1, max_length=300)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=10)


class CompanyPatch(CompanyBase):
    pass


class ContactOut(Schema):
    customer_id: int
    name: str
    role: str
    position: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.customer.full_name


class CompanyOut(Schema):
    id: int
    store: str
    external_id: str
    legal_name: str
    brand: str
    tax_ids: dict[str, str]
    bank_details: dict[str, Any]
    price_type: str
    manager_id: int | None
    tags: list[str]
    custom_fields: dict[str, Any]
    orders_count: int
    total_spent: Decimal
    created_at: dt.datetime

    @staticmethod
    def resolve_store(obj) -> str:
        return obj.store.code

    @staticmethod
    def resolve_tax_ids(obj) -> dict[str, str]:
        return {t.kind: t.value for t in obj.tax_ids.all()}

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return [t.name for t in obj.tags.all()]


class CompanyDetailOut(CompanyOut):
    contacts: list[ContactOut]
    addresses: list[AddressOut]

    @staticmethod
    def resolve_contacts(obj):
        return list(obj.contact_links.all())

    @staticmethod
    def resolve_addresses(obj):
        return list(obj.addresses.all())


class ContactIn(Schema):
    customer_id: int
    role: str = Field("", max_length=100)
    position: str = Field("", max_length=100)


class SegmentOut(Schema):
    id: int
    name: str
    rules: dict[str, Any]
