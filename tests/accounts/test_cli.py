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
    run("loaddemo")
    count = User.objects.count()
    run("loaddemo")
    assert User.objects.count() == count
    roles = {u.role.name for u in User.objects.prefetch_related("groups")}
    assert {"Head of sales", "Manager", "Warehouse", "Analyst"} <= roles


def test_cli_help_lists_the_commands(capsys):
    main(["shopkeeper", "--help"])
    out = capsys.readouterr().out
    for command in ("demo", "serve", "worker", "migrate", "createadmin", "loaddemo", "apikey"):
        assert command in out
