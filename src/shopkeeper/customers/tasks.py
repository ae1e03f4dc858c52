"""Background work of the customers app, run by the worker's task runner."""

from __future__ import annotations

import logging
import time

from django.tasks import task

log = logging.getLogger(__name__)
REFRESH_EVERY = 24 * 3600
_last_enqueued = 0.0


@task
def refresh_time_metrics() -> int:
    """RFM classes and lifetimes as of today (see customers.metrics.refresh_time_metrics)."""
    from .metrics import refresh_time_metrics as refresh

    changed = refresh()
    log.info("RFM classes and lifetimes refreshed: %s customers changed", changed)
    return changed


def enqueue_refresh_if_due() -> None:
    """Called by the worker's outbox loop: queues the refresh when the worker starts and then daily."""
    global _last_enqueued
    if _last_enqueued and time.monotonic() - _last_enqueued < REFRESH_EVERY:
        return
    _last_enqueued = time.monotonic()
    try:
        refresh_time_metrics.enqueue()
    except Exception:
        log.exception("the daily RFM refresh could not be queued; retrying tomorrow")
