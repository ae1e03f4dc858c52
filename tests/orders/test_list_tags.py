"""The list's Python-rendered parts write what the template loops and filters wrote."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template.defaultfilters import date, floatformat
from django.utils import timezone, translation

from shopkeeper.accounts import roles
from shopkeeper.orders.templatetags.order_list import _Page

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "ru", "uk", "zh-hans"])
def test_money_and_dates_match_the_template_filters(language, settings):
    values = [
        Decimal("0.00"),
        Decimal("-0.00"),
        Decimal("16890.00"),
        Decimal("-5.10"),
        Decimal("123456789012.99"),
        Decimal("1.005"),  # three places: floatformat rounds
        Decimal("7"),
        Decimal("1E+3"),
        3,
        1.5,
        None,
        "12.3",
    ]
    moments = [dt.datetime(2026, month, 9, 7, 5, tzinfo=dt.UTC) for month in range(1, 13)]
    with translation.override(language), timezone.override("Asia/Vladivostok"):
        page = _Page(timezone.now())
        for value in values:
            assert page.money(value) == floatformat(value, 2), value
        for moment in moments:
            shown = date(timezone.template_localtime(moment), "SHORT_DATETIME_FORMAT")
            assert page.created(moment) == (
                f'<td class="text-nowrap small d-none d-sm-table-cell">{shown}</td>'
            )
        settings.USE_THOUSAND_SEPARATOR = True
        assert _Page(timezone.now()).money(Decimal("16890.00")) == floatformat(Decimal("16890.00"), 2)


def test_filter_bar_marks_what_is_chosen(client, make_user, make_order, statuses):
    head = make_user("head", roles.HEAD_OF_SALES)
    client.force_login(head)
    order = make_order()
    html = client.get(
        "/orders/",
        {
            "status": "new",
            "store": order.store.code,
            "manager": str(head.pk),
            "payment_status": "unpaid",
            "channel": "phone",
            "cols": ["number", "total", "created"],
            "sort": "-total",
        },
    ).content.decode()
    assert '<option value="new" selected>' in html
    assert f'<option value="{order.store.code}" selected>{order.store.name}</option>' in html
    assert f'<option value="{head.pk}" selected>' in html
    assert '<option value="unpaid" selected>unpaid</option>' in html
    assert '<option value="phone" selected>' in html
    assert f'<option value="{statuses["confirmed"].pk}">Confirmed</option>' in html  # the bulk status menu
    assert 'value="total" id="sk-col-total" checked>' in html
    assert 'value="phone" id="sk-col-phone">' in html  # a column not chosen
    header = html.split("<thead")[1].split("</thead>")[0]
    assert '&sort=total">Total <i class="bi bi-arrow-down"></i></a>' in header  # "&" as the template had it
    assert 'sort=-created">Created</a>' in header
    assert "Phone" not in header


def test_rows_write_every_column_escaped(make_order):
    """The markup of a row with every column, in Russian (a change to order_rows must keep it)."""
    from django.utils import timezone
    from django.utils import translation as tr

    from shopkeeper.customers.services import CustomerInput
    from shopkeeper.orders.models import Order
    from shopkeeper.orders.selectors import attach_related
    from shopkeeper.orders.templatetags.order_list import CELLS, order_rows

    nasty = "<script>alert('x')</script> & \"q\""
    order = make_order(customer=CustomerInput(first_name=nasty, last_name="", phone="+1 212 555 0101"))
    at = dt.datetime(2026, 11, 24, 17, 10, tzinfo=dt.UTC)
    Order.objects.filter(pk=order.pk).update(needs_attention=True, number="A&B<1>", created_at=at)
    rows = list(Order.objects.filter(pk=order.pk))
    attach_related(rows)
    pk = order.pk
    with tr.override("ru"), timezone.override("Europe/Moscow"):
        html = str(order_rows(rows, list(CELLS), timezone.now()))
    assert html == (
        f'\n          <tr data-order-id="{pk}" data-href="/orders/{pk}/" class="sk-order-row sk-attention">\n'
        '            <td class="sk-check"><input class="form-check-input" type="checkbox" name="ids" '
        f'value="{pk}" form="sk-bulk" aria-label="Выбрать A&amp;B&lt;1&gt;"></td>\n'
        f'            <td class="text-nowrap"><a class="fw-semibold" href="/orders/{pk}/">A&amp;B&lt;1&gt;</a> '
        '<i class="bi bi-exclamation-triangle-fill text-warning" title="Требует внимания"></i></td>'
        '<td class="text-nowrap small d-none d-sm-table-cell">24.11.2026 20:10</td>'
        '<td><span class="badge sk-status" data-color="#0d6efd">Новый</span></td>'
        '<td class="text-truncate sk-col-customer" title="&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; '
        '&amp; &quot;q&quot;">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;</td>'
        '<td class="text-nowrap small d-none d-md-table-cell">+1 212-555-0101</td>'
        '<td class="text-end text-nowrap">1980,00 <span class="small text-body-secondary">USD</span></td>'
        '<td><span class="badge sk-pay-unpaid">Не оплачено</span></td>'
        '<td class="small text-nowrap d-none d-lg-table-cell"><span class="text-body-secondary">—</span></td>'
        '<td class="small d-none d-lg-table-cell">main</td><td class="small"></td><td class="small"></td>\n'
        "          </tr>\n          "
    )
