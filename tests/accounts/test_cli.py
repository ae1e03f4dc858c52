import io

import pytest
from django.core.management import CommandError, call_command

from shopkeeper.accounts.models import ApiKey, User
from shopkeeper.cli import main
from shopkeeper.stores.models import Store

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_apikey_create_authenticates_and_revoke_stops_it(api):
    Store.objects.create(code="main", name="Main")
    secret = run(
        "apikey", "create", "--name", "site", "--scopes", "orders:read,orders:write", "--stores", "main"
    )
    assert secret.startswith("sk_")
    key = ApiKey.objects.get()
    assert key.key_hash != secret and secret not in key.key_hash  # only a hash is stored
    api.key = secret
    me = api.get("/me").json()
    assert me["scopes"] == ["orders:read", "orders:write"]
    assert me["stores"] == ["main"]
    assert key.prefix in run("apikey", "list")
    run("apikey", "revoke", key.prefix)
    assert api.get("/me").status_code == 401


def test_apikey_rejects_unknown_scopes_and_stores():
    with pytest.raises(CommandError, match="unknown scopes"):
        run("apikey", "create", "--name", "x", "--scopes", "orders:delete")
    with pytest.raises(CommandError, match="unknown stores"):
        run("apikey", "create", "--name", "x", "--scopes", "orders:read", "--stores", "nowhere")


def test_createadmin_is_idempotent():
    run("createadmin", "--username", "root", "--password", "a-long-password-1")
    run("createadmin", "--username", "root", "--password", "other")
    user = User.objects.get(username="root")
    assert user.is_superuser
    assert user.check_password("a-long-password-1")
    assert user.role.name == "Administrator"


def test_loaddemo_creates_users_of_every_role_and_is_repeatable():
    run("loaddemo", "--size", "S")
    count = User.objects.count()
    run("loaddemo", "--size", "S")
    assert User.objects.count() == count
    roles = {u.role.name for u in User.objects.prefetch_related("groups")}
    assert {"Head of sales", "Manager", "Warehouse", "Analyst"} <= roles
    _demo_orders_look_real()


def _demo_orders_look_real():
    """What a manager sees first in the demo: open orders holding stock, companies ordering through
    their contact persons, customers' metrics from their history, today's orders spread over time."""
    from django.db.models import Count, F, Max, Min

    from shopkeeper.customers.models import CompanyContact, Customer
    from shopkeeper.orders.models import Order

    open_orders = Order.objects.filter(is_final=False).exclude(status__code="shipped")
    with_lines = open_orders.filter(lines__isnull=False)  # a call-back form's order has none yet
    assert with_lines.exists() and not with_lines.filter(stock_state="").exists()
    b2b = Order.objects.filter(company__isnull=False)
    assert b2b.exists()
    assert all(
        CompanyContact.objects.filter(company_id=o.company_id, customer_id=o.customer_id).exists()
        for o in b2b[:20]
    )
    live_since = Order.objects.filter(external_id__startswith="web-").aggregate(m=Min("created_at"))["m"]
    busiest = Order.objects.values("customer_id").annotate(n=Count("id")).order_by("-n").first()
    kept = Order.objects.filter(
        customer_id=busiest["customer_id"], is_cancelled=False, created_at__lt=live_since
    )
    assert Customer.objects.get(pk=busiest["customer_id"]).orders_count >= kept.count()  # the history's
    assert busiest["n"] < Order.objects.count() / 20  # no one customer holds the store's orders
    created = list(Order.objects.order_by("id").values_list("created_at", flat=True))
    assert created == sorted(created)  # ids, numbers and timelines run in time
    first_order = Customer.objects.annotate(first=Min("orders__created_at")).filter(first__isnull=False)
    assert not [c for c in first_order if c.created_at > c.first]  # a customer before their first order
    live = Order.objects.filter(external_id__startswith="web-")
    assert live.values("created_at__date", "created_at__hour").distinct().count() > 3
    assert (
        live.aggregate(Max("created_at"))["created_at__max"]
        <= Order.objects.aggregate(Max("updated_at"))["updated_at__max"]
    )
    # An order's timeline (newest id first) runs back in time: its reservation is not dated today.
    from itertools import groupby

    from shopkeeper.core.models import Change

    rows = Change.objects.filter(entity="order").order_by("entity_id", "id").values_list("entity_id", "at")
    for order_id, entries in groupby(rows, key=lambda row: row[0]):
        times = [at for _id, at in entries]
        assert times == sorted(times), (order_id, times)
    # Where a store's customers keep their manager, most of a customer's orders go to that manager.
    kept_stores = Order.objects.filter(store__order_settings__customers_keep_manager=True)
    assert kept_stores.exists() and Order.objects.exclude(pk__in=kept_stores.values("pk")).exists()
    regulars = Customer.objects.filter(
        store__order_settings__customers_keep_manager=True, orders_count__gte=3
    )
    # (a contact person who buys only for their company leaves the manager to the company)
    assert regulars.filter(manager__isnull=False).count() > regulars.count() * 0.8
    kept = kept_stores.filter(customer__manager__isnull=False)
    assert kept.filter(manager_id=F("customer__manager_id")).count() > kept.count() * 0.8
    b2b_kept = kept_stores.filter(company__manager__isnull=False)
    assert b2b_kept.filter(manager_id=F("company__manager_id")).count() > b2b_kept.count() * 0.8
    # The intake inbox has something to show: flagged call-backs and unmapped codes, one failed request.
    from shopkeeper.intake.models import CodeMapping, EntryStatus, InboundRequest

    statuses = set(InboundRequest.objects.values_list("status", flat=True))
    assert {EntryStatus.FLAGGED, EntryStatus.FAILED} <= statuses
    assert CodeMapping.objects.filter(internal_code="").exists()  # unknown codes listed for mapping


def test_cli_help_lists_the_commands(capsys):
    main(["shopkeeper", "--help"])
    out = capsys.readouterr().out
    for command in ("demo", "serve", "worker", "migrate", "createadmin", "loaddemo", "apikey"):
        assert command in out
