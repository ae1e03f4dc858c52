from __future__ import annotations

from django.tasks import task


@task
def run_import(job_id: int) -> None:
    """Run a queued catalog import (see catalog.importing)."""
    from .importing import run_job
    from .models import ImportJob, ImportStatus

    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).first()
    if job is not None:  # a job already run (delivered twice) is left alone
        run_job(job)
