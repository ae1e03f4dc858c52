from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shopkeeper.core.models import Change, Event
from shopkeeper.customers import dedupe
from shopkeeper.customers.models import (
    Address,
    CompanyContact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomFieldDefinition,
    DedupePolicy,
    DuplicateCandidate,
    DuplicateStatus,
    Note,
)
from shopkeeper.customers.selectors import customer_timeline
from shopkeeper.customers.services import (
    CustomerInput,
    company_contact_link,
    company_create,
    customer_create,
    customer_erase,
    customer_match_or_create,
    customer_metrics_recompute,
    customer_update,
    customers_tag,
    note_add,
    tag_get_or_create,
)

from .conftest import ACTOR

pytestmark = pytest.mark.django_db


def test_create_normalises_contacts_and_records_change(store):
    customer, problems = customer_create(
        store=store,
        data=CustomerInput(first_name="Anna", phone="8 (915) 123-45-67", email=" Anna@Example.COM "),
        actor=ACTOR,
    )
    assert problems == []
    phone = customer.phones.get()
    assert (phone.e164, phone.digits, phone.raw) == ("+79151234567", "79151234567", "8 (915) 123-45-67")
    assert customer.emails.get().email == "anna@example.com"
    change = Change.objects.get(entity="customer", entity_id=customer.pk)
    assert change.action == "created"
    assert Event.objects.filter(name="customer.created", entity_id=customer.pk).exists()


def test_invalid_phone_kept_and_flagged(store):
    customer, problems = customer_create(store=store, data=CustomerInput(phone="12345"), actor=ACTOR)
    assert problems == ["invalid_phone"]
    phone = customer.phones.get()
    assert phone.raw == "12345" and not phone.is_valid and phone.e164 == ""


def test_match_by_external_id_then_phone_then_email(store, make_customer):
    existing = make_customer(phone="+79151234567", email="a@example.com", external_id="c-1")
    same, problems = customer_match_or_create(store=store, data=CustomerInput(external_id="c-1"), actor=ACTOR)
    assert same == existing and problems == []
    by_phone, _ = customer_match_or_create(
        store=store, data=CustomerInput(phone="8 915 123 45 67", email="new@example.com"), actor=ACTOR
    )
    assert by_phone == existing
    assert set(existing.emails.values_list("email", flat=True)) == {"a@example.com", "new@example.com"}
    added = Change.objects.filter(entity="customer", entity_id=existing.pk, action="contacts_added").get()
    assert added.changes == {"emails": [None, ["new@example.com"]]}  # what was added, and only that
    customer_match_or_create(
        store=store, data=CustomerInput(phone="+79151234567", address={"city": "Kazan"}), actor=ACTOR
    )
    latest = Change.objects.filter(entity_id=existing.pk, action="contacts_added").latest("id")
    assert list(latest.changes) == ["addresses"]
    by_email, _ = customer_match_or_create(
        store=store, data=CustomerInput(email="A@EXAMPLE.com"), actor=ACTOR
    )
    assert by_email == existing
    assert Customer.objects.count() == 1


def test_policy_off_creates_and_queues_duplicate(store, make_customer):
    existing = make_customer(phone="+79151234567")
    DedupePolicy.objects.create(store=store, reuse_on_phone=False, reuse_on_email=False)
    new, problems = customer_match_or_create(
        store=store, data=CustomerInput(first_name="Other", phone="89151234567"), actor=ACTOR
    )
    assert new != existing
    assert "possible_duplicate_customer" in problems
    candidate = DuplicateCandidate.objects.get()
    assert (candidate.customer, candidate.other, candidate.reasons) == (new, existing, ["phone"])


def test_name_and_address_candidate(store):
    address = {"city": "Moscow", "street": "Tverskaya", "building": "1"}
    customer_create(
        store=store, data=CustomerInput(first_name="Anna", last_name="Ivanova", address=address), actor=ACTOR
    )
    _b, problems = customer_create(
        store=store, data=CustomerInput(first_name="anna", last_name="IVANOVA", address=address), actor=ACTOR
    )
    assert problems == ["possible_duplicate_customer"]
    assert DuplicateCandidate.objects.get().reasons == ["name_address"]


def test_other_store_is_not_a_duplicate(store, us_store, make_customer):
    make_customer(phone="+79151234567")
    _, problems = customer_create(store=us_store, data=CustomerInput(phone="+79151234567"), actor=ACTOR)
    assert problems == []


def _counts():
    return {
        "phones": CustomerPhone.objects.count(),
        "emails": CustomerEmail.objects.count(),
        "addresses": Address.objects.count(),
        "notes": Note.objects.count(),
        "company_links": CompanyContact.objects.count(),
        "customers": Customer.objects.count(),
        "tags": Customer.tags.through.objects.count(),
    }


def test_merge_moves_everything_and_keeps_every_row(store, make_customer):
    survivor = make_customer(phone="+79151234567", email="a@example.com")
    merged = make_customer(
        first_name="Ann", phone="+79161234567", email="b@example.com", address={"city": "Kazan"}
    )
    note_add(customer=merged, text="called", actor=ACTOR)
    vip = tag_get_or_create(name="vip", actor=ACTOR)
    customers_tag(customers=[merged], tag=vip, actor=ACTOR)
    both = company_create(store=store, legal_name="Both LLC", actor=ACTOR)
    only = company_create(store=store, legal_name="Only LLC", actor=ACTOR)
    company_contact_link(company=both, customer=survivor, actor=ACTOR)
    company_contact_link(company=both, customer=merged, actor=ACTOR)
    company_contact_link(company=only, customer=merged, actor=ACTOR, role="buyer")
    before = _counts()

    result = dedupe.customer_merge(survivor=survivor, merged=merged, actor=ACTOR)

    assert _counts() == {**before, "tags": before["tags"] + 1}  # the tag is added, never removed
    assert set(result.phones.values_list("e164", flat=True)) == {"+79151234567", "+79161234567"}
    assert set(result.emails.values_list("email", flat=True)) == {"a@example.com", "b@example.com"}
    assert result.addresses.count() == 1 and result.notes.count() == 1
    assert set(result.companies.values_list("legal_name", flat=True)) == {"Both LLC", "Only LLC"}
    assert list(result.tags.values_list("name", flat=True)) == ["vip"]
    merged.refresh_from_db()
    assert merged.merged_into == survivor and merged.merged_at is not None
    change = Change.objects.get(entity="customer", entity_id=merged.pk, action="merged")
    assert change.changes["merged_into"] == [None, survivor.pk]
    assert Event.objects.get(name="customer.merged").payload["merged_into"] == survivor.pk
    actions = [(c.entity, c.action) for c in customer_timeline(survivor)]
    assert ("customer", "merged") in actions and actions.count(
        ("customer", "created")
    ) == 2  # the merged history is on the survivor


def test_merge_refuses_self_and_twice(store, make_customer):
    a, b, c = make_customer(), make_customer(), make_customer()
    with pytest.raises(ValueError):
        dedupe.customer_merge(survivor=a, merged=a, actor=ACTOR)
    dedupe.customer_merge(survivor=a, merged=b, actor=ACTOR)
    with pytest.raises(ValueError):
        dedupe.customer_merge(survivor=c, merged=b, actor=ACTOR)


def test_merge_resolves_queue(store, make_customer):
    a = make_customer(phone="+79151234567")
    b = make_customer(phone="+79151234567")
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.OPEN
    dedupe.customer_merge(survivor=a, merged=b, actor=ACTOR)
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.MERGED


def test_merge_points_the_queue_at_the_survivor(store, make_customer):
    """Three records of one person: once B is merged into A, "C looks like B" asks about A instead; a
    pair already decided is not asked again."""
    a = make_customer(phone="+79151234567")
    b = make_customer(phone="+79151234567")
    c = make_customer(phone="+79151234567")
    pairs = {(d.customer_id, d.other_id) for d in DuplicateCandidate.objects.all()}
    assert pairs == {(b.pk, a.pk), (c.pk, a.pk), (c.pk, b.pk)}
    dedupe.customer_merge(survivor=a, merged=b, actor=ACTOR)
    open_pairs = DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN)
    assert {(d.customer_id, d.other_id) for d in open_pairs} == {(c.pk, a.pk)}
    assert DuplicateCandidate.objects.count() == 3  # nothing deleted: "C looks like B" is settled

    # Merged the other way, the older record into the newer one, C's question follows to B.
    d = make_customer(phone="+79169990000")
    e = make_customer(phone="+79169990000")
    f = make_customer(phone="+79169990000")
    DuplicateCandidate.objects.filter(customer=f, other=e).update(status=DuplicateStatus.DISMISSED)
    dedupe.customer_merge(survivor=e, merged=d, actor=ACTOR)
    rows = DuplicateCandidate.objects.filter(customer__in=[d, e, f])
    assert {(r.customer_id, r.other_id, r.status) for r in rows} == {
        (e.pk, d.pk, DuplicateStatus.MERGED),
        (f.pk, d.pk, DuplicateStatus.MERGED),  # F and E were judged apart already
        (f.pk, e.pk, DuplicateStatus.DISMISSED),
    }


def test_match_follows_merged_external_id(store, make_customer):
    a = make_customer()
    b = make_customer(external_id="ext-9")
    dedupe.customer_merge(survivor=a, merged=b, actor=ACTOR)
    a.refresh_from_db()
    assert a.external_id == "ext-9"
    found, _ = customer_match_or_create(store=store, data=CustomerInput(external_id="ext-9"), actor=ACTOR)
    assert found == a


def test_update_records_field_changes_and_validates_custom_fields(store, make_customer):
    CustomFieldDefinition.objects.create(
        entity="customer",
        code="level",
        label="Level",
        type="choice",
        choices=[{"code": "gold", "label": "Gold"}],
    )
    customer = make_customer()
    changes = customer_update(
        customer=customer, values={"first_name": "Anya", "custom_fields": {"level": "gold"}}, actor=ACTOR
    )
    assert changes["first_name"] == ["Anna", "Anya"]
    customer.refresh_from_db()
    assert customer.search_name == "anya ivanova" and customer.custom_fields == {"level": "gold"}
    with pytest.raises(ValidationError):
        customer_update(customer=customer, values={"custom_fields": {"level": "platinum"}}, actor=ACTOR)
    with pytest.raises(ValidationError):
        customer_update(customer=customer, values={"custom_fields": {"nope": 1}}, actor=ACTOR)


def test_consent_stamped(store, make_customer):
    customer = make_customer()
    customer_update(
        customer=customer, values={"consent_email": True, "consent_email_how": "checkout"}, actor=ACTOR
    )
    customer.refresh_from_db()
    assert customer.consent_email and customer.consent_email_at is not None


def test_metrics_zero_without_orders(store, make_customer):
    customer = make_customer()
    customer_metrics_recompute(customer_ids=[customer.pk])
    customer.refresh_from_db()
    assert customer.orders_count == 0 and customer.total_spent == Decimal("0.00") and customer.rfm_class == ""


def test_erase_anonymises_and_keeps_row(store, make_customer):
    customer = make_customer(phone="+79151234567", email="a@example.com")
    customer_erase(customer=customer, actor=ACTOR)
    customer.refresh_from_db()
    assert customer.first_name == "" and customer.erased_at is not None
    assert not customer.phones.exists() and not customer.emails.exists()
    assert Change.objects.filter(entity="customer", entity_id=customer.pk, action="erased").exists()


def test_migration_points_stale_candidates_at_the_survivor(store, make_customer):
    """Queues from before merges followed through: "C looks like B" with B merged into A reads "C looks
    like A"; a pair whose both records are now one customer is settled."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("shopkeeper.customers.migrations.0009_candidates_follow_merges")
    a = make_customer(phone="+79151234567")
    b = make_customer(phone="+79151234567")
    c = make_customer(phone="+79151234567")
    Customer.objects.filter(pk=b.pk).update(merged_into=a)  # merged as before, the queue left as it was
    migration.follow_merges(apps, None)
    rows = {(d.customer_id, d.other_id, d.status) for d in DuplicateCandidate.objects.all()}
    assert rows == {
        (b.pk, a.pk, DuplicateStatus.MERGED),  # B and A are one customer now
        (c.pk, a.pk, DuplicateStatus.OPEN),
        (c.pk, b.pk, DuplicateStatus.MERGED),  # C and A are asked about already
    }
