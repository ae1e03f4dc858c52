"""`shopkeeper backup` / `shopkeeper restore`: a round trip gives back every row and every media file.

The round trips run on a database file (SQLite) or on the PostgreSQL test database with pg_dump and
pg_restore, whichever DATABASE_URL picks.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shopkeeper.accounts import roles
from shopkeeper.accounts.models import ApiKey, User
from shopkeeper.catalog import services as catalog
from shopkeeper.core.changes import Actor
from shopkeeper.customers.models import CustomerPhone
from shopkeeper.customers.services import CustomerInput
from shopkeeper.inventory import services as inventory
from shopkeeper.orders import services as orders
from shopkeeper.orders.models import Order, StatusCount
from shopkeeper.stores.models import Store
from shopkeeper.stores.services import store_create, store_update
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEM = Actor.system("test")
OTHER_VENDOR = {"sqlite": "postgresql", "postgresql": "sqlite"}
# The last migration before the order status counters: a backup taken there lacks their table.
BEFORE_STATUS_COUNTS = ("orders", "0005_search_indexes_postgresql")

only_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
only_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="needs SQLite")


@pytest.fixture(autouse=True)
def box(settings, tmp_path) -> Path:
    """The box's var/ folder (default backups, media) lives in the test's own folder."""
    var = tmp_path / "var"
    settings.VAR_DIR = var
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": var / "media"},
        },
    }
    return var


@pytest.fixture
def file_database(transactional_db, tmp_path):
    """A box keeps its SQLite database in a file, in WAL mode. When the test database lives in memory,
    the default connection points at a migrated file for the test (as the test runner points it at
    the test database); the in-memory database's connection stays open meanwhile, since closing it
    would drop that database."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    connection.ensure_connection()
    memory, memory_name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(tmp_path / "box.sqlite3")
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = memory_name
        connection.connection = memory


def fill(make_user, make_key) -> dict:
    """A little of everything, written through the services."""
    boss = make_user("boss", roles.ADMINISTRATOR, is_superuser=True)
    make_key("orders:read", "customers:read")
    store = store_create(code="main", name="Main store", currency="USD", timezone="UTC", actor=SYSTEM)
    warehouse = inventory.warehouse_create(code="wh1", name="Warehouse 1", actor=SYSTEM)
    inventory.store_set_warehouses(store=store, warehouses=[warehouse], actor=SYSTEM)
    product = catalog.product_create(
        name="T-shirt",
        actor=SYSTEM,
        offers=[{"sku": "TSHIRT-RED-M", "name": "T-shirt red M", "prices": {"retail": "990.00"}}],
    )
    inventory.stock_adjust(
        offer=product.offers.get(),
        warehouse=warehouse,
        delta=10,
        reason="receipt",
        kind="receipt",
        actor=SYSTEM,
    )
    order = orders.order_create(
        data=orders.OrderInput(
            store=store,
            customer=CustomerInput(
                first_name="Anna", last_name="Ivanova", phone="+1 212 555 0101", email="anna@example.com"
            ),
            lines=[orders.LineInput(sku="TSHIRT-RED-M", quantity=Decimal(2))],
        ),
        actor=SYSTEM,
    )
    storages["default"].save("imports/2026/11/feed.csv", ContentFile(b"sku,price\nTSHIRT-RED-M,990.00\n"))
    return {"boss": boss, "store": store, "order": order}


def snapshot() -> dict[str, list[str]]:
    """Every row of every table (and SQLite's autoincrement counters), comparable as a whole."""
    quote = connection.ops.quote_name
    tables = sorted(connection.introspection.table_names())
    if connection.vendor == "sqlite":
        tables.append("sqlite_sequence")
    rows = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")
            rows[table] = sorted(repr(row) for row in cursor.fetchall())
    return rows


def media_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def backup(path: Path) -> str:
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    return out.getvalue()


def archive_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return path


def altered(source: Path, target: Path, **manifest_changes) -> Path:
    """A copy of a backup with parts of its manifest replaced."""
    members = archive_members(source)
    manifest = json.loads(members.pop("manifest.json"))
    manifest.update(manifest_changes)
    return write_archive(target, {"manifest.json": json.dumps(manifest).encode(), **members})


def test_round_trip_gives_back_every_row_and_file(file_database, make_user, make_key, box, tmp_path):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    data = fill(make_user, make_key)
    before, files_before = snapshot(), media_files(box / "media")
    assert files_before

    path = tmp_path / "box.tar.gz"
    out = backup(path)
    assert str(path) in out
    assert "KB" in out or "MB" in out

    # Change, add and delete a bit of everything, files included.
    store_update(store=data["store"], name="Renamed", actor=SYSTEM)
    store_create(code="second", name="Second", currency="EUR", timezone="UTC", actor=SYSTEM)
    User.objects.filter(pk=data["boss"].pk).update(email="changed@example.com")
    CustomerPhone.objects.all().delete()
    ApiKey.objects.all().delete()
    storages["default"].delete("imports/2026/11/feed.csv")
    storages["default"].save("imports/later.csv", ContentFile(b"later"))
    assert snapshot() != before

    out = io.StringIO()
    call_command("restore", str(path), "--yes", stdout=out)
    assert "replacing 1 user, 2 stores, 1 customer, 1 product, 1 order" in out.getvalue()

    assert snapshot() == before
    assert media_files(box / "media") == files_before
    assert Store.objects.get().name == "Main store"
    order = Order.objects.get()
    assert (order.number, order.total) == (data["order"].number, data["order"].total)
    assert User.objects.get(username="boss").check_password(PASSWORD)
    # Counters came back too: new rows get new ids.
    third = store_create(code="third", name="Third", currency="USD", timezone="UTC", actor=SYSTEM)
    assert third.pk > data["store"].pk


def test_backup_writes_a_private_file_with_a_manifest_under_var(file_database, box):
    store_create(code="main", name="Main store", currency="USD", timezone="UTC", actor=SYSTEM)
    storages["default"].save("imports/a.csv", ContentFile(b"a"))
    out = io.StringIO()
    call_command("backup", stdout=out)

    (path,) = (box / "backups").glob("shopkeeper-*Z.tar.gz")
    assert f"backup written: {path} (" in out.getvalue()
    assert path.stat().st_mode & 0o777 == 0o600
    members = archive_members(path)
    manifest = json.loads(members["manifest.json"])
    assert manifest["format"] == "shopkeeper-backup"
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["file"] in members
    assert manifest["media"] == {"included": True, "files": 1, "size": 1}
    assert members["media/imports/a.csv"] == b"a"
    assert manifest["created_at"].endswith("+00:00")
    executor = MigrationExecutor(connection)
    assert manifest["migrations"]["orders"] == max(
        name for app, name in executor.loader.applied_migrations if app == "orders"
    )
    # A second backup in the same second gets its own name.
    call_command("backup", stdout=io.StringIO())
    assert len(list((box / "backups").glob("shopkeeper-*.tar.gz"))) == 2


def test_backup_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "old.tar.gz"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="already exists"):
        backup(existing)
    assert existing.read_bytes() == b"keep me"


def test_restore_without_yes_refuses_to_overwrite_data(tmp_path):
    store_create(code="main", name="Main store", currency="USD", timezone="UTC", actor=SYSTEM)
    path = tmp_path / "box.tar.gz"
    backup(path)
    store_create(code="second", name="Second", currency="USD", timezone="UTC", actor=SYSTEM)

    with pytest.raises(CommandError, match=r"already holds data \(2 stores, 2 change-log entries\).*--yes"):
        call_command("restore", str(path))
    assert Store.objects.count() == 2


def test_restore_into_an_empty_database_needs_no_yes(tmp_path):
    store_create(code="main", name="Main store", currency="USD", timezone="UTC", actor=SYSTEM)
    path = tmp_path / "box.tar.gz"
    backup(path)
    call_command("flush", interactive=False, verbosity=0)

    call_command("restore", str(path), stdout=io.StringIO())
    assert Store.objects.get().code == "main"


def test_an_older_backup_is_migrated_forward(file_database, tmp_path):
    store = store_create(code="main", name="Main store", currency="USD", timezone="UTC", actor=SYSTEM)
    orders.order_create(
        data=orders.OrderInput(store=store, customer=CustomerInput(first_name="Anna"), lines=[]), actor=SYSTEM
    )
    path = tmp_path / "old.tar.gz"
    try:
        call_command("migrate", *BEFORE_STATUS_COUNTS, verbosity=0)
        backup(path)
        call_command("migrate", verbosity=0)
        manifest = json.loads(archive_members(path)["manifest.json"])
        assert manifest["migrations"]["orders"] == BEFORE_STATUS_COUNTS[1]

        out = io.StringIO()
        call_command("restore", str(path), "--yes", stdout=out)
        assert "the backup is older than this version: applying" in out.getvalue()
        executor = MigrationExecutor(connection)
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
        # The counters' table is back and was filled from the restored orders.
        assert sum(StatusCount.objects.values_list("count", flat=True)) == 1
    finally:
        call_command("migrate", verbosity=0)


def test_restore_refuses_a_backup_of_the_other_kind_of_database(tmp_path):
    real = tmp_path / "box.tar.gz"
    backup(real)
    manifest = json.loads(archive_members(real)["manifest.json"])
    other = OTHER_VENDOR[connection.vendor]
    foreign = altered(real, tmp_path / "foreign.tar.gz", database={**manifest["database"], "vendor": other})
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    with pytest.raises(
        CommandError,
        match=f"is a {names[other]} backup and the configured database is {names[connection.vendor]}: "
        r"a backup restores only into a database of the same kind \(SQLite into SQLite",
    ):
        call_command("restore", str(foreign), "--yes")


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))

    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(os.urandom(2048))
    with pytest.raises(CommandError, match="is not a Shopkeeper backup"):
        call_command("restore", str(garbage), "--yes")

    no_manifest = write_archive(tmp_path / "other.tar.gz", {"notes.txt": b"hello"})
    with pytest.raises(CommandError, match="is not a Shopkeeper backup"):
        call_command("restore", str(no_manifest), "--yes")

    not_json = write_archive(tmp_path / "bad.tar.gz", {"manifest.json": b"\x00{"})
    with pytest.raises(CommandError, match="is not a Shopkeeper backup"):
        call_command("restore", str(not_json), "--yes")

    other_format = write_archive(tmp_path / "fmt.tar.gz", {"manifest.json": b'{"format": "other"}'})
    with pytest.raises(CommandError, match="is not a Shopkeeper backup"):
        call_command("restore", str(other_format), "--yes")


def test_restore_refuses_a_backup_from_a_newer_version(tmp_path):
    real = tmp_path / "box.tar.gz"
    backup(real)
    migrations = json.loads(archive_members(real)["manifest.json"])["migrations"]
    newer = altered(real, tmp_path / "newer.tar.gz", migrations={**migrations, "orders": "9999_future"})
    with pytest.raises(
        CommandError, match=r"newer Shopkeeper .*orders\.9999_future.*upgrade Shopkeeper first"
    ):
        call_command("restore", str(newer), "--yes")

    future_format = altered(real, tmp_path / "format.tar.gz", format_version=99)
    with pytest.raises(CommandError, match="backup format 99"):
        call_command("restore", str(future_format), "--yes")


def test_restore_refuses_a_damaged_dump_and_leaves_the_database(tmp_path):
    store_create(code="main", name="Main store", currency="USD", timezone="UTC", actor=SYSTEM)
    real = tmp_path / "box.tar.gz"
    backup(real)
    members = archive_members(real)
    name = json.loads(members["manifest.json"])["database"]["file"]
    members[name] = members[name][:-100] + b"x" * 100
    damaged = write_archive(tmp_path / "damaged.tar.gz", members)

    with pytest.raises(CommandError, match="is damaged"):
        call_command("restore", str(damaged), "--yes")
    assert Store.objects.get().code == "main"


def test_restore_refuses_paths_leaving_the_media_folder(tmp_path, box):
    real = tmp_path / "box.tar.gz"
    backup(real)
    members = archive_members(real)
    members["media/../../escaped.txt"] = b"evil"
    hostile = write_archive(tmp_path / "hostile.tar.gz", members)

    with pytest.raises(CommandError, match="cannot unpack"):
        call_command("restore", str(hostile), "--yes")
    assert not list(tmp_path.rglob("escaped.txt"))


def _with_dump(tmp_path: Path, body: bytes) -> Path:
    """A backup whose manifest vouches for `body` as its database dump."""
    real = tmp_path / "box.tar.gz"
    backup(real)
    members = archive_members(real)
    manifest = json.loads(members.pop("manifest.json"))
    members[manifest["database"]["file"]] = body
    manifest["database"].update(size=len(body), sha256=hashlib.sha256(body).hexdigest())
    return write_archive(tmp_path / "odd.tar.gz", {"manifest.json": json.dumps(manifest).encode(), **members})


@only_sqlite
def test_sqlite_restore_of_a_file_that_is_no_database_fails_cleanly(tmp_path):
    path = _with_dump(tmp_path, b"not a database" * 500)
    with pytest.raises(CommandError, match="restoring the SQLite database failed: file is not a database"):
        call_command("restore", str(path), "--yes")


@only_postgresql
def test_pg_restore_failure_shows_its_message(tmp_path):
    path = _with_dump(tmp_path, b"not a dump" * 500)
    with pytest.raises(
        CommandError, match=r"pg_restore failed \(exit code 1\): pg_restore: error: .*archive"
    ):
        call_command("restore", str(path), "--yes")


@only_postgresql
def test_missing_pg_tools_are_named(tmp_path, monkeypatch):
    real = tmp_path / "box.tar.gz"
    backup(real)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        backup(tmp_path / "second.tar.gz")
    with pytest.raises(CommandError, match="pg_restore is not installed"):
        call_command("restore", str(real), "--yes")


@only_postgresql
def test_pg_dump_failure_shows_its_message(tmp_path, monkeypatch):
    connection.ensure_connection()  # this process stays connected; only pg_dump gets the wrong name
    monkeypatch.setitem(connection.settings_dict, "NAME", "no_such_database_for_backup")
    with pytest.raises(CommandError, match=r"pg_dump failed \(exit code 1\): .*no_such_database_for_backup"):
        backup(tmp_path / "box.tar.gz")


def test_the_command_line_answers_in_one_line_without_a_traceback(tmp_path):
    env = {**os.environ, "SHOPKEEPER_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-m", "shopkeeper.cli", "restore", str(tmp_path / "missing.tar.gz")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1] == f"CommandError: no such file: {tmp_path / 'missing.tar.gz'}"
    )
