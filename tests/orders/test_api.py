import threading

import pytest

from shopkeeper.orders.models import Order

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "store": "main",
    "external_id": "100234",
    "channel": "web",
    "created_at": "2026-11-20T10:15:00+03:00",
    "customer": {
        "external_id": "c-77",
        "first_name": "Anna",
        "last_name": "Ivanova",
        "phone": "+1 (212) 555-0101",
        "email": "Anna@Example.com",
    },
    "lines": [{"sku": "TSHIRT-RED-M", "quantity": 2, "price": "990.00"}],
    "delivery": {
        "type": "courier",
        "cost": "300.00",
        "address": {"country": "US", "city": "New York", "text": "5th Ave 1, apt 5"},
    },
    "payments": [{"type": "card", "amount": "2280.00", "status": "paid"}],
    "comment": "Call before delivery",
    "utm": {"source": "google", "medium": "cpc", "campaign": "winter"},
}


def test_create_order_from_the_documented_payload(writer):
    response = writer.post("/orders", PAYLOAD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] and body["status"] == "new"
    assert body["totals"] == {
        "currency": "USD",
        "subtotal": "1980.00",
        "discount_total": "0.00",
        "delivery_cost": "300.00",
        "total": "2280.00",
        "paid": "2280.00",
        "payment_status": "paid",
    }
    assert body["customer"]["email"] == "anna@example.com"
    assert body["problems"] == []
    assert body["lines"][0]["stock_state"] == "reserved"


def test_reposting_the_same_external_id_returns_the_existing_order(writer):
    first = writer.post("/orders", PAYLOAD).json()
    again = writer.post("/orders", PAYLOAD)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert Order.objects.count() == 1


def test_idempotency_key_replays(writer):
    payload = {**PAYLOAD, "external_id": ""}
    headers = {"Idempotency-Key": "k-1"}
    first = writer.post("/orders", payload, headers=headers)
    again = writer.post("/orders", payload, headers=headers)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert writer.post("/orders", {**payload, "comment": "other"}, headers=headers).status_code == 409


def test_business_problems_are_listed_not_rejected(writer):
    payload = {
        **PAYLOAD,
        "external_id": "p1",
        "lines": [{"sku": "NOPE", "quantity": 1, "price": "10.00"}],
        "delivery": {"type": "teleport"},
    }
    body = writer.post("/orders", payload).json()
    assert {p["code"] for p in body["problems"]} >= {"unknown_sku", "unknown_delivery_type"}
    assert body["needs_attention"] is True


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"lines": [{"sku": "X", "quantity": -1}]}, ["lines", 0, "quantity"]),
        ({"lines": [{"sku": "X", "quantity": "many"}]}, ["lines", 0, "quantity"]),
        ({"store": None}, ["store"]),
        ({"payments": [{"amount": "0"}]}, ["payments", 0, "amount"]),
    ],
)
def test_invalid_input_is_422_with_the_field(writer, patch, loc):
    response = writer.post("/orders", {**PAYLOAD, **patch})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert any(e["loc"] == loc for e in response.json()["errors"]), response.json()


def test_unknown_store_and_malformed_json(writer):
    assert writer.post("/orders", {**PAYLOAD, "store": "nowhere"}).status_code == 422
    assert writer.post("/orders", raw=b'{"store": ').status_code == 400
    assert writer.post("/orders", {}).status_code == 422


def test_status_change_honours_the_matrix(writer):
    order = writer.post("/orders", PAYLOAD).json()
    response = writer.post(f"/orders/{order['id']}/status", {"status": "delivered"})
    assert response.status_code == 409
    assert "confirmed" in response.json()["allowed"]
    ok = writer.post(f"/orders/{order['id']}/status", {"status": "confirmed", "comment": "by phone"})
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    assert writer.post(f"/orders/{order['id']}/status", {"status": "zzz"}).status_code == 422


def test_patch_lines_delivery_and_payments(writer):
    order = writer.post("/orders", {**PAYLOAD, "payments": []}).json()
    line_id = order["lines"][0]["id"]
    body = writer.request(
        "PATCH",
        f"/orders/{order['id']}",
        {
            "lines": [
                {"id": line_id, "sku": "TSHIRT-RED-M", "quantity": 1, "price": "990.00"},
                {"sku": "MUG", "quantity": 1},
            ],
            "delivery": {"tracking_number": "TRK-1", "cost": "0"},
        },
    ).json()
    assert [ln["quantity"] for ln in body["lines"]] == ["1.000", "1.000"]
    assert body["delivery"]["tracking_number"] == "TRK-1"
    assert body["totals"]["total"] == "1290.00"
    payment = writer.post(
        f"/orders/{order['id']}/payments", {"amount": "1290.00", "status": "paid", "type": "card"}
    )
    assert payment.status_code == 201
    assert writer.get(f"/orders/{order['id']}").json()["totals"]["payment_status"] == "paid"


def test_store_restricted_key_cannot_see_other_stores(api, make_key, writer, store):
    from shopkeeper.stores.models import Store

    order = writer.post("/orders", PAYLOAD).json()
    other = Store.objects.create(code="other", name="Other")
    api.key = make_key("orders:read", "orders:write", stores=[other])
    assert api.get(f"/orders/{order['id']}").status_code == 404
    assert api.get("/orders").json()["items"] == []
    assert api.post("/orders", PAYLOAD).status_code == 422  # main is not allowed for this key


def test_by_external_id_and_list_filters(writer):
    order = writer.post("/orders", PAYLOAD).json()
    assert writer.get("/orders/by-external/main/100234").json()["id"] == order["id"]
    assert writer.get("/orders/by-external/main/nope").status_code == 404
    assert [o["id"] for o in writer.get("/orders", q="555 01").json()["items"]] == [order["id"]]
    assert writer.get("/orders", status="cancelled").json()["items"] == []
    assert writer.get("/orders", q="anna@example").json()["items"][0]["id"] == order["id"]
    # a whole address is matched exactly, whatever its case
    assert [o["id"] for o in writer.get("/orders", q="Anna@Example.com").json()["items"]] == [order["id"]]
    assert writer.get("/orders", q="other@example.com").json()["items"] == []


def test_a_whole_number_finds_that_order_alone(writer):
    """An order number holds digits that other orders' phones may hold too: typed whole, it finds that
    order only; its digits alone still search phones."""
    first = writer.post("/orders", PAYLOAD).json()
    digits = "".join(ch for ch in first["number"] if ch.isdigit())
    phone = f"+1 212 55{digits[-5:].rjust(5, '0')}"
    second = writer.post(
        "/orders",
        {
            **PAYLOAD,
            "external_id": "second",
            "customer": {
                "external_id": "c-78",
                "first_name": "Bo",
                "phone": phone,
                "email": "bo@example.com",
            },
        },
    ).json()
    assert [o["id"] for o in writer.get("/orders", q=first["number"].lower()).json()["items"]] == [
        first["id"]
    ]
    assert [o["id"] for o in writer.get("/orders", q="second").json()["items"]] == [second["id"]]
    found = [o["id"] for o in writer.get("/orders", q=digits[-5:].rjust(5, "0")).json()["items"]]
    assert second["id"] in found


def test_list_and_card_query_counts_do_not_grow(writer, django_assert_max_num_queries):
    for i in range(12):
        writer.post("/orders", {**PAYLOAD, "external_id": f"q{i}"})
    with django_assert_max_num_queries(5):
        assert len(writer.get("/orders", limit=10).json()["items"]) == 10
    order_id = Order.objects.latest("id").pk
    with django_assert_max_num_queries(6):
        assert writer.get(f"/orders/{order_id}").status_code == 200


def test_list_of_one_status_pages_newest_first(writer, statuses):
    created = [writer.post("/orders", {**PAYLOAD, "external_id": f"s{i}"}).json()["id"] for i in range(7)]
    Order.objects.filter(pk__in=created[1::2]).update(status=statuses["confirmed"])
    seen, cursor = [], None
    while True:
        page = writer.get(
            "/orders", status="confirmed", limit=2, **({"cursor": cursor} if cursor else {})
        ).json()
        assert {o["status"] for o in page["items"]} == {"confirmed"}
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(created[1::2], reverse=True)


def test_reference_lists(writer):
    statuses = writer.get("/statuses").json()["items"]
    assert {"new", "confirmed", "cancelled"} <= {s["code"] for s in statuses}
    for path in ("/channels", "/delivery-types", "/payment-types", "/order-types", "/cancel-reasons"):
        assert writer.get(path).json()["items"]


def test_read_scope_cannot_write(api, make_key, offers):
    api.key = make_key("orders:read")
    assert api.post("/orders", PAYLOAD).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_parallel_identical_submissions_create_one_order(api, make_key, offers, settings):
    if settings.DATABASES["default"]["ENGINE"] == "shopkeeper.core.sqlite" and not settings.DATABASES[
        "default"
    ]["NAME"].endswith(".sqlite3"):
        pytest.skip("threads need a file database on SQLite")
    from django.db import connection
    from django.test import Client

    key = make_key("orders:write")
    results = []

    def post():
        client = Client()
        response = client.post(
            "/api/v1/orders",
            PAYLOAD,
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        results.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Order.objects.count() == 1
    assert sorted(results).count(201) == 1 and all(code in (200, 201) for code in results), results


def test_explicit_nulls_in_patches_are_not_errors(writer):
    order = writer.post("/orders", PAYLOAD).json()
    body = {
        "customer_comment": "",
        "manager_comment": "",
        "delivery": None,
        "discount_amount": None,
        "discount_percent": None,
        "utm": {},
        "custom_fields": None,
    }
    response = writer.request("PATCH", f"/orders/{order['id']}", body)
    assert response.status_code == 200, response.content
    assert writer.request("PATCH", f"/orders/{order['id']}", {"lines": []}).status_code == 422
    payment_id = order["payments"][0]["id"]
    response = writer.request(
        "PATCH",
        f"/orders/{order['id']}/payments/{payment_id}",
        {"status": "not_paid", "amount": None, "paid_at": None, "comment": ""},
    )
    assert response.status_code == 200, response.content
    assert writer.request(
        "PATCH", f"/orders/{order['id']}/payments/{payment_id}", {"paid_at": 0}
    ).status_code in (200, 422)


def test_delivery_window_with_offsets_is_kept_as_wall_clock(writer):
    order = writer.post("/orders", PAYLOAD).json()
    response = writer.request(
        "PATCH",
        f"/orders/{order['id']}",
        {"delivery": {"date": "2026-12-01", "time_from": "10:00:00Z", "time_to": "12:30:00+03:00"}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["delivery"]["time_from"] == "10:00:00"


def test_unique_conflicts_are_problems_not_500(api, make_key, store):
    api.key = make_key("customers:read", "customers:write")
    one = api.post("/customers", {"store": "main", "first_name": "A", "external_id": "x-1"}).json()
    two = api.post("/customers", {"store": "main", "first_name": "B", "external_id": "x-2"}).json()
    assert one["id"] != two["id"]
    response = api.request("PATCH", f"/customers/{two['id']}", {"external_id": "x-1"})
    assert response.status_code in (409, 422), response.content
    assert response["Content-Type"] == "application/problem+json"


def test_an_order_with_no_lines_and_an_empty_customer_is_refused(writer):
    response = writer.post("/orders", {"store": "main", "customer": {}, "lines": []})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["lines"]
