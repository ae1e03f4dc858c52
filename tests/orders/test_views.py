from decimal import Decimal

import pytest
from django.utils import translation

from shopkeeper.accounts import roles
from shopkeeper.core.templatetags.shopkeeper import change_text, change_value, phone
from shopkeeper.orders.models import Order, SavedView

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_client(client, make_user):
    user = make_user("head", roles.HEAD_OF_SALES)
    client.force_login(user)
    client.user = user
    return client


def test_list_shows_orders_with_counters_and_filters(head_client, make_order):
    order = make_order()
    page = head_client.get("/orders/")
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html
    assert "+1 212-555-0101" in html  # shown formatted
    assert head_client.get("/orders/", {"status": "cancelled"}).content.decode().count('data-order-id="') == 0
    assert head_client.get("/orders/", {"q": "555 0101"}).content.decode().count('data-order-id="') == 1


def test_htmx_gets_the_results_fragment_and_live_rows(head_client, make_order):
    order = make_order()
    fragment = head_client.get("/orders/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="sk-results">')
    rows = head_client.get("/orders/", {"ids": str(order.pk)}).content.decode()
    assert rows.lstrip().startswith("<tr") and order.number in rows


def test_list_query_count_does_not_grow_with_rows(head_client, make_order, django_assert_max_num_queries):
    for _ in range(3):
        make_order(lines=[("SERVICE-GIFT", 1)])
    head_client.get("/orders/")  # warm the counters cache
    # 10 today: session, user, permissions x2, the user's stores, the page, counters, stores, managers,
    # saved views (statuses, groups, channels and delivery types come from the dictionary cache).
    with django_assert_max_num_queries(12) as small:
        head_client.get("/orders/")
    for _ in range(12):
        make_order(lines=[("SERVICE-GIFT", 1)])
    with django_assert_max_num_queries(len(small.captured_queries)):
        head_client.get("/orders/")


def test_keyset_pages_walk_every_order_once(head_client, make_order, monkeypatch):
    from shopkeeper.orders import views

    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    ids = {make_order(lines=[("SERVICE-GIFT", 1)]).pk for _ in range(10)}
    seen, cursor = [], None
    while True:
        response = head_client.get("/orders/", {"cursor": cursor} if cursor else {})
        seen += [o.pk for o in response.context["orders"]]
        cursor = response.context["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


@pytest.mark.parametrize("sort", ["-created", "created", "-total", "total", "-status_changed", "-number"])
def test_one_status_lists_its_orders_in_every_sort(head_client, make_order, statuses, monkeypatch, sort):
    """A filter of one status orders by the status first on PostgreSQL (OrderFilter._one_status): the
    rows and their order are those of the sort alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shopkeeper.orders import views
    from shopkeeper.orders.selectors import SORTS

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    for i in range(9):
        order = make_order(lines=[("SERVICE-GIFT", 1 + i % 4)])
        if i % 3:
            Order.objects.filter(pk=order.pk).update(status=statuses["confirmed"])
    wanted = list(
        Order.objects.filter(status=statuses["confirmed"]).order_by(*SORTS[sort]).values_list("pk", flat=True)
    )
    seen, cursor = [], None
    while True:
        with CaptureQueriesContext(connection) as ctx:
            response = head_client.get(
                "/orders/", {"status": "confirmed", "sort": sort, "cursor": cursor or ""}
            )
        seen += [o.pk for o in response.context["orders"]]
        cursor = response.context["next_cursor"]
        if not cursor:
            break
    assert seen == wanted and len(wanted) == 6
    if connection.vendor == "postgresql":
        page_sql = next(q["sql"] for q in ctx.captured_queries if 'FROM "orders_order"' in q["sql"])
        assert '"status_id" = ANY(' in page_sql
        assert ('ORDER BY "orders_order"."status_id"' in page_sql) == (sort != "-status_changed")


def test_card_status_lines_payment_and_comment(head_client, make_order, statuses):
    order = make_order()
    page = head_client.get(f"/orders/{order.pk}/")
    assert page.status_code == 200
    assert "Confirmed" in page.content.decode()
    head_client.post(f"/orders/{order.pk}/status/", {"status": statuses["confirmed"].pk})
    line = order.lines.get()
    head_client.post(
        f"/orders/{order.pk}/lines/",
        {
            f"line-{line.pk}-quantity": "3",
            f"line-{line.pk}-price": "990.00",
            f"line-{line.pk}-discount_percent": "0",
            "new-sku": ["MUG"],
            "new-quantity": ["1"],
            "new-price": [""],
        },
    )
    head_client.post(f"/orders/{order.pk}/payments/", {"amount": "100.00", "status": "paid"})
    head_client.post(f"/orders/{order.pk}/comment/", {"text": "Customer asked to hurry"})
    order.refresh_from_db()
    assert order.status.code == "confirmed"
    assert order.total == Decimal("3270.00")
    assert order.payment_status == "partly_paid"
    html = head_client.get(f"/orders/{order.pk}/").content.decode()
    assert "Customer asked to hurry" in html
    assert "Status changed" in html


def test_illegal_transition_shows_a_message(head_client, make_order, statuses):
    order = make_order()
    response = head_client.post(
        f"/orders/{order.pk}/status/", {"status": statuses["delivered"].pk}, follow=True
    )
    assert "cannot move" in response.content.decode()
    order.refresh_from_db()
    assert order.status.code == "new"


def test_bad_line_quantity_is_reported_and_nothing_changes(head_client, make_order):
    order = make_order()
    line = order.lines.get()
    response = head_client.post(
        f"/orders/{order.pk}/lines/",
        {f"line-{line.pk}-quantity": "-2", f"line-{line.pk}-price": "990"},
        follow=True,
    )
    assert "greater than zero" in response.content.decode()
    line.refresh_from_db()
    assert line.quantity == 2


def test_details_form_validates_the_delivery_window(head_client, make_order):
    order = make_order()
    response = head_client.post(
        f"/orders/{order.pk}/fields/", {"delivery_time_from": "18:00", "delivery_time_to": "09:00"}
    )
    assert response.status_code == 422
    assert "must end after it starts" in response.content.decode()


def test_phone_order_from_scratch(head_client, store, offers):
    from shopkeeper.orders.models import Channel, DeliveryType, OrderType, PaymentType

    response = head_client.post(
        "/orders/new/",
        {
            "store": store.pk,
            "channel": Channel.objects.get(code="phone").pk,
            "order_type": OrderType.objects.get(code="retail").pk,
            "phone": "+1 (646) 555-0199",
            "first_name": "Carl",
            "last_name": "Sagan",
            "email": "",
            "delivery_type": DeliveryType.objects.get(code="courier").pk,
            "payment_type": PaymentType.objects.get(code="cash").pk,
            "delivery_address": "Main St 1",
            "comment": "",
            "new-sku": ["TSHIRT-RED-M", ""],
            "new-quantity": ["1", "1"],
            "new-price": ["", ""],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get()
    assert order.customer.full_name == "Sagan Carl"
    assert order.channel.code == "phone"
    assert order.manager == head_client.user
    assert order.payments.get().amount == order.total


def test_new_order_needs_a_customer_detail(head_client, store, offers):
    response = head_client.post("/orders/new/", {"store": store.pk, "order_type": 1})
    assert response.status_code == 200
    assert "phone, email or name" in response.content.decode()


def test_offer_search_and_customer_lookup(head_client, make_order):
    make_order()
    assert "TSHIRT-RED-M" in head_client.get("/orders/offers/", {"q": "TSHIRT"}).content.decode()
    assert "Ivanova" in head_client.get("/orders/customers/", {"phone": "212 555 01"}).content.decode()


def test_bulk_status_and_assign(head_client, make_order, statuses, make_user):
    orders = [make_order(lines=[("SERVICE-GIFT", 1)]) for _ in range(3)]
    other = make_user("other")
    head_client.post(
        "/orders/bulk/",
        {"ids": [o.pk for o in orders], "action": "status", "status": statuses["confirmed"].pk},
    )
    head_client.post(
        "/orders/bulk/", {"ids": [o.pk for o in orders], "action": "assign", "manager": other.pk}
    )
    assert set(Order.objects.values_list("status__code", "manager__username")) == {("confirmed", "other")}


def test_saved_views(head_client):
    head_client.post(
        "/orders/views/save/", {"name": "Unpaid new", "query": "status=new&payment_status=unpaid"}
    )
    view = SavedView.objects.get()
    assert "Unpaid new" in head_client.get("/orders/").content.decode()
    head_client.post(f"/orders/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_print_documents(head_client, make_order):
    order = make_order()
    assert "T-shirt red M" in head_client.get(f"/orders/{order.pk}/invoice/").content.decode()
    assert "T-shirt red M" in head_client.get(f"/orders/{order.pk}/packing-slip/").content.decode()


def test_own_orders_only_manager_gets_404_for_others(client, make_user, make_order):
    order = make_order()
    limited = make_user("limited")
    limited.own_orders_only = True
    limited.save(update_fields=["own_orders_only"])
    client.force_login(limited)
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert client.get(f"/orders/{order.pk}/timeline/?before=999999").status_code == 404
    assert client.get("/orders/").context["orders"] == []


def test_card_timeline_brings_earlier_entries(head_client, make_order):
    """The card shows the newest entries; "Show earlier" brings the ones before, the order's creation
    last."""
    from shopkeeper.core.selectors import TIMELINE_PAGE
    from shopkeeper.orders import services

    from .conftest import SYSTEM

    order = make_order()
    comments = [f"call {i:02d}" for i in range(TIMELINE_PAGE + 3)]
    for text in comments:
        services.order_comment(order=order, text=text, actor=SYSTEM)
    card = head_client.get(f"/orders/{order.pk}/").content.decode()
    assert [c for c in comments if c in card] == comments[-TIMELINE_PAGE:]
    assert 'data-testid="timeline-earlier"' in card
    before = min(int(x.split('"')[0]) for x in card.split("timeline/?before=")[1:])
    earlier = head_client.get(f"/orders/{order.pk}/timeline/?before={before}").content.decode()
    assert [c for c in comments if c in earlier] == comments[: len(comments) - TIMELINE_PAGE]
    assert "Created" in earlier and 'data-testid="timeline-earlier"' not in earlier


def test_warehouse_role_cannot_change_orders(client, make_user, make_order, statuses):
    order = make_order()
    client.force_login(make_user("wh", roles.WAREHOUSE))
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert client.post(f"/orders/{order.pk}/status/", {"status": statuses["confirmed"].pk}).status_code == 403


def test_settings_edit_dictionaries_and_matrix(client, admin, statuses):
    from shopkeeper.orders.models import OrderType, Transition

    client.force_login(admin)
    assert client.get("/orders/settings/").status_code == 200
    response = client.post(
        "/orders/settings/?kind=channels",
        {"code": "tiktok", "name": "TikTok", "position": 9, "is_active": "on"},
    )
    assert response.status_code == 302
    retail = OrderType.objects.get(code="retail")
    client.post(
        "/orders/settings/",
        {
            "form": "matrix",
            "order_type": retail.pk,
            "allow": [f"{statuses['new'].pk}-{statuses['confirmed'].pk}"],
        },
    )
    assert list(Transition.objects.filter(order_type=retail).values_list("source__code", "target__code")) == [
        ("new", "confirmed")
    ]


def test_live_stream_requires_permission(client):
    client.logout()
    assert client.get("/orders/live/").status_code == 403


def test_filters_phone_and_change_value_helpers():
    assert phone("+79151234567") == "+7 915 123-45-67"
    assert phone("12") == "12"
    assert change_value(["a", "b"]) == "a, b"
    assert change_value(None) == "—"


def test_customer_name_is_escaped(head_client, store, offers):
    from shopkeeper.customers.services import CustomerInput
    from shopkeeper.orders import services

    from .conftest import SYSTEM

    services.order_create(
        data=services.OrderInput(
            store=store,
            customer=CustomerInput(first_name="<script>alert(1)</script>"),
            lines=[services.LineInput(sku="MUG", quantity=Decimal(1))],
        ),
        actor=SYSTEM,
    )
    html = head_client.get("/orders/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "query",
    [
        {"created_after": "2026-13-45"},
        {"created_before": "yesterday"},
        {"amount_min": "abc", "amount_max": "1e999999"},
        {"cursor": "!!!"},
        {"cursor": "WzEsMl0", "sort": "-created"},  # [1, 2]: a cursor of another shape
        {"cursor": "WyJ4IiwgMV0", "sort": "-total"},  # ["x", 1]
        {"sort": "nonsense", "manager": "x,none", "ids": "1,a"},
        {"q": "\x00<>'\"" * 30},
    ],
)
def test_odd_list_queries_never_fail(head_client, make_order, query):
    make_order()
    assert head_client.get("/orders/", query).status_code == 200


def test_new_order_for_a_known_customer_is_prefilled(head_client, make_order):
    order = make_order()
    page = head_client.get("/orders/new/", {"customer_id": order.customer_id})
    form = page.context["form"]
    assert form.initial["customer_id"] == order.customer_id
    assert form.initial["last_name"] == "Ivanova"
    assert head_client.get("/orders/new/", {"customer_id": "999999"}).status_code == 200
    # Optional choices start with a dash, as on the order card, not Django's "- Select an option -";
    # the store and the order type, always chosen, have no empty choice.
    body = page.content.decode()
    assert "Select an option" not in body and body.count('<option value=""') >= 3


def test_assignment_rules_page(client, admin, make_user):
    manager = make_user("m1")
    client.force_login(admin)
    assert client.get("/orders/settings/assignment/").status_code == 200
    client.post("/orders/settings/assignment/", {"manager": manager.pk, "customer_kind": "company"})
    from shopkeeper.orders.models import AssignmentRule

    rule = AssignmentRule.objects.get()
    assert rule.customer_kind == "company"
    client.post("/orders/settings/assignment/", {"delete": rule.pk})
    assert not AssignmentRule.objects.exists()


def test_card_edits_order_custom_fields(head_client, make_order):
    from shopkeeper.customers.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(
        entity="order",
        code="slot",
        label="Delivery slot",
        type="choice",
        choices=[{"code": "am", "label": "Morning"}],
    )
    order = make_order()
    assert "Delivery slot" in head_client.get(f"/orders/{order.pk}/").content.decode()
    head_client.post(f"/orders/{order.pk}/fields/", {"cf_slot": "am"})
    order.refresh_from_db()
    assert order.custom_fields == {"slot": "am"}
    # The card shows the stored value, so saving the form again keeps it.
    assert (
        '<option value="am" selected>Morning</option>'
        in head_client.get(f"/orders/{order.pk}/").content.decode()
    )


def test_transition_limited_to_a_role(client, admin, make_user, make_order, statuses):
    from django.contrib.auth.models import Group

    from shopkeeper.orders.models import OrderType

    client.force_login(admin)
    retail = OrderType.objects.get(code="retail")
    head_group = Group.objects.get(name=roles.HEAD_OF_SALES)
    client.post(
        "/orders/settings/",
        {
            "form": "roles",
            "order_type": retail.pk,
            "source": statuses["new"].pk,
            "target": statuses["cancelled"].pk,
            "roles": [head_group.pk],
        },
    )
    order = make_order()
    manager = make_user("plain")
    client.force_login(manager)
    response = client.post(f"/orders/{order.pk}/status/", {"status": statuses["cancelled"].pk}, follow=True)
    order.refresh_from_db()
    assert order.status.code == "new"
    client.force_login(make_user("boss2", roles.HEAD_OF_SALES))
    client.post(f"/orders/{order.pk}/status/", {"status": statuses["cancelled"].pk})
    order.refresh_from_db()
    assert order.status.code == "cancelled"
    assert response.status_code == 200


def test_customer_lookup_shows_only_customers_the_user_may_see(client, make_user, make_order):
    from shopkeeper.customers.models import CustomerVisibility

    make_order()
    limited = make_user("own_only_manager")
    CustomerVisibility.objects.create(user=limited, own_only=True)
    client.force_login(limited)
    assert "Ivanova" not in client.get("/orders/customers/", {"phone": "212 555 01"}).content.decode()


def test_order_search_reads_a_russian_trunk_prefix(head_client, store, offers):
    from shopkeeper.customers.services import CustomerInput
    from shopkeeper.orders import services

    from .conftest import SYSTEM

    data = services.OrderInput(
        store=store,
        customer=CustomerInput(first_name="Ivan", phone="+7 915 123-45-67"),
        lines=[services.LineInput(sku="MUG", quantity=Decimal(1))],
    )
    order = services.order_create(data=data, actor=SYSTEM)
    assert [o.pk for o in head_client.get("/orders/", {"q": "89151234567"}).context["orders"]] == [order.pk]
    # another customer on the order: the phone search (an index of its own on SQLite) follows
    from shopkeeper.customers.services import customer_create

    other, _ = customer_create(
        store=store, data=CustomerInput(first_name="Olga", phone="+7 916 555-00-11"), actor=SYSTEM
    )
    services.order_update(order=order, actor=SYSTEM, customer=other)
    assert [o.pk for o in head_client.get("/orders/", {"q": "916 555"}).context["orders"]] == [order.pk]
    assert head_client.get("/orders/", {"q": "915 123"}).context["orders"] == []


def test_store_limited_user_sees_only_customers_of_their_stores(client, make_user, make_order):
    from shopkeeper.stores.models import Store

    order = make_order()
    other = Store.objects.create(code="other", name="Other")
    limited = make_user("store_limited")
    limited.stores.set([other])
    client.force_login(limited)
    assert client.get(f"/customers/{order.customer_id}/").status_code == 404
    assert client.get(f"/orders/{order.pk}/").status_code == 404


def test_card_history_names_the_stock_moves(head_client, make_order):
    from shopkeeper.inventory import services as inventory

    from .conftest import SYSTEM

    order = make_order()  # reserves 2 T-shirts
    inventory.stock_write_off(order_id=order.pk, actor=SYSTEM)
    page = head_client.get(f"/orders/{order.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stock reserved" in html and "Stock written off" in html
    assert html.count("TSHIRT-RED-M × 2") >= 2  # the reservation and the write-off, not line ids


def test_timeline_shows_names_not_codes(head_client, make_order, statuses):
    from shopkeeper.orders import services
    from shopkeeper.orders.models import Channel

    from .conftest import SYSTEM

    order = make_order(lines=[("SERVICE-GIFT", 1)])
    services.order_set_status(order=order, status=statuses["awaiting-payment"], actor=SYSTEM)
    services.order_update(order=order, actor=SYSTEM, channel=Channel.objects.get(code="phone"))
    services.payment_add(
        order=order,
        data=services.PaymentInput(amount=Decimal("1.00"), type="cash", status="paid"),
        actor=SYSTEM,
    )
    timeline = head_client.get(f"/orders/{order.pk}/").content.decode().split('data-testid="timeline"')[1]
    assert "Awaiting payment" in timeline and "awaiting-payment" not in timeline
    assert "Phone" in timeline  # the channel by name, not its id
    assert "partly paid" in timeline and "partly_paid" not in timeline
    assert "1.00 · paid · Cash" in timeline
    services.order_update(order=order, actor=SYSTEM, delivery_cost=Decimal("1234.50"))
    with translation.override("ru"):  # amounts read as the card shows them in the reader's language
        assert change_text("1234.50", "order", "delivery_cost") == "1234,50"
        assert change_text({"amount": "1.00", "status": "paid"}, "order", "payment").startswith("1,00 · ")
        assert change_text("n/a", "order", "total") == "n/a"  # not a number: as stored
        for field in ("subtotal", "discount_total", "purchase_total", "paid_amount"):
            assert change_text("2970.00", "order", field) == "2970,00"


def test_payment_form_offers_what_is_due(head_client, make_order):
    from shopkeeper.orders import services

    from .conftest import SYSTEM

    order = make_order(lines=[("SERVICE-GIFT", 1)])
    due = order.total
    assert head_client.get(f"/orders/{order.pk}/").context["payment_form"].initial == {"amount": due}
    services.payment_add(order=order, data=services.PaymentInput(amount=due, status="paid"), actor=SYSTEM)
    assert head_client.get(f"/orders/{order.pk}/").context["payment_form"].initial == {}


def test_card_query_count_is_pinned_and_does_not_grow(head_client, make_order, django_assert_max_num_queries):
    """The dictionaries (channels, delivery and payment types, cancellation reasons, payment types of
    the payments) come from the per-process cache: the card reads the order, its lines, payments,
    reservations, the customer's other orders, custom fields, the timeline and the managers."""
    from shopkeeper.orders import services

    from .conftest import SYSTEM

    order = make_order()
    url = f"/orders/{order.pk}/"
    head_client.get(url)  # fills the dictionary cache
    with django_assert_max_num_queries(17) as small:
        page = head_client.get(url)
    assert 'data-testid="status-buttons"' in page.content.decode()
    for _ in range(3):
        make_order()  # more orders of the customer
    services.order_update(order=order, actor=SYSTEM, manager_comment="a note for the history")
    for kind in ("cash", "card"):
        services.payment_add(
            order=order, data=services.PaymentInput(amount=Decimal("1.00"), type=kind), actor=SYSTEM
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = head_client.get(url)
    assert "a note for the history" in page.content.decode()


def test_inactive_manager_and_store_still_show(head_client, make_order, make_user):
    """Cards and lists take stores and managers from the cached active ones; an order of a deactivated
    manager or store reads them from the database instead of losing them."""
    from shopkeeper.core.scope import reference_changed
    from shopkeeper.stores.models import Store

    gone = make_user("gone", first_name="Olga", last_name="Departed")
    order = make_order()
    Order.objects.filter(pk=order.pk).update(manager=gone)
    Store.objects.filter(pk=order.store_id).update(is_active=False, name="Closed shop")
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    reference_changed()  # as another process would see it once its cache expires
    card = head_client.get(f"/orders/{order.pk}/").content.decode()
    assert "Olga Departed" in card and "Closed shop" in card
    rows = head_client.get("/orders/", {"ids": str(order.pk)}).content.decode()
    assert "Olga Departed" in rows
    customer = head_client.get(f"/customers/{order.customer_id}/").content.decode()
    assert "Closed shop" in customer
