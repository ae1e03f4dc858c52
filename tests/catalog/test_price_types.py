"""Price types: one default, a fixed code, change-logged writes and the settings pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shopkeeper.catalog import services
from shopkeeper.catalog.models import PriceType
from shopkeeper.core.models import Change
from tests.catalog.factories import ACTOR, make_product

pytestmark = pytest.mark.django_db


def _default() -> str:
    return PriceType.objects.get(is_default=True).code


def test_exactly_one_default_and_changes_are_logged():
    assert _default() == "retail"
    wholesale = services.price_type_create(code="wholesale", name="Wholesale", position=2, actor=ACTOR)
    assert _default() == "retail"
    services.price_type_update(price_type=wholesale, is_default=True, actor=ACTOR)
    assert _default() == "wholesale"
    vip = services.price_type_create(code="vip", name="VIP", is_default=True, actor=ACTOR)
    assert _default() == "vip" and PriceType.objects.filter(is_default=True).count() == 1
    logged = {(c.entity_id, c.action) for c in Change.objects.filter(entity="price_type")}
    assert {(wholesale.pk, "created"), (wholesale.pk, "updated"), (vip.pk, "created")} <= logged
    retail = PriceType.objects.get(code="retail")
    assert Change.objects.filter(
        entity="price_type", entity_id=retail.pk, changes__is_default=[True, False]
    ).exists()
    # The database refuses a second default too, whatever writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceType.objects.filter(pk=retail.pk).update(is_default=True)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"is_default": False}, "is_default"),
        ({"is_active": False}, "is_active"),
        ({"code": "other"}, "code"),
        ({"name": ""}, "name"),
        ({"currency": "EUR"}, "currency"),
    ],
)
def test_refused_updates_write_nothing(values, field):
    retail = services.price_type_default()
    before = Change.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.price_type_update(price_type=retail, actor=ACTOR, **values)
    assert field in exc.value.message_dict
    retail.refresh_from_db()
    assert (retail.code, retail.is_default, retail.is_active, retail.name) == ("retail", True, True, "Retail")
    assert Change.objects.count() == before


@pytest.mark.parametrize("code", ["", "Bad Code", "retail"])
def test_bad_or_duplicate_codes_are_refused(code):
    with pytest.raises(ValidationError) as exc:
        services.price_type_create(code=code, name="X", actor=ACTOR)
    assert "code" in exc.value.message_dict


def test_price_type_pages(admin_client, django_assert_max_num_queries):
    make_product("Mug", offers=3)
    response = admin_client.post(
        "/catalog/price-types/new/",
        {"code": "wholesale", "name": "Wholesale <b>", "position": "5", "is_active": "on"},
    )
    assert response.status_code == 302
    for i in range(5):
        services.price_type_create(code=f"t{i}", name=f"T{i}", actor=ACTOR)
    with django_assert_max_num_queries(8):
        page = admin_client.get("/catalog/price-types/")
    assert page.status_code == 200
    assert b"Wholesale &lt;b&gt;" in page.content and b'href="/catalog/price-types/"' in page.content
    retail = PriceType.objects.get(code="retail")
    assert page.context["price_types"][0].price_count == 3 and page.context["price_types"][0] == retail

    wholesale = PriceType.objects.get(code="wholesale")
    edit = admin_client.post(
        f"/catalog/price-types/{wholesale.pk}/",
        {"code": "hacked", "name": "Wholesale", "position": "1", "is_active": "on", "is_default": "on"},
    )
    assert edit.status_code == 302
    wholesale.refresh_from_db()
    assert (wholesale.code, wholesale.is_default, wholesale.position) == ("wholesale", True, 1)
    refused = admin_client.post(
        f"/catalog/price-types/{wholesale.pk}/", {"name": "Wholesale", "position": "1", "is_default": "on"}
    )
    assert refused.status_code == 200 and "is_active" in refused.context["form"].errors
    dup = admin_client.post("/catalog/price-types/new/", {"code": "retail", "name": "Again", "position": "0"})
    assert dup.status_code == 200 and "code" in dup.context["form"].errors


def test_price_type_pages_need_permissions(client, make_user):
    client.force_login(make_user("manager"))
    assert client.get("/catalog/price-types/").status_code == 200
    assert client.get("/catalog/price-types/new/").status_code == 403
    assert client.get(f"/catalog/price-types/{services.price_type_default().pk}/").status_code == 403
