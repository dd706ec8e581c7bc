"""Running an import in the background and recording its progress in an ``ImportJob`` row.

There is no task worker for imports yet: a web upload runs in a thread of the web process. If the
process stops mid-way the transaction is rolled back, so nothing is half-written; the job page
then says the import was interrupted.
"""
from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from resilience.people.models import ImportJob
from resilience.people.transfer.importing import import_file
from resilience.people.transfer.report import Report

log = logging.getLogger(__name__)
PROGRESS_EVERY = 0.5  # seconds between progress writes


def run_job(job_id: int, data: bytes, language: str | None = None) -> ImportJob:
    """Import the uploaded ``data`` for job ``job_id``, updating its progress; returns the job."""
    job = ImportJob.objects.select_related("community", "user").get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, updated=timezone.now())
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY or done >= total or stage != ImportJob.Stage.CHECKING:
            last[0] = now
            ImportJob.objects.filter(pk=job.pk).update(stage=stage, done=done, total=total,
                                                       updated=timezone.now())

    try:
        with translation.override(language or settings.LANGUAGE_CODE):
            report = import_file(job.kind, data, job.community, user=job.user, crs=job.crs,
                                 dry_run=job.dry_run, file_name=job.file_name, progress=progress)
    except Exception:  # a bug must not leave the job "running" for ever
        log.exception("import job %s failed", job.pk)
        report = Report(kind=job.kind, file_name=job.file_name, dry_run=job.dry_run)
        with translation.override(language or settings.LANGUAGE_CODE):
            report.add(None, "", "", _("The import failed because of an error in the platform; "
                                       "nothing was written. Please tell the administrator."))
    job.refresh_from_db(fields=["total", "done", "stage"])
    job.finish(ImportJob.Status.SUCCEEDED if report.ok else ImportJob.Status.FAILED, report.as_dict())
    return job


def _thread_main(job_id: int, data: bytes, language: str | None) -> None:
    close_old_connections()
    try:
        run_job(job_id, data, language)
    finally:
        connection.close()


def start_job(job: ImportJob, data: bytes, language: str | None = None,
              background: bool | None = None) -> None:
    """Run the job in a thread once the job row is committed (or right now if not ``background``;
    the default comes from ``RESILIENCE_IMPORT_IN_BACKGROUND``, True)."""
    if background is None:
        background = getattr(settings, "RESILIENCE_IMPORT_IN_BACKGROUND", True)
    if not background:
        run_job(job.pk, data, language)
        return
    thread = threading.Thread(target=_thread_main, args=(job.pk, data, language),
                              name=f"import-job-{job.pk}", daemon=True)
    transaction.on_commit(thread.start)
