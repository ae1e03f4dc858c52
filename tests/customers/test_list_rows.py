"""The customers list's row tag writes what the list's template loop wrote (kept here as the reference)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from shopkeeper.customers import services
from shopkeeper.customers.models import Customer
from shopkeeper.customers.templatetags.customer_list import customer_rows

from .conftest import ACTOR

pytestmark = pytest.mark.django_db

REFERENCE = """{% load i18n %}{% for c in page %}
    <tr>
      <td><input type="checkbox" class="form-check-input" name="ids" value="{{ c.pk }}" aria-label="{% translate 'Select' %}"></td>
      <td><a href="{% url 'customers:detail' c.pk %}">{{ c.full_name|default:_("(no name)") }}</a><div class="small text-body-secondary">{{ c.store.code }} · #{{ c.pk }}</div></td>
      <td class="small">{% for shown, is_valid in c.contacts.phones %}<div>{{ shown }}</div>{% endfor %}{% for email, is_valid in c.contacts.emails %}<div>{{ email }}</div>{% endfor %}</td>
      <td class="d-none d-md-table-cell">{% for name, color in c.contacts.tags %}<span class="badge text-bg-{{ color }}">{{ name }}</span> {% endfor %}</td>
      <td class="text-end">{{ c.orders_count }}</td>
      <td class="text-end">{{ c.total_spent }}</td>
      <td class="d-none d-lg-table-cell">{{ c.rfm_class|default:"—" }}</td>
      <td class="d-none d-lg-table-cell">{{ c.manager.get_username|default:"—" }}</td>
    </tr>
  {% endfor %}"""

NASTY = "<script>alert('x')</script> & \"q\""


@pytest.mark.parametrize("language", ["en", "ru"])
def test_rows_are_the_reference_loops(make_customer, manager, language):
    anna = make_customer(first_name=NASTY, phone="+79151234567", email="anna@example.org")
    services.customer_set_tags(
        customer=anna, tags=[services.tag_get_or_create(name=NASTY, actor=ACTOR)], actor=ACTOR
    )
    Customer.objects.filter(pk=anna.pk).update(
        total_spent=Decimal("12345.60"), orders_count=1234, rfm_class="555", manager=manager
    )
    make_customer(first_name="", last_name="", phone="12")  # no name, an invalid phone kept as typed
    rows = list(Customer.objects.select_related("store", "manager").order_by("-id"))
    for c in rows:
        c.contacts = {
            "phones": [(p.e164 or p.raw, p.is_valid) for p in c.phones.all()],
            "emails": [],
            "tags": [],
        }
    rows[-1].contacts["tags"] = [(t.name, t.color) for t in anna.tags.all()]
    rows[-1].contacts["emails"] = [(NASTY, True)]
    with translation.override(language):
        expected = engines["django"].from_string(REFERENCE).render({"page": rows})
        assert customer_rows(rows) == expected
    assert "&lt;script&gt;" in expected and "<script>" not in expected
