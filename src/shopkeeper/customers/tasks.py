"""Background work of the customers app, run by the worker's task runner."""

from __future__ import annotations

import logging

from django.tasks import task

from shopkeeper.core.periodic import Every

log = logging.getLogger(__name__)
DAILY_REFRESH = Every(24 * 3600)


@task
def refresh_time_metrics() -> int:
    """RFM classes and lifetimes as of today (see customers.metrics.refresh_time_metrics)."""
    from .metrics import refresh_time_metrics as refresh

    changed = refresh()
    log.info("RFM classes and lifetimes refreshed: %s customers changed", changed)
    return changed


def enqueue_refresh_if_due() -> None:
    """Called by the worker's outbox loop: queues the refresh when the worker starts and then daily."""
    if not DAILY_REFRESH.due():
        return
    try:
        refresh_time_metrics.enqueue()
    except Exception:
        log.exception("the daily RFM refresh could not be queued; retrying tomorrow")
