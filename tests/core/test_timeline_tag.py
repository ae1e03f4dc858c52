"""The timeline tag writes what the timeline's template loop wrote (kept here as the reference)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone, translation

from shopkeeper.core.models import Change

REFERENCE = """{% load i18n shopkeeper %}<ol class="list-unstyled sk-timeline mb-0" data-testid="timeline">
{% for c in entries %}
  <li class="sk-timeline-item">
    <div class="small text-body-secondary">{{ c.at|date:"SHORT_DATETIME_FORMAT" }} · {% if c.actor_type == "user" %}<i class="bi bi-person"></i>{% elif c.actor_type == "api_key" %}<i class="bi bi-key"></i>{% elif c.actor_type == "rule" %}<i class="bi bi-lightning"></i>{% else %}<i class="bi bi-gear"></i>{% endif %} {{ c|actor_name }}{% if c.source %} · {{ c.source }}{% endif %}</div>
    <div>{% if c.entity != entity %}<span class="fw-semibold">{{ c.entity|entity_label }}</span> {{ c.action|action_label }}{% else %}{{ c.action|action_label|capfirst }}{% endif %}</div>
    {% if c.action == "commented" %}<div class="sk-comment">{{ c.changes.comment.1 }}</div>
    {% elif c.entity == "note" %}<div class="sk-comment">{{ c.changes.text.1 }}</div>
    {% elif c.changes %}<ul class="small mb-0 ps-3">{% for field, pair in c.changes.items %}{% if pair.0 is None and pair.1 in nothing %}{% else %}<li><span class="text-body-secondary">{{ field|field_label:c.entity }}</span>: {% if pair.0 is not None %}<del>{% change_text pair.0 c.entity field %}</del> → {% endif %}{% change_text pair.1 c.entity field %}</li>{% endif %}{% endfor %}</ul>{% endif %}
  </li>
{% empty %}
  <li class="small text-body-secondary">{% translate "Nothing yet." %}</li>
{% endfor %}
</ol>
"""

NASTY = "<script>alert('x')</script> & \"q\""
AT = dt.datetime(2026, 3, 1, 22, 5, tzinfo=dt.UTC)


def _change(**kwargs) -> Change:
    values = {
        "at": AT,
        "entity": "order",
        "entity_id": 1,
        "action": "updated",
        "changes": {},
        "actor_type": "user",
        "actor_label": "ann",
        "source": "ui",
    }
    return Change(**{**values, **kwargs})


ENTRIES = [
    _change(changes={"status": ["new", "confirmed"], "total": ["1.00", "2.00"]}),
    _change(action="commented", changes={"comment": [None, NASTY]}, actor_type="api_key", source=""),
    _change(entity="note", action="created", changes={"text": [None, NASTY]}, actor_type="rule"),
    _change(entity="customer", action="merged", changes={"first_name": [NASTY, None]}, actor_type="system"),
    _change(changes={"lines": [[{"sku": NASTY}], []], "reservations": [None, {"wh": "1"}]}),
    _change(changes={"odd": "not a pair", "short": [1], "none": None, "flag": [False, True]}),
    _change(changes=["not", "a", "dict"], actor_label=NASTY, source=NASTY),
    _change(action="commented", changes={}),
    _change(entity="note", changes={"text": "plain"}),
    _change(action="stock_reserved", changes={"reservations": {"wh1": "2"}}, at=None),
    _change(action="unknown_action", entity="unknown_entity", changes={"some_field": [1, 2]}),
    # Equal values of other types (kept apart by the tag's per-rendering memo), and entries repeated.
    _change(changes={"flag": [1, True], "total": [True, 1.0], "status": ["new", "new"]}),
    _change(entity="customer", changes={"flag": [True, 1]}, at=AT.replace(month=12)),
    # A created record: its empty fields (nothing before, nothing after) are left out; no and 0 are not.
    _change(
        action="created",
        changes={"emails": [None, []], "phones": [None, ["+1"]], "note": [None, ""], "flag": [None, False]},
    ),
    _change(action="created", changes={"zero": [None, 0], "gone": [None, None], "data": [None, {}]}),
]
NOTHING = [None, "", [], {}]  # the reference's test for an empty value


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("entity", ["order", "customer"])
def test_timeline_tag_writes_the_reference_markup(db, language, entity):
    reference = engines["django"].from_string(REFERENCE)
    with translation.override(language), timezone.override("Europe/Moscow"):
        for entries in ([], None, ENTRIES, ENTRIES[:1], ENTRIES * 2):
            context = {"entries": entries, "entity": entity, "nothing": NOTHING}
            # No one signed in opens order 1: its entries are left out of another record's timeline.
            shown = [c for c in entries or [] if c.entity == entity or c.entity != "order"]
            expected = reference.render({**context, "entries": shown})
            assert render_to_string("core/timeline.html", context) == expected


def test_a_change_keyed_items_fails_as_the_template_did(db):
    # `c.changes.items` reads the key first (why stock moves write "lines", not "items").
    reference = engines["django"].from_string(REFERENCE)
    context = {"entries": [_change(changes={"items": ["a", "b"]})], "entity": "order"}
    with pytest.raises(ValueError):
        reference.render(context)
    with pytest.raises(ValueError):
        render_to_string("core/timeline.html", context)


def test_a_created_records_empty_fields_are_left_out(db):
    entry = _change(
        entity="customer",
        action="created",
        changes={"emails": [None, []], "phones": [None, ["+1"]], "flag": [None, False], "note": [None, ""]},
    )
    html = render_to_string("core/timeline.html", {"entries": [entry], "entity": "customer"})
    assert ">Phones</span>: +1</li>" in html and ">Flag</span>: no</li>" in html
    assert "Emails" not in html and "Note" not in html


@pytest.mark.parametrize(
    ("entity", "field"),
    [
        ("customer", "name"),
        ("customer", "phones"),
        ("customer", "emails"),
        ("company", "contact"),
        ("company", "tax_ids"),
        ("store", "warehouses"),
        ("inventory", "rows"),
        ("custom_field", "label"),
    ],
)
def test_changed_fields_read_in_the_readers_language(db, entity, field):
    from shopkeeper.core.templatetags.shopkeeper import field_label

    english = field_label(field, entity)
    with translation.override("ru"):
        assert field_label(field, entity) != english


def test_a_price_change_names_its_price_type(db):
    from shopkeeper.catalog.models import PriceType
    from shopkeeper.core.templatetags.shopkeeper import field_label

    PriceType.objects.update_or_create(code="retail", defaults={"name": "Retail"})
    assert field_label("price.retail", "offer") == "Price (Retail)"
    assert field_label("price.gone", "offer") == "Price (gone)"  # a price type removed since
    with translation.override("ru"):
        assert field_label("price.retail", "offer").startswith("Цена (")


def test_a_user_reads_by_name_while_their_account_is_active(make_user):
    """The entry names the person ("Mia Manager"), not their sign-in; a former user, an API key and the
    system read as the change stored them. The reference template renders the same names."""
    mia = make_user("mia", first_name="Mia", last_name="Manager")
    gone = make_user("gone", first_name="Gone", last_name="Person")
    gone.is_active = False
    gone.save()
    entries = [
        _change(actor_id=mia.pk, actor_label="mia"),
        _change(actor_id=gone.pk, actor_label="gone"),
        _change(actor_type="api_key", actor_id=mia.pk, actor_label="Website <key>"),
    ]
    context = {"entries": entries, "entity": "order", "nothing": NOTHING}
    html = render_to_string("core/timeline.html", context)
    assert "Mia Manager" in html and ">mia<" not in html
    assert "gone" in html and "Gone Person" not in html
    assert "Website &lt;key&gt;" in html
    assert html == engines["django"].from_string(REFERENCE).render(context)


def test_a_manager_change_names_the_manager(make_user):
    """ "Manager: — → Mia Manager", whether the change stored the user's id or their sign-in; a former
    user reads as stored."""
    mia = make_user("mia", first_name="Mia", last_name="Manager")
    gone = make_user("gone", first_name="Gone", last_name="Person")
    gone.is_active = False
    gone.save()
    entries = [
        _change(entity="customer", changes={"manager": [None, mia.pk]}),
        _change(changes={"manager": [None, "mia"]}),
        _change(changes={"manager": [mia.pk, gone.pk]}),
    ]
    html = render_to_string("core/timeline.html", {"entries": entries, "entity": "order"})
    assert html.count("Mia Manager") == 3 and f"→ {gone.pk}<" in html
    assert "Manager</span>: Mia Manager<" in html and "Manager</span>: mia<" not in html
