"""The worker's supervisor: one OS process per loop, a process that dies is restarted, a stop (or
SIGTERM to the supervising process) ends them all. The loops here only sleep: the real ones are
exercised in-process by the outbox and webhook tests and end to end by the bench (W9)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shopkeeper.core.worker import Loop, Supervisor, plan

SLEEPER = "tests.core.test_worker:sleeper"
ROOT = Path(__file__).resolve().parents[2]


def sleeper(stop: threading.Event, marker: str = "") -> None:
    """A worker loop that does nothing until asked to stop (imported by the spawned processes)."""
    if marker:
        Path(marker).write_text(str(os.getpid()))
    stop.wait()


def _wait(condition, timeout: float = 90.0) -> None:
    # Generous: a spawned process imports Django before its loop starts (slow on a busy machine).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def test_plan_one_outbox_on_sqlite_more_on_postgresql():
    names = [loop.name for loop in plan(1, vendor="sqlite")]
    assert names == ["outbox", "tasks", "integrations"]
    sqlite = [loop.name for loop in plan(3, vendor="sqlite")]
    assert sqlite == ["outbox", "tasks", "integrations", "webhooks-2", "webhooks-3"]
    pg = plan(2, vendor="postgresql")
    assert [loop.name for loop in pg] == ["outbox", "tasks", "integrations", "outbox-2", "webhooks-2"]
    extra = {loop.name: loop.kwargs for loop in pg}
    assert extra["outbox-2"] == {"periodic": False}  # the timed jobs run in one process only
    assert extra["webhooks-2"] == {"recover": False}  # so does intake recovery
    assert all(callable(loop.function()) for loop in pg)


def test_a_killed_process_is_restarted_and_stop_ends_all(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="shopkeeper.worker")
    marker = tmp_path / "a.pid"
    supervisor = Supervisor([Loop("a", SLEEPER, {"marker": str(marker)}), Loop("b", SLEEPER)]).start()
    runner = threading.Thread(target=supervisor.run, kwargs={"interval": 0.05}, daemon=True)
    runner.start()
    try:
        _wait(marker.exists)  # the loop runs (Django was set up in the child)
        first = supervisor.procs["a"].pid
        other = supervisor.procs["b"].pid
        assert int(marker.read_text()) == first != os.getpid()
        marker.unlink()
        os.kill(first, signal.SIGKILL)
        _wait(lambda: marker.exists() and marker.read_text().strip() not in ("", str(first)))
        second = supervisor.procs["a"].pid
        assert second != first and _alive(second)
        assert supervisor.procs["b"].pid == other and _alive(other)  # the others go on
        assert supervisor.restarts == 1
        assert any(
            "worker process a" in r.message and "exited with code -9; restarting" in r.message
            for r in caplog.records
        )
    finally:
        supervisor.stop(timeout=20)
        runner.join(5)
    assert not runner.is_alive()
    assert [p.exitcode for p in supervisor.procs.values()] == [0, 0]  # they stopped when asked
    assert not _alive(second) and not _alive(other)


SCRIPT = """
import logging, sys
sys.path[:0] = {paths!r}
import django
django.setup()
logging.getLogger("shopkeeper").setLevel(logging.INFO)
from shopkeeper.core.worker import Loop, run_supervised
run_supervised([Loop("a", {sleeper!r}, {{"marker": {a!r}}}), Loop("b", {sleeper!r}, {{"marker": {b!r}}})])
print("stopped", flush=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_stops_the_worker_and_its_processes(tmp_path, sig):
    a, b = tmp_path / "a.pid", tmp_path / "b.pid"
    script = SCRIPT.format(paths=[str(ROOT), str(ROOT / "src")], sleeper=SLEEPER, a=str(a), b=str(b))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shopkeeper.settings"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait(lambda: a.exists() and b.exists() and a.read_text() and b.read_text())
        pids = [int(a.read_text()), int(b.read_text())]
        assert all(_alive(p) for p in pids)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "stopped" in out and "worker stopped" in out
    assert "restarting" not in out  # stopping processes are not restarted
    _wait(lambda: not any(_alive(p) for p in pids), timeout=10)
