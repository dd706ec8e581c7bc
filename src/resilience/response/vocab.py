"""Controlled vocabularies of emergency response."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)


class TaskSource(models.TextChoices):
    """What made the task: a person, or a rule of the platform."""

    STAFF = "staff", _("staff")
    ALERT_FOLLOW_UP = "alert_follow_up", _("unacknowledged warning")
