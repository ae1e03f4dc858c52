"""The background worker: drains the event outbox, sends webhooks and runs queued tasks (Django Tasks API).

Each loop runs in its own OS process by default, under a small supervisor (`Supervisor`): the loops
are Python code that would otherwise share one interpreter lock, and the outbox alone can keep a core
busy. The supervisor restarts a process that dies (with a log line), stops them all on Ctrl+C / SIGTERM,
and hands them one shared event so that the outbox's webhook fan-out wakes the sender at once.

`shopkeeper worker --threads` (and `start_in_background(threads=True)`) runs the same loops as threads
of one process instead: less memory, less throughput.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection

# Importable before Django is set up (a spawned worker process unpickles its entry point from here):
# models and the apps' modules are imported inside the functions.
log = logging.getLogger("shopkeeper.worker")


def run_outbox(stop: threading.Event, idle_sleep: float = 0.25, periodic: bool = True) -> None:
    from shopkeeper.catalog.tasks import enqueue_feeds_if_due
    from shopkeeper.customers.tasks import enqueue_refresh_if_due

    from .events import dispatch_pending
    from .maintenance import analyze_if_due

    log.info("outbox dispatcher started")
    while not stop.is_set():
        close_old_connections()
        if periodic:  # one outbox process runs the timed jobs
            analyze_if_due()
            enqueue_feeds_if_due()  # scheduled catalog feeds (at most once a minute)
            enqueue_refresh_if_due()  # RFM classes and lifetimes as of today (daily)
        try:
            done = dispatch_pending(batch=200)
        except Exception:
            log.exception("outbox dispatch failed; retrying")
            done = 0
        if not done:
            stop.wait(idle_sleep)
    close_old_connections()


def run_tasks(stop: threading.Event, idle_sleep: float = 1.0, grace: float = 25.0) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=idle_sleep,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="shopkeeper",
        excluded_queue_names=[],
    )
    log.info("task worker started")
    thread = threading.Thread(target=worker.run, name="tasks", daemon=True)
    thread.start()
    stop.wait()
    worker.running = False  # it finishes the task it runs (within the grace time), then stops
    thread.join(grace)


# --- which loops, how many ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Loop:
    """One worker loop: `target(stop, **kwargs)`, given as "module:function" so a spawned process can
    import it."""

    name: str
    target: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def function(self):
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


def plan(processes: int = 1, vendor: str | None = None) -> list[Loop]:
    """The loops of one worker: the outbox dispatcher, the task runner, the integrations loop (webhook
    sender and intake recovery), and `processes - 1` more outbox dispatchers and webhook senders.

    Extra outbox dispatchers only on PostgreSQL, where each claims its chunk with `SKIP LOCKED`. On
    SQLite a chunk's transaction holds the one write lock while its consumers run, so a second
    dispatcher would only wait for the first (and make requests wait longer for the lock): one there.
    Extra senders are safe on both (a claim leases its deliveries in a short transaction)."""
    vendor = vendor or connection.vendor
    processes = max(1, processes)
    outboxes = processes if vendor == "postgresql" else 1
    loops = [
        Loop("outbox", "shopkeeper.core.worker:run_outbox"),
        Loop("tasks", "shopkeeper.core.worker:run_tasks"),
        Loop("integrations", "shopkeeper.integrations.worker:run_integrations"),
    ]
    loops += [
        Loop(f"outbox-{i}", "shopkeeper.core.worker:run_outbox", {"periodic": False})
        for i in range(2, outboxes + 1)
    ]
    loops += [
        Loop(f"webhooks-{i}", "shopkeeper.integrations.worker:run_integrations", {"recover": False})
        for i in range(2, processes + 1)
    ]
    return loops


# --- processes and their supervisor ------------------------------------------------------------------

_context = multiprocessing.get_context("spawn")  # never fork a process holding database connections


def _child(loop: Loop, wake: Any, parent: int) -> None:
    """A worker process: run one loop until SIGTERM/SIGINT or until the supervisor is gone."""
    stopping: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stopping.append(signum))
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # Ctrl+C at a terminal reaches the supervisor only: it stops the loops in order

    import django

    django.setup()
    logging.getLogger("shopkeeper").setLevel(logging.INFO)
    from shopkeeper.integrations import dispatcher

    dispatcher.use_wake(wake)
    stop = threading.Event()
    thread = threading.Thread(
        target=loop.function(), args=(stop,), kwargs=loop.kwargs, name=loop.name, daemon=True
    )
    thread.start()
    while thread.is_alive() and not stopping and os.getppid() == parent:
        time.sleep(0.2)
    asked = bool(stopping) or os.getppid() != parent
    stop.set()
    thread.join(30)
    logging.shutdown()
    os._exit(0 if asked else 1)  # a loop that ended by itself is restarted by the supervisor


class Supervisor:
    """Starts one process per loop and keeps them running: a process that exits is started again (after
    a pause that grows while it keeps dying young); `stop()` asks every process to finish and waits."""

    RESTART_DELAY = (0.5, 30.0)  # first and longest pause before a restart
    YOUNG = 10.0  # a process that dies sooner than this after its start counts as failing again

    def __init__(self, loops: list[Loop]) -> None:
        self.loops = loops
        self.wake = _context.Event()
        self.procs: dict[str, Any] = {}
        self.started: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.due: dict[str, float] = {}
        self.restarts = 0
        self.stopping = False  # a plain flag: signal handlers set it (an Event's lock could deadlock)
        self._lock = threading.Lock()  # check() in the supervising thread, stop() in another

    def _start(self, loop: Loop) -> None:
        proc = _context.Process(
            target=_child, args=(loop, self.wake, os.getpid()), name=f"shopkeeper-{loop.name}", daemon=False
        )
        proc.start()
        self.procs[loop.name] = proc
        self.started[loop.name] = time.monotonic()
        log.info("worker process %s started (pid %s)", loop.name, proc.pid)

    def start(self) -> Supervisor:
        for loop in self.loops:
            self._start(loop)
        return self

    def check(self) -> None:
        """Restart the processes that exited (once their pause is over)."""
        with self._lock:
            self._check()

    def _check(self) -> None:
        now = time.monotonic()
        for loop in self.loops:
            proc = self.procs[loop.name]
            if proc.is_alive() or self.stopping:
                continue
            if loop.name not in self.due:
                young = now - self.started[loop.name] < self.YOUNG
                self.failures[loop.name] = self.failures.get(loop.name, 0) + 1 if young else 0
                first, longest = self.RESTART_DELAY
                delay = min(first * 2 ** self.failures[loop.name], longest)
                self.due[loop.name] = now + delay
                log.error(
                    "worker process %s (pid %s) exited with code %s; restarting in %.1f s",
                    loop.name,
                    proc.pid,
                    proc.exitcode,
                    delay,
                )
            if now >= self.due[loop.name]:
                del self.due[loop.name]
                proc.close()
                self.restarts += 1
                self._start(loop)

    def run(self, interval: float = 0.25) -> None:
        """Supervise until `stopping` is set (by `stop()`, another thread or a signal handler)."""
        while not self.stopping:
            time.sleep(interval)
            self.check()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every process to finish its current step (SIGTERM), wait, then kill what is left."""
        self.stopping = True
        with self._lock:
            alive = [p for p in self.procs.values() if p.is_alive()]
        for proc in alive:
            with contextlib.suppress(OSError):
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in alive:
            proc.join(max(0.1, deadline - time.monotonic()))
        for proc in alive:
            if proc.is_alive():
                log.warning("worker process %s did not stop in %.0f s; killing it", proc.name, timeout)
                proc.kill()
                proc.join(5)
        log.info("worker stopped")

    def pids(self) -> dict[str, int | None]:
        return {name: proc.pid for name, proc in self.procs.items() if proc.is_alive()}


def run_supervised(loops: list[Loop]) -> None:
    """Run these loops as supervised processes until SIGINT/SIGTERM (`shopkeeper worker`)."""
    from django.db import connections

    connections.close_all()  # the children open their own
    supervisor = Supervisor(loops)

    def handle(signum, frame):
        supervisor.stopping = True

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        supervisor.start()
        supervisor.run()
    finally:
        supervisor.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- threads (one process) ---------------------------------------------------------------------------


def start_threads(loops: list[Loop]) -> threading.Event:
    """Start the loops as daemon threads of this process; set the returned event to stop them."""
    stop = threading.Event()
    for loop in loops:
        threading.Thread(
            target=loop.function(), args=(stop,), kwargs=loop.kwargs, name=loop.name, daemon=True
        ).start()
    return stop


def start_in_background(processes: int = 1, threads: bool = False) -> Any:
    """Start the worker next to a server (`serve --with-worker`, `demo`): supervised processes, the
    supervisor in a daemon thread of this process. Returns what `stop_background()` takes."""
    loops = plan(processes)
    if threads:
        return start_threads(loops)
    from django.db import connections

    connections.close_all()
    supervisor = Supervisor(loops).start()
    threading.Thread(target=supervisor.run, name="worker-supervisor", daemon=True).start()
    return supervisor


def stop_background(handle: Any) -> None:
    if isinstance(handle, Supervisor):
        handle.stop()
    elif handle is not None:
        handle.set()


def run_forever(processes: int = 1, threads: bool = False) -> None:
    loops = plan(processes)
    if not threads:
        run_supervised(loops)
        return
    stop = start_threads(loops)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stop.set()
