from __future__ import annotations

import logging
from datetime import datetime

from django.tasks import task

from shopkeeper.core.periodic import Every

log = logging.getLogger(__name__)
FEED_CHECKS = Every(60)


@task
def run_import(job_id: int) -> None:
    """Run a queued catalog import (see catalog.importing)."""
    from .importing import run_job
    from .models import ImportJob, ImportStatus

    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).first()
    if job is not None:  # a job already run (delivered twice) is left alone
        run_job(job)


def enqueue_due_feeds(*, now: datetime | None = None) -> list[int]:
    """Queue an import for every active feed whose time has come; returns the new job ids.

    Safe to call from several workers at once: each feed's slot is claimed by one of them (services.feed_run).
    """
    from django.utils import timezone

    from shopkeeper.core.changes import Actor

    from .models import FeedSource
    from .services import feed_run

    now = now or timezone.now()
    actor = Actor.system("feeds")
    started = []
    for feed in FeedSource.objects.filter(is_active=True, next_run_at__lte=now).order_by("next_run_at"):
        job = feed_run(feed=feed, actor=actor, now=now)
        if job is not None:
            log.info("feed %s: import job %s queued", feed.pk, job.pk)
            started.append(job.pk)
    return started


def enqueue_feeds_if_due() -> None:
    """Called by the worker's outbox loop: checks the feeds at most once a minute, never raises."""
    if not FEED_CHECKS.due():
        return
    try:
        enqueue_due_feeds()
    except Exception:
        log.exception("scheduled feeds could not be queued; retrying in a minute")
