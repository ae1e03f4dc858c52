from __future__ import annotations

import logging
import re

import pytest
from faker import Faker

from shopkeeper.core.demo import LOCALES, DemoContext
from shopkeeper.customers import demo
from shopkeeper.customers.models import (
    Company,
    CompanyContact,
    Customer,
    CustomFieldDefinition,
    DuplicateCandidate,
    Segment,
)
from shopkeeper.stores.models import Store

pytestmark = pytest.mark.django_db


def test_demo_loader_is_idempotent_and_plants_duplicates(monkeypatch):
    monkeypatch.setitem(demo.COUNTS, "S", 60)
    Store.objects.create(code="main", name="Main", currency="USD")
    Store.objects.create(code="moscow", name="Moscow", currency="RUB")
    Store.objects.create(code="kyiv", name="Kyiv", currency="UAH")
    faker = Faker(LOCALES)
    Faker.seed(1)
    ctx = DemoContext(size="S", faker=faker, seed=1, log=logging.getLogger("demo").info)
    demo.load(ctx)
    counts = (Customer.objects.count(), Company.objects.count(), DuplicateCandidate.objects.count())
    assert counts[0] >= 60 and counts[1] == 30 and counts[2] >= 2
    assert CompanyContact.objects.exists()
    assert Customer.objects.filter(phones__is_valid=True).distinct().count() == Customer.objects.count()
    assert Segment.objects.count() == len(demo.SEGMENTS)
    # The store's custom fields, filled for some customers and every company.
    assert CustomFieldDefinition.objects.count() == len(demo.CUSTOM_FIELDS)
    assert Customer.objects.filter(custom_fields__has_key="loyalty_card").exists()
    assert not Company.objects.exclude(custom_fields__has_key="payment_terms").exists()
    # A customer's email is made of their own name, in Latin letters (Крылов -> krilov).
    to_ascii = Faker("ru_RU").provider("faker.providers.internet")._to_ascii
    people = Customer.objects.filter(store__code="moscow", external_id__startswith="demo-")
    assert people.exists()
    for person in people.prefetch_related("emails"):
        local = person.emails.all()[0].email.split("@")[0]
        assert local.isascii()
        latin = [
            re.sub(r"[^a-z0-9]", "", to_ascii(name).lower()) for name in (person.last_name, person.first_name)
        ]
        assert any(name in local for name in latin), (person.last_name, local)
    demo.load(ctx)
    assert (Customer.objects.count(), Company.objects.count(), DuplicateCandidate.objects.count()) == counts
    assert Segment.objects.count() == len(demo.SEGMENTS)
    assert CustomFieldDefinition.objects.count() == len(demo.CUSTOM_FIELDS)
