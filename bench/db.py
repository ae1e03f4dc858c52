"""The bench databases: a fresh SQLite file under var/bench/ or the PostgreSQL database `bench`.

Django is configured from the environment, so every entry point calls `use(db, size)` before
`django.setup()`: it sets DATABASE_URL (and the bench-only settings) for this process and its children.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_VAR moves the SQLite files, metadata and logs elsewhere (a second bench next to another one).
VAR = Path(os.environ.get("BENCH_VAR") or ROOT / "var" / "bench")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("BENCH_PG_NAME", "bench")
DATABASES = ("sqlite", "postgresql")


def sqlite_path(size: str) -> Path:
    return VAR / f"bench-{size}.sqlite3"


def url(db: str, size: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{sqlite_path(size)}"
    if db == "postgresql":
        return f"{PG_SERVER}/{PG_NAME}"
    raise ValueError(f"unknown database {db!r} (sqlite or postgresql)")


def env(db: str, size: str) -> dict[str, str]:
    """Environment for Django processes (the harness, the server) working on the bench database."""
    return {
        "DATABASE_URL": url(db, size),
        "DJANGO_SETTINGS_MODULE": "shopkeeper.settings",
        # The bench measures the server, not the per-key rate limit.
        "SHOPKEEPER_API_RATE_LIMIT": "100000000",
        "DEBUG": "false",
    }


def use(db: str, size: str) -> None:
    os.environ.update(env(db, size))


def recreate(db: str, size: str) -> None:
    """Drop and create the bench database (a fresh one per generation)."""
    if db == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        path = sqlite_path(size)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (PG_NAME,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
        conn.execute(f'CREATE DATABASE "{PG_NAME}"')
        # Trigram indexes of the customers app need pg_trgm; migrations create it when allowed.


def exists(db: str, size: str) -> bool:
    if db == "sqlite":
        return sqlite_path(size).exists()
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_NAME,)).fetchone() is not None
