"""An order's problems read in the reader's language: the card words them from the specifics they keep,
whatever language the order was created in (an API request's is English)."""

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from shopkeeper.accounts import roles
from shopkeeper.core.templatetags.shopkeeper import problem_text
from shopkeeper.orders.models import Order

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "store": "main",
    "customer": {"first_name": "Anna", "phone": "+1 212 555 0101"},
    "lines": [
        {"sku": "NOPE-1", "quantity": 1, "price": "10.00"},
        {"sku": "TSHIRT-RED-M", "quantity": 2, "price": "500.00"},
    ],
    "delivery": {"type": "teleport"},
}


@pytest.fixture
def ru_client(make_user):
    """A manager reading in Russian, in a browser of their own (the API's client sends no session)."""
    client = Client()
    client.force_login(make_user("head", roles.HEAD_OF_SALES, language="ru"))
    return client


def _card_problems(client, order_id: int) -> str:
    page = client.get(f"/orders/{order_id}/").content.decode()
    return page.split('data-testid="order-problems"', 1)[1].split("</ul>", 1)[0]


def test_api_order_problems_keep_their_specifics_and_the_api_shows_code_and_detail(writer):
    body = writer.post("/orders", PAYLOAD).json()
    assert {p["code"] for p in body["problems"]} == {"unknown_sku", "price_mismatch", "unknown_delivery_type"}
    assert all(set(p) == {"code", "detail"} for p in body["problems"])  # the API's shape, as before
    details = {p["code"]: p["detail"] for p in body["problems"]}
    assert details["price_mismatch"] == "“TSHIRT-RED-M” sent at 500.00; the catalog says 990.00."
    stored = {p["code"]: p for p in Order.objects.get(pk=body["id"]).problems}
    assert stored["unknown_sku"]["params"] == {"sku": "NOPE-1"}
    assert stored["price_mismatch"]["params"] == {
        "sku": "TSHIRT-RED-M",
        "sent": "500.00",
        "catalog": "990.00",
    }
    assert stored["unknown_delivery_type"]["params"] == {"code": "teleport"}


def test_a_russian_reader_reads_api_order_problems_in_russian(writer, ru_client):
    body = writer.post("/orders", PAYLOAD).json()
    shown = _card_problems(ru_client, body["id"])
    details = {p["code"]: p["detail"] for p in body["problems"]}
    # Russian numbers (Django's formats, compiled catalog or not): not the English detail, specifics kept.
    assert details["price_mismatch"] not in shown and "TSHIRT-RED-M" in shown and "500,00" in shown
    with translation.override("ru"):
        expected = [
            translation.gettext("SKU “%(sku)s” is not in the catalog; kept as a free-text line.")
            % {"sku": "NOPE-1"},
            translation.gettext("“%(sku)s” sent at %(sent)s; the catalog says %(catalog)s.")
            % {"sku": "TSHIRT-RED-M", "sent": "500,00", "catalog": "990,00"},
            translation.gettext("Delivery type “%(code)s” is not known; map it in Settings.")
            % {"code": "teleport"},
        ]
    for text in expected:
        assert f"<li>{text}</li>" in shown


def test_quantities_read_without_trailing_zeros(make_order):
    with translation.override("en"):
        order = make_order(lines=[("MUG", 100)])  # two in stock
        (shortage,) = [p for p in order.problems if p["code"] == "out_of_stock"]
        assert shortage["params"] == {"sku": "MUG", "reserved": "2", "quantity": "100"}
        assert shortage["detail"] == "“MUG”: 2 of 100 reserved."
        stored_raw = {**shortage, "params": {**shortage["params"], "reserved": "2.000"}}
        assert problem_text(stored_raw) == shortage["detail"]
    with translation.override("ru"):
        assert "2,000" not in problem_text(stored_raw)


def test_a_problem_stored_without_params_reads_as_its_stored_detail(writer, ru_client):
    order_id = writer.post("/orders", PAYLOAD).json()["id"]
    old = {
        "code": "unknown_sku",
        "detail": "SKU “OLD-1” is not in the catalog; kept as a free-text line.",
        "line": 0,
    }
    Order.objects.filter(pk=order_id).update(problems=[old, {"code": "invalid_phone", "detail": ""}])
    shown = _card_problems(ru_client, order_id)
    assert "<li>SKU “OLD-1” is not in the catalog; kept as a free-text line.</li>" in shown
    with translation.override("ru"):
        assert (
            f"<li>{translation.gettext('The phone number looks invalid; it is kept as typed.')}</li>" in shown
        )


def test_other_texts_and_codes():
    with translation.override("ru"):
        call_back = translation.gettext("Web form: call the customer back.")
        # A call-back's stored detail is this text in the form's language (English): the reader's is shown.
        assert problem_text({"code": "call_back", "detail": "Web form: call the customer back."}) == call_back
        assert problem_text("call_back") == call_back
        assert problem_text({"code": "mystery", "detail": "Something odd."}) == "Something odd."
        assert problem_text({"code": "mystery_thing"}) == "mystery thing"
        # Params of another shape than the message's: the stored detail.
        assert problem_text({"code": "unknown_sku", "detail": "As stored.", "params": {}}) == "As stored."


def test_a_sku_from_the_payload_is_escaped_on_the_card(writer, ru_client):
    sku = "<script>alert(1)</script>"
    body = writer.post("/orders", {**PAYLOAD, "lines": [{"sku": sku, "quantity": 1}]}).json()
    shown = _card_problems(ru_client, body["id"])
    assert "<script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    rendered = Template("{% load shopkeeper %}{{ p|problem_text }}").render(
        Context({"p": {"code": "unknown_sku", "params": {"sku": sku}}})
    )
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered


def test_the_intake_inbox_says_an_orders_problems_as_the_card_does():
    from shopkeeper.intake.templatetags.intake import flag_texts

    flags = [{"code": "needs_attention", "problems": ["unknown_sku", "invalid_email"]}, {"code": "call_back"}]
    with translation.override("ru"):
        assert flag_texts({"flags": flags}) == [
            problem_text("unknown_sku"),
            problem_text("invalid_email"),
            translation.gettext("Web form: call the customer back."),
        ]


@pytest.mark.django_db
def test_a_status_the_source_sent_but_the_matrix_refused_reads_in_the_readers_language():
    from shopkeeper.intake.templatetags.intake import flag_texts

    flag = {"code": "status_not_applied", "from": "delivered", "to": "new"}
    with translation.override("ru"):
        (text,) = flag_texts({"flags": [flag]})
        assert translation.gettext("Delivered") in text and translation.gettext("New") in text
        assert "Delivered" not in text
    # An entry flagged before the codes were kept reads as it was stored.
    old = {"code": "status_not_applied", "detail": "An order in status “A” cannot move to “B”."}
    with translation.override("en"):
        assert flag_texts({"flags": [old]}) == [
            "The status was not changed: An order in status “A” cannot move to “B”."
        ]
