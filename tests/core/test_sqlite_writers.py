"""SQLite writers queue on a lock file (core/sqlite/base.py) instead of sleeping in SQLite's busy handler."""

import copy
import fcntl
import os
import threading
import time

import pytest
from django.db import connections

from shopkeeper.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    connections["default"].vendor != "sqlite", reason="SQLite's write lock (PostgreSQL locks rows)"
)


@pytest.fixture
def pair(tmp_path, django_db_blocker):
    """Two connections to a file database of their own (not the test database)."""
    settings = copy.deepcopy(connections["default"].settings_dict)
    settings["NAME"] = str(tmp_path / "queue.sqlite3")
    first, second = DatabaseWrapper(settings, alias="first"), DatabaseWrapper(settings, alias="second")
    with django_db_blocker.unblock():
        with first.cursor() as cursor:
            cursor.execute("CREATE TABLE t (v integer)")
        second.ensure_connection()
        second.inc_thread_sharing()  # used from a thread of the test
        yield first, second
        second.dec_thread_sharing()
        first.close()
        second.close()


def _lock_is_free(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_second_writer_starts_as_soon_as_the_first_commits(pair):
    first, second = pair
    first._start_transaction_under_autocommit()
    first.cursor().execute("INSERT INTO t VALUES (1)")
    began = []

    def write():
        second._start_transaction_under_autocommit()
        began.append(time.monotonic())
        second.cursor().execute("INSERT INTO t VALUES (2)")
        second.commit()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.15)
    assert not began  # queued behind the first writer
    committed = time.monotonic()
    first.commit()
    thread.join(5)
    assert began and began[0] - committed < 0.05  # SQLite's busy handler would sleep up to 100 ms
    assert _lock_is_free(f"{first.settings_dict['NAME']}-writer")
    assert first.cursor().execute("SELECT count(*) FROM t").fetchone()[0] == 2


def test_a_rollback_or_a_failed_begin_lets_the_next_writer_in(pair):
    first, second = pair
    first._start_transaction_under_autocommit()
    first.rollback()
    second._start_transaction_under_autocommit()  # does not wait for the lock timeout
    second.commit()
    first.transaction_mode = "BOGUS"  # BEGIN BOGUS fails after the lock was taken
    with pytest.raises(Exception, match="syntax error"):
        first._start_transaction_under_autocommit()
    first.transaction_mode = "IMMEDIATE"
    assert _lock_is_free(f"{first.settings_dict['NAME']}-writer")
