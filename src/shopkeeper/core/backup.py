"""Backups of a box: the database and the uploaded media in one `.tar.gz`, and restoring one.

The archive holds `manifest.json` (first, so it is read without unpacking the rest), the database dump
(`database.sqlite3`, a copy made with SQLite's online backup API, or `database.pgdump`, made by
`pg_dump --format=custom`) and `media/`, the files of the default storage when it is on the file system.

Restoring goes into a database of the same kind only: a SQLite copy and a PostgreSQL dump are not
interchangeable.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

import shopkeeper

FORMAT = "shopkeeper-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# What makes a database "hold data" (a freshly migrated one has none of these): each write through a
# service also writes the change log, so it catches what the others do not name.
CONTENT = [
    ("accounts.User", "user", "users"),
    ("stores.Store", "store", "stores"),
    ("customers.Customer", "customer", "customers"),
    ("customers.Company", "company", "companies"),
    ("catalog.Product", "product", "products"),
    ("orders.Order", "order", "orders"),
    ("core.Change", "change-log entry", "change-log entries"),
]

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line for the operator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    manifest: dict[str, Any]


def counted(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def human_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


# --- Backup --------------------------------------------------------------------------------------


def backup_create(*, path: Path | None = None, using: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write a backup of the database `using` and the media files to `path` (a file, or a folder for
    the default name; default var/backups/shopkeeper-<UTC time>.tar.gz)."""
    connection = connections[using]
    vendor = _supported_vendor(connection)
    now = datetime.now(UTC)
    if path is None:
        path = _unused_name(Path(settings.VAR_DIR) / "backups", now)
    elif path.is_dir():
        path = _unused_name(path, now)
    elif path.exists():
        raise BackupError(f"{path} already exists; give another path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Work next to the target: the finished archive is renamed into place, so a failed or
        # interrupted backup never leaves a partial file under the final name.
        with tempfile.TemporaryDirectory(prefix=".shopkeeper-backup-", dir=path.parent) as work:
            dump = Path(work) / DUMP_FILES[vendor]
            if vendor == "sqlite":
                migrations = _sqlite_dump(connection, dump)
            else:
                migrations = _postgresql_dump(connection, dump)
            media_root = media_location()
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": now.isoformat(timespec="seconds"),
                "app_version": shopkeeper.__version__,
                "database": {
                    "vendor": vendor,
                    "file": dump.name,
                    "size": dump.stat().st_size,
                    "sha256": _sha256(dump),
                },
                "migrations": migrations,
                "media": _media_summary(media_root),
            }
            archive = Path(work) / "backup.tar.gz"
            # The backup holds password hashes and API key hashes: readable by its owner only.
            with (
                os.fdopen(os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw,
                tarfile.open(fileobj=raw, mode="w:gz") as tar,
            ):
                body = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(body))
                tar.add(dump, arcname=dump.name)
                if media_root is not None and media_root.is_dir():
                    tar.add(media_root, arcname=MEDIA)
            os.replace(archive, path)
    except OSError as exc:
        raise BackupError(f"cannot write the backup {path}: {exc}") from exc
    return BackupResult(path=path, size=path.stat().st_size, manifest=manifest)


def _unused_name(folder: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    path, n = folder / f"shopkeeper-{stamp}.tar.gz", 2
    while path.exists():
        path, n = folder / f"shopkeeper-{stamp}-{n}.tar.gz", n + 1
    return path


def _supported_vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in DUMP_FILES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {connection.display_name}")
    return connection.vendor


def _sqlite_dump(connection: BaseDatabaseWrapper, target: Path) -> dict[str, str]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1) copies every page inside one read transaction of the source: a
        # consistent snapshot, and in WAL mode the app's writers carry on meanwhile.
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        _sqlite_check(copy, "the copy of the database")
        rows = []
        if copy.execute("SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'").fetchone():
            rows = copy.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
    except sqlite3.Error as exc:
        raise BackupError(f"copying the SQLite database failed: {exc}") from exc
    finally:
        copy.close()
    return _latest_per_app(rows)


def _postgresql_dump(connection: BaseDatabaseWrapper, target: Path) -> dict[str, str]:
    rows = []
    if "django_migrations" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
            rows = cursor.fetchall()
    _run_pg("pg_dump", connection, "--format=custom", f"--file={target}", database=True)
    return _latest_per_app(rows)


def _latest_per_app(rows: list[tuple[str, str]]) -> dict[str, str]:
    """The last applied migration of each app (rows in the order they were applied)."""
    return dict(rows)


def media_location() -> Path | None:
    """The folder of the default storage, or None when the files are not on this file system."""
    storage = storages["default"]
    return Path(storage.location) if isinstance(storage, FileSystemStorage) else None


def _media_summary(root: Path | None) -> dict[str, Any]:
    if root is None:
        return {"included": False, "files": 0, "size": 0}
    files = [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else []
    return {"included": True, "files": len(files), "size": sum(p.stat().st_size for p in files)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_check(db: sqlite3.Connection, what: str) -> None:
    result = db.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} is damaged: {result}")


def _pg_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq settings for the client tools. The password goes through PGPASSWORD: on the command line
    it would show in the process list."""
    params = connection.settings_dict
    _args, env = connection.client.settings_to_cmd_args_env(params, [])
    env = dict(env or {})
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if params.get(key):
            env[name] = str(params[key])
    env["PGAPPNAME"] = "shopkeeper-backup"
    return {**os.environ, **env}


def _run_pg(program: str, connection: BaseDatabaseWrapper, *args: str, database: bool) -> str:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed: install the PostgreSQL client tools "
            f"(the postgresql-client package) of the server's version or newer"
        )
    command = [executable, *args]
    if database:
        command.append(f"--dbname={connection.settings_dict['NAME']}")
    result = subprocess.run(  # noqa: S603 (fixed program, arguments from settings and our paths)
        command, env=_pg_env(connection), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = " | ".join(line.strip() for line in result.stderr.splitlines() if line.strip())
        raise BackupError(f"{program} failed (exit code {result.returncode}): {detail or 'no message'}")
    return result.stdout


# --- Restore -------------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file; BackupError when the file is missing or not a backup."""
    if not path.exists():
        raise BackupError(f"no such file: {path}")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    not_ours = f"{path} is not a Shopkeeper backup"
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST or not member.isfile():
                raise BackupError(f"{not_ours} (no {MANIFEST} at its start)")
            manifest = json.load(tar.extractfile(member))  # type: ignore[arg-type]
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise BackupError(f"{not_ours} ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{not_ours} (its {MANIFEST} is not a Shopkeeper manifest)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"{path} has backup format {version!r}; this Shopkeeper reads format {FORMAT_VERSION} "
            "and older: restore it with the version that made it"
        )
    database = manifest.get("database")
    if (
        not isinstance(database, dict)
        or database.get("vendor") not in DUMP_FILES
        or not isinstance(manifest.get("migrations"), dict)
        or not isinstance(manifest.get("media"), dict)
    ):
        raise BackupError(f"{not_ours} (its {MANIFEST} is incomplete)")
    return manifest


def database_contents(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What a restore would overwrite ("2 users", "1 order" ...); empty for a new database."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    found = []
    for label, singular, plural in CONTENT:
        model = apps.get_model(label)
        if model._meta.db_table in tables:
            count = model._default_manager.using(using).count()
            if count:
                found.append(counted(count, singular, plural))
    return found


def backup_restore(
    *, path: Path, using: str = DEFAULT_DB_ALIAS, overwrite: bool = False, log: Log = lambda _m: None
) -> dict[str, Any]:
    """Restore the backup at `path` into the database `using` and the media folder, then migrate it
    forward when it is older than the code. Refuses to overwrite data unless `overwrite`."""
    manifest = read_manifest(path)
    connection = connections[using]
    vendor = _supported_vendor(connection)
    made_by = f"{VENDOR_NAMES[manifest['database']['vendor']]} backup"
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"{path} is a {made_by} and the configured database is {VENDOR_NAMES[vendor]}: a backup "
            "restores only into a database of the same kind (SQLite into SQLite, PostgreSQL into "
            "PostgreSQL)"
        )
    _refuse_newer(manifest)
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside a database transaction")
    present = database_contents(using)
    summary = ", ".join(present)
    if present and not overwrite:
        raise BackupError(
            f"the database already holds data ({summary}) that the restore would replace with the "
            f"backup of {manifest['created_at']}; run again with --yes to replace it"
        )
    if present:
        log(f"replacing {summary}")

    media_root = media_location() if manifest["media"]["included"] else None
    work_root = media_root.parent if media_root is not None else Path(settings.VAR_DIR)
    work_root.mkdir(parents=True, exist_ok=True)
    # Unpack next to the media folder, so the new folder is renamed into place on the same disk.
    with tempfile.TemporaryDirectory(prefix=".shopkeeper-restore-", dir=work_root) as work:
        dump = _unpack(path, Path(work), manifest, with_media=media_root is not None)
        if vendor == "sqlite":
            _sqlite_restore(connection, dump)
        else:
            _postgresql_restore(connection, dump)
        log(f"database restored from the {made_by} of {manifest['created_at']}")
        if media_root is not None:
            _swap_folder(Path(work) / MEDIA, media_root, Path(work) / f"{MEDIA}-before-restore")
            files = counted(manifest["media"]["files"], "file", "files")
            log(f"media restored: {files} into {media_root}")
        elif manifest["media"]["included"]:
            log("media left as they are: the configured storage is not on the file system")
        else:
            log("media left as they are: the backup holds none")

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        log(
            f"the backup is older than this version: applying {counted(len(plan), 'migration', 'migrations')}"
        )
        try:
            call_command("migrate", database=using, interactive=False, verbosity=0)
        except Exception as exc:
            message = " ".join(str(exc).split())
            raise BackupError(
                f"the backup is restored but migrating it forward failed ({message}); "
                "fix the cause and run `shopkeeper migrate`"
            ) from exc
    try:
        # Cached sessions and lists may describe data the restored database no longer has.
        caches["default"].clear()
    except Exception as exc:  # the restore itself is done; a cache that is down only delays this
        log(f"could not clear the cache ({exc}); restart the app to drop stale entries")
    return {"manifest": manifest, "replaced": present, "migrations_applied": len(plan)}


def _refuse_newer(manifest: dict[str, Any]) -> None:
    """A backup from a newer version has migrations this code does not know; its schema would not
    match the code, and migrations never run backwards from data alone."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.replacements.values():
        known.update(migration.replaces)
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known]
    if unknown:
        raise BackupError(
            f"the backup was made by a newer Shopkeeper ({manifest.get('app_version', '?')}; "
            f"migrations unknown here: {', '.join(sorted(unknown)[:5])}): upgrade Shopkeeper first"
        )


def _unpack(path: Path, work: Path, manifest: dict[str, Any], *, with_media: bool) -> Path:
    """Extract the dump (checked against the manifest's checksum) and, if asked, the media folder."""
    name = DUMP_FILES[manifest["database"]["vendor"]]
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                wanted = member.name == name and member.isfile()
                if with_media and (member.name == MEDIA or member.name.startswith(f"{MEDIA}/")):
                    wanted = True
                if wanted:
                    # The "data" filter refuses absolute paths, "..", devices and links leaving the folder.
                    tar.extract(member, work, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"cannot unpack {path}: {exc}") from exc
    dump = work / name
    if not dump.is_file():
        raise BackupError(f"{path} holds no {name}: the backup is incomplete")
    if _sha256(dump) != manifest["database"].get("sha256"):
        raise BackupError(f"the database dump in {path} is damaged (its checksum does not match)")
    if with_media:
        (work / MEDIA).mkdir(exist_ok=True)
    return dump


def _sqlite_restore(connection: BaseDatabaseWrapper, dump: Path) -> None:
    """Copy the backup into the live database with the backup API: one write transaction, so other
    processes see the old database or the new one, never a mix, and a failure leaves the old one.
    (Replacing the file instead would leave a running process writing into the old file, and its
    -wal file could be replayed onto the new one.)"""
    connection.ensure_connection()
    target = connection.connection
    source = sqlite3.connect(dump)
    try:
        _sqlite_check(source, "the database in the backup")
        # A WAL database only accepts a copy with its own page size.
        page_size = target.execute("PRAGMA page_size").fetchone()[0]
        if source.execute("PRAGMA page_size").fetchone()[0] != page_size:
            source.execute(f"PRAGMA page_size={int(page_size)}")
            source.execute("VACUUM")
        source.backup(target)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"restoring the SQLite database failed: {exc}") from exc
    finally:
        source.close()


def _postgresql_restore(connection: BaseDatabaseWrapper, dump: Path) -> None:
    listing = _run_pg("pg_restore", connection, "--list", str(dump), database=False)
    in_dump = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, flags=re.MULTILINE))
    # Tables the dump does not know come from migrations newer than the backup. They would stop
    # `--clean` (their foreign keys point at tables it drops) and the migrations that create them
    # again, so they go first.
    extra = sorted(set(connection.introspection.table_names()) - in_dump)
    if extra:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(quote(t) for t in extra)} CASCADE")
    connection.close()
    _run_pg(
        "pg_restore",
        connection,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        str(dump),
        database=True,
    )


def _swap_folder(new: Path, target: Path, parking: Path) -> None:
    """Put `new` in place of `target`. The old folder is parked in `parking` (on the same disk; removed
    with it) and put back if the new one cannot be moved in."""
    if target.exists():
        target.rename(parking)
    try:
        shutil.move(new, target)
    except OSError:
        if parking.exists():
            parking.rename(target)
        raise
