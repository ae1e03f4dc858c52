from __future__ import annotations

import pytest
from django.urls import reverse

from shopkeeper.core.templatetags.shopkeeper import change_text
from shopkeeper.customers.models import Customer, CustomerVisibility, DuplicateCandidate, Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_list_renders_escaped_and_pins_queries(manager_client, make_customer, django_assert_max_num_queries):
    for i in range(10):
        make_customer(first_name=f"<script>alert({i})</script>", phone=f"+7915123450{i}", email=f"a{i}@x.org")
    with django_assert_max_num_queries(16):
        response = manager_client.get(reverse("customers:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'data-nav="customers"' in body


def test_list_counts_only_a_few_pages_ahead(manager_client, make_customer, monkeypatch):
    from shopkeeper.customers import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "COUNT_AHEAD", 2)
    for i in range(7):
        make_customer(first_name=f"C{i}")
    first = manager_client.get(reverse("customers:list")).content.decode()
    assert "1 / 2+</span>" in first and "page=2" in first
    last = manager_client.get(reverse("customers:list"), {"page": 4}).content.decode()
    assert "4 / 4</span>" in last and "C0" in last and "page=5" not in last


def test_last_order_sort_puts_customers_who_never_ordered_last(manager_client, make_customer):
    import datetime as dt

    never, older, newer = (make_customer(first_name=name) for name in ("Never", "Older", "Newer"))
    at = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    Customer.objects.filter(pk=older.pk).update(last_order_at=at)
    Customer.objects.filter(pk=newer.pk).update(last_order_at=at + dt.timedelta(days=30))
    response = manager_client.get(reverse("customers:list"), {"sort": "-last_order"})
    assert [c.pk for c in response.context["page"].object_list] == [newer.pk, older.pk, never.pk]


def test_htmx_gets_table_fragment_and_search(manager_client, make_customer):
    make_customer(first_name="Anna", phone="+79151234567")
    make_customer(first_name="Boris", phone="+79261112233")
    response = manager_client.get(reverse("customers:list"), {"q": "915 123"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and 'id="customer-table"' in body
    assert "Anna" in body and "Boris" not in body


def test_card_pins_queries_and_escapes(manager_client, make_customer, django_assert_max_num_queries):
    customer = make_customer(first_name="<b>x</b>", phone="+79151234567", address={"city": "Moscow"})
    with django_assert_max_num_queries(20):
        response = manager_client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<b>x</b>" not in body and "+7 915 123-45-67" in body and 'data-testid="timeline"' in body


def test_card_shows_every_phone_email_and_tag(manager_client, make_customer):
    from shopkeeper.customers import services

    from .conftest import ACTOR

    customer = make_customer(phone="+79151234567", email="anna@example.org")
    services.customer_set_contacts(
        customer=customer, phones=["+79151234567", "12"], emails=["anna@example.org", "b@x.org"], actor=ACTOR
    )
    vip = services.tag_get_or_create(name="<vip>", actor=ACTOR)
    services.customer_set_tags(
        customer=customer, tags=[vip, services.tag_get_or_create(name="b2b", actor=ACTOR)], actor=ACTOR
    )
    body = manager_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "+7 915 123-45-67" in body and '>12 <span class="badge text-bg-warning">' in body  # kept as typed
    assert body.index("anna@example.org") < body.index("b@x.org")
    assert "&lt;vip&gt;" in body and "<vip>" not in body and body.index("&lt;vip&gt;") < body.index(">b2b<")
    # The timeline shows the phones as the profile does: formatted, an invalid one as typed.
    timeline = body[body.index('data-testid="timeline"') :]
    assert "Phones</span>: <del>+7 915 123-45-67</del> → +7 915 123-45-67, 12</li>" in timeline
    assert "+79151234567" not in timeline
    # The phones' label reads a list item by item, through the change log's value labels.
    assert change_text(["+79151234567", "12"], "customer", "phones") == "+7 915 123-45-67, 12"
    assert change_text([], "customer", "phones") == "—"


def test_create_with_errors_then_success(manager_client, store):
    url = reverse("customers:create")
    assert manager_client.get(url).status_code == 200
    bad = manager_client.post(url, {"store": "", "first_name": "A", "discount_percent": "x"})
    assert bad.status_code == 200 and "invalid-feedback" in bad.content.decode()
    assert not Customer.objects.exists()
    ok = manager_client.post(
        url,
        {
            "store": store.pk,
            "first_name": "Anna",
            "phones": "8 915 123 45 67",
            "emails": "A@B.org",
            "discount_percent": "0",
        },
    )
    customer = Customer.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.phones.get().e164 == "+79151234567"


def test_edit_note_and_bulk(manager_client, make_customer, manager):
    customer = make_customer(phone="+79151234567")
    response = manager_client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "first_name": "Anya",
            "last_name": "I",
            "phones": "+79151234567\n+79161234567",
            "discount_percent": "5",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.first_name == "Anya" and customer.phones.count() == 2
    manager_client.post(reverse("customers:note", args=[customer.pk]), {"text": "called"})
    assert customer.notes.get().text == "called"
    manager_client.post(reverse("customers:bulk"), {"action": "tag", "ids": str(customer.pk), "tag": "vip"})
    manager_client.post(
        reverse("customers:bulk"), {"action": "manager", "ids": str(customer.pk), "manager": manager.pk}
    )
    customer.refresh_from_db()
    assert [t.name for t in customer.tags.all()] == ["vip"] and customer.manager == manager


def test_csv_export_neutralises_formulas(manager_client, make_customer):
    customer = make_customer(first_name="=HYPERLINK(1)", last_name="+evil")
    response = manager_client.post(reverse("customers:bulk"), {"action": "export", "ids": str(customer.pk)})
    body = response.content.decode()
    assert "'=HYPERLINK(1)" in body and "'+evil" in body


def test_duplicates_queue_and_merge(manager_client, make_customer):
    older = make_customer(phone="+79151234567")
    newer = make_customer(phone="89151234567")
    candidate = DuplicateCandidate.objects.get()
    assert manager_client.get(reverse("customers:duplicates")).status_code == 200
    response = manager_client.post(reverse("customers:merge"), {"survivor": older.pk, "merged": newer.pk})
    assert response.status_code == 302
    newer.refresh_from_db()
    candidate.refresh_from_db()
    assert newer.merged_into == older and candidate.status == "merged"


def test_own_only_manager_gets_404(client, make_user, make_customer):
    me = make_user("own")
    CustomerVisibility.objects.create(user=me, own_only=True)
    mine = make_customer()
    other = make_customer()
    mine.manager = me
    mine.save(update_fields=["manager"])
    client.force_login(me)
    assert client.get(reverse("customers:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("customers:detail", args=[mine.pk])).status_code == 200
    body = client.get(reverse("customers:list")).content.decode()
    assert reverse("customers:detail", args=[other.pk]) not in body


def test_no_permission_is_403(client, make_user):
    client.force_login(make_user("wh", role="Warehouse"))
    assert client.get(reverse("customers:list")).status_code == 403


def test_companies_pages(manager_client, store, make_customer, django_assert_max_num_queries):
    response = manager_client.post(
        reverse("customers:company_create"),
        {"store": store.pk, "legal_name": "Romashka", "inn": "7701234567"},
    )
    assert response.status_code == 302
    company_url = response["Location"]
    person = make_customer(first_name="<i>p</i>")
    manager_client.post(company_url + "contacts/", {"customer": person.pk, "role": "buyer"})
    with django_assert_max_num_queries(20):
        body = manager_client.get(company_url).content.decode()
    assert "&lt;i&gt;p&lt;/i&gt;" in body and "7701234567" in body
    assert "Romashka" in manager_client.get(reverse("customers:companies"), {"q": "roma"}).content.decode()


def test_company_contact_is_found_and_picked_not_typed_as_an_id(
    manager_client, store, make_customer, make_user, django_assert_max_num_queries
):
    from shopkeeper.customers import services

    from .conftest import ACTOR

    company = services.company_create(store=store, legal_name="Acme", actor=ACTOR)
    card_url = reverse("customers:company_detail", args=[company.pk])
    candidates_url = reverse("customers:company_contact_candidates", args=[company.pk])
    anna = make_customer(first_name="<i>Anna</i>", last_name="Petrova", phone="+79151234567", email="a@x.org")
    boris = make_customer(first_name="Boris", last_name="Petrov", phone="+79261112233")
    card = manager_client.get(card_url).content.decode()
    assert 'data-testid="contact-search"' in card and candidates_url in card and "Customer id" not in card
    # Too little typed: a hint, not every customer.
    hint = manager_client.get(candidates_url, {"q": "91"}).content.decode()
    assert "No customer found" in hint and "Anna" not in hint
    # Session, user, permissions, stores, visibility, the company, the matches with phones and emails.
    with django_assert_max_num_queries(11):
        found = manager_client.get(candidates_url, {"q": "915 123"}).content.decode()
    assert f'value="{anna.pk}" required checked' in found and "&lt;i&gt;Anna&lt;/i&gt;" in found
    assert "+7 915 123-45-67" in found and "a@x.org" in found and "Boris" not in found
    by_name = manager_client.get(candidates_url, {"q": "petrov"}).content.decode()
    assert f'value="{anna.pk}"' in by_name and f'value="{boris.pk}"' in by_name and "checked" not in by_name
    # Linking without a pick says what to do; a pick links (once: a contact is not offered again).
    response = manager_client.post(reverse("customers:company_contact", args=[company.pk]), {"q": "petrov"})
    assert "choose them among the matches" in manager_client.get(response["Location"]).content.decode()
    assert not company.contact_links.exists()
    manager_client.post(
        reverse("customers:company_contact", args=[company.pk]), {"customer": anna.pk, "role": "buyer"}
    )
    assert list(company.contact_links.values_list("customer_id", "role")) == [(anna.pk, "buyer")]
    again = manager_client.get(candidates_url, {"q": "petrov"}).content.decode()
    assert f'value="{anna.pk}"' not in again and f'value="{boris.pk}"' in again
    # A manager limited to own customers is offered only those.
    from shopkeeper.customers.models import Company

    limited = make_user("limited", "Manager")
    CustomerVisibility.objects.create(user=limited, own_only=True)
    Company.objects.filter(pk=company.pk).update(manager=limited)
    manager_client.force_login(limited)
    assert 'value="' not in manager_client.get(candidates_url, {"q": "petrov"}).content.decode()
    Customer.objects.filter(pk=boris.pk).update(manager=limited)
    assert f'value="{boris.pk}"' in manager_client.get(candidates_url, {"q": "petrov"}).content.decode()


def test_a_duplicate_is_found_and_merged_from_the_card(
    manager_client, make_customer, store, django_assert_max_num_queries
):
    from shopkeeper.stores.models import Store

    card = make_customer(first_name="Anna", last_name="Petrova", phone="+79151234567")
    twin = make_customer(first_name="Anya", last_name="Petrova", phone="+79161234567")
    elsewhere = Store.objects.create(code="other", name="Other", currency="USD")
    other_store = make_customer(first_name="Anna", last_name="Petrova", target=elsewhere)
    card_url = reverse("customers:detail", args=[card.pk])
    candidates_url = reverse("customers:merge_candidates", args=[card.pk])
    assert 'data-testid="merge-search"' in manager_client.get(card_url).content.decode()
    # Others of the same store only: not the card's customer, not another store's.
    with django_assert_max_num_queries(11):
        found = manager_client.get(candidates_url, {"q": "petrova"}).content.decode()
    assert f'name="merged" value="{twin.pk}" required checked' in found
    assert f'value="{card.pk}"' not in found and f'value="{other_store.pk}"' not in found
    # Merging without a pick says what to do, on the card.
    merge = reverse("customers:merge")
    response = manager_client.post(merge, {"survivor": card.pk, "from": "card", "q": "petrova"})
    assert response["Location"] == card_url
    assert "choose it among the matches" in manager_client.get(card_url).content.decode()
    response = manager_client.post(merge, {"survivor": card.pk, "merged": twin.pk, "from": "card"})
    assert response["Location"] == card_url
    twin.refresh_from_db()
    assert twin.merged_into_id == card.pk
    assert "+7 916 123-45-67" in manager_client.get(card_url).content.decode()  # its phone moved here
    # A refused merge (another store's customer, posted by hand) is told on the card, translated.
    response = manager_client.post(
        merge, {"survivor": card.pk, "merged": other_store.pk, "from": "card"}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response["Location"] == card_url
    body = manager_client.get(card_url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Customers of different stores cannot be merged." not in body
    assert manager_client.post(merge, {"survivor": "x", "merged": twin.pk}).status_code == 404
    assert (
        manager_client.post(merge, {"survivor": "²", "merged": "²"}).status_code == 404
    )  # a digit, no number
    bad = manager_client.post(merge, {"survivor": card.pk, "merged": "²", "from": "card"})
    assert bad["Location"] == card_url


def test_segments_page_and_filter(manager_client, make_customer):
    make_customer(first_name="Anna")
    response = manager_client.post(
        reverse("customers:segment_create"),
        {
            "name": "No orders",
            "rules_json": '{"conditions": [{"field": "orders_count", "op": "eq", "value": 0}]}',
        },
    )
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert "1 customer" in manager_client.get(reverse("customers:segments")).content.decode()
    bad = manager_client.post(
        reverse("customers:segment_create"),
        {"name": "Bad", "rules_json": '{"conditions": [{"field": "password"}]}'},
    )
    assert bad.status_code == 200 and not Segment.objects.filter(name="Bad").exists()
    listed = manager_client.get(reverse("customers:list"), {"segment": segment.pk}).content.decode()
    assert "Anna" in listed


def test_cards_show_custom_fields_by_label_as_their_type_reads(manager_client, make_customer, store):
    from shopkeeper.customers import services
    from shopkeeper.customers.models import Company, CustomFieldDefinition

    from .conftest import ACTOR

    defs = [
        ("vip", "VIP <client>", "boolean", []),
        ("since", "Client since", "date", []),
        ("limit", "Credit limit", "number", []),
        ("tier", "Tier", "choice", [{"code": "gold", "label": "Gold <tier>"}]),
    ]
    for position, (code, label, type_, choices) in enumerate(defs):
        for entity in ("customer", "company"):
            CustomFieldDefinition.objects.create(
                entity=entity, code=code, label=label, type=type_, choices=choices, position=position
            )
    values = {"tier": "gold", "since": "2026-03-01", "limit": "1500.50", "vip": True, "gone": "<old>"}
    customer = make_customer(first_name="Anna")
    Customer.objects.filter(pk=customer.pk).update(custom_fields=values)
    company = services.company_create(store=store, legal_name="Acme", actor=ACTOR)
    Company.objects.filter(pk=company.pk).update(custom_fields={**values, "vip": False})
    body = manager_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    rows = [
        'VIP &lt;client&gt;</dt><dd class="col-7">Yes</dd>',
        'Client since</dt><dd class="col-7">01 Mar 2026</dd>',
        'Credit limit</dt><dd class="col-7">1500.50</dd>',
        'Tier</dt><dd class="col-7">Gold &lt;tier&gt;</dd>',
        'gone</dt><dd class="col-7">&lt;old&gt;</dd>',  # its field removed from the settings: as stored
    ]
    positions = [body.index(row) for row in rows]
    assert positions == sorted(positions)  # the settings' order, the removed field last
    company_body = manager_client.get(reverse("customers:company_detail", args=[company.pk])).content.decode()
    assert 'VIP &lt;client&gt;</dt><dd class="col-7">No</dd>' in company_body
    assert 'Tier</dt><dd class="col-7">Gold &lt;tier&gt;</dd>' in company_body


def _earlier_url(body: str) -> str | None:
    """The address of a timeline's "Show earlier" button, if it has one."""
    import html
    import re

    found = re.search(r'hx-get="([^"]+)"[^>]*data-testid="timeline-earlier"', body)
    return html.unescape(found.group(1)) if found else None


def test_timeline_shows_the_newest_and_earlier_ones_page_by_page(client, make_user, make_customer):
    """A long history is not cut off: the card shows the newest entries and "Show earlier" brings the
    rest, a page at a time, until none are left; someone who may not see the customer gets a 404."""
    from shopkeeper.core.selectors import TIMELINE_PAGE
    from shopkeeper.customers.services import note_add

    from .conftest import ACTOR

    me = make_user("own")
    CustomerVisibility.objects.create(user=me, own_only=True)
    customer, other = make_customer(), make_customer()
    customer.manager = me
    customer.save(update_fields=["manager"])
    notes = [f"note number {i:03d}" for i in range(TIMELINE_PAGE * 2 + 5)]
    for text in notes:
        note_add(customer=customer, text=text, actor=ACTOR)
    client.force_login(me)
    body = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    first = [n for n in notes if n in body]
    assert first == notes[-TIMELINE_PAGE:]  # the newest
    seen, pages = set(first), 0
    while url := _earlier_url(body):
        assert url.startswith(reverse("customers:timeline", args=[customer.pk]) + "?before=")
        body = client.get(url).content.decode()
        seen |= {n for n in notes if n in body}
        pages += 1
    assert pages == 2 and seen == set(notes)  # then the rest, every note once shown
    assert "Created" in body  # the oldest entry last: the customer's creation
    assert client.get(reverse("customers:timeline", args=[other.pk])).status_code == 404
    # A "before" that is no id reads as the newest page; after the oldest entry there is nothing.
    assert client.get(reverse("customers:timeline", args=[customer.pk]), {"before": "²"}).status_code == 200
    assert client.get(reverse("customers:timeline", args=[customer.pk]), {"before": "1"}).content == b""


def test_company_timeline_earlier_entries_follow_company_visibility(client, make_user, manager, store):
    from shopkeeper.customers.services import company_create, note_add

    from .conftest import ACTOR

    company = company_create(store=store, legal_name="Acme LLC", actor=ACTOR)
    for i in range(3):
        note_add(company=company, text=f"memo {i}", actor=ACTOR)
    url = reverse("customers:company_timeline", args=[company.pk])
    client.force_login(manager)
    body = client.get(url, {"before": "999999999"}).content.decode()
    assert "memo 0" in body and "memo 2" in body and "timeline-earlier" not in body
    limited = make_user("limited")
    CustomerVisibility.objects.create(user=limited, own_only=True)
    client.force_login(limited)
    assert client.get(url).status_code == 404


def test_duplicates_queue_shows_one_person_as_one_group_and_merges_it_at_once(manager_client, make_customer):
    from shopkeeper.customers.models import Customer

    oldest = make_customer(phone="+79151234567")
    typed_again = [make_customer(phone=phone) for phone in ("89151234567", "+7 915 123-45-67", "9151234567")]
    someone = make_customer(first_name="Boris", phone="+79160000001")
    make_customer(first_name="Boris", phone="89160000001")
    pairs = DuplicateCandidate.objects.filter(status="open").count()
    body = manager_client.get(reverse("customers:duplicates")).content.decode()
    assert body.count('data-testid="duplicate-group"') == 2  # Anna four times, Boris twice
    assert body.count('data-testid="merge-all"') == 1  # a pair needs no "all"
    assert pairs >= 4
    response = manager_client.post(
        reverse("customers:duplicates_merge_all"),
        {"survivor": oldest.pk, "merged": [c.pk for c in typed_again]},
    )
    assert response.status_code == 302
    assert set(Customer.objects.filter(merged_into=oldest).values_list("pk", flat=True)) == {
        c.pk for c in typed_again
    }
    body = manager_client.get(reverse("customers:duplicates")).content.decode()
    assert body.count('data-testid="duplicate-group"') == 1 and str(someone.pk) in body


def test_merge_all_takes_only_records_the_user_may_see(client, make_user, make_customer):
    from shopkeeper.customers.models import Customer

    me = make_user("own")
    CustomerVisibility.objects.create(user=me, own_only=True)
    mine = make_customer(phone="+79151234567")
    mine.manager = me
    mine.save(update_fields=["manager"])
    theirs = make_customer(phone="89151234567")
    client.force_login(me)
    url = reverse("customers:duplicates_merge_all")
    assert client.post(url, {"survivor": mine.pk, "merged": [theirs.pk]}).status_code == 404
    assert client.post(url, {"survivor": mine.pk, "merged": ["x"]}).status_code == 404
    assert client.post(url, {"survivor": "nope"}).status_code == 404
    assert not Customer.objects.filter(merged_into__isnull=False).exists()


def test_duplicates_queue_pages_by_group(manager_client, make_customer, monkeypatch):
    from shopkeeper.customers import views

    monkeypatch.setattr(views, "DUPLICATE_GROUPS", 1)
    for phone in ("+79151234567", "89151234567", "+79160000001", "89160000001"):
        make_customer(phone=phone)
    first = manager_client.get(reverse("customers:duplicates")).content.decode()
    assert first.count('data-testid="duplicate-group"') == 1 and 'href="?page=2"' in first
    second = manager_client.get(reverse("customers:duplicates") + "?page=2").content.decode()
    assert second.count('data-testid="duplicate-group"') == 1 and 'href="?page=1"' in second
