"""The outbox: background work written in the caller's transaction and run by `resilience worker`.

Machine work, not a domain record: not change-logged and not shown in the UI, so the field names
stand as their own labels (no strings to translate).
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone


class Task(models.Model):
    """One piece of background work: which handler (``kind``), with what (``payload``), when."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    # Optional de-duplication key ("alert-expire:42"): enqueueing the same key twice is one task.
    key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    run_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    locked_by = models.CharField(max_length=100, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_at", "id"]
        # What claim() asks: "queued and due" and "running with an expired lease".
        indexes = [models.Index(fields=["status", "run_at"], name="core_task_status_run_at"),
                   models.Index(fields=["status", "locked_until"], name="core_task_status_lease")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
