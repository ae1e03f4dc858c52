"""The integrations loop of the worker (a process of its own next to the outbox and the task runner):
sends due webhook deliveries, and every few seconds recovers intake entries left unprocessed. Extra
sender processes (`shopkeeper worker --processes N`) run it with `recover=False`.

Intake recovery lives here, as a periodic job of a worker loop, rather than as an outbox consumer: a
crash between journaling and processing leaves no event behind to consume, only a `received` row."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

log = logging.getLogger("shopkeeper.worker")


def run_integrations(
    stop: threading.Event, idle_sleep: float = 0.5, recover_every: float = 10.0, recover: bool = True
) -> None:
    from shopkeeper.intake.services import inbound_recover

    from . import dispatcher

    log.info("integrations loop started")
    last_recover = 0.0
    while not stop.is_set():
        close_old_connections()
        done = 0
        try:
            done = dispatcher.dispatch_due()
        except Exception:
            log.exception("webhook dispatch failed; retrying")
        if recover and time.monotonic() - last_recover >= recover_every:
            last_recover = time.monotonic()
            try:
                recovered = inbound_recover()
                if recovered:
                    log.info("recovered %s journaled intake requests", recovered)
            except Exception:
                log.exception("intake recovery failed; retrying")
        if not done:
            dispatcher.wake.wait(idle_sleep)  # new deliveries from the fan-out end the wait early
            dispatcher.wake.clear()
    close_old_connections()
