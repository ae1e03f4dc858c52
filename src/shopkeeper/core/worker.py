"""The background worker: drains the event outbox and runs queued tasks (Django Tasks API)."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

from .events import dispatch_pending

log = logging.getLogger("shopkeeper.worker")


def run_outbox(stop: threading.Event, idle_sleep: float = 0.25) -> None:
    from shopkeeper.catalog.tasks import enqueue_feeds_if_due
    from shopkeeper.customers.tasks import enqueue_refresh_if_due

    from .maintenance import analyze_if_due

    log.info("outbox dispatcher started")
    while not stop.is_set():
        close_old_connections()
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


def run_tasks(stop: threading.Event, idle_sleep: float = 1.0) -> None:
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
    worker.running = False


def start_in_background() -> threading.Event:
    """Start the worker loops as daemon threads (used by `shopkeeper demo`); set the event to stop."""
    from shopkeeper.integrations.worker import run_integrations

    stop = threading.Event()
    for target in (run_outbox, run_tasks, run_integrations):
        threading.Thread(target=target, args=(stop,), name=target.__name__, daemon=True).start()
    return stop


def run_forever() -> None:
    stop = start_in_background()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stop.set()
