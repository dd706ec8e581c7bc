from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeState(models.TextChoices):
    """Derived from ``publish_at`` and ``expires_at``, never stored."""

    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    PUBLISHED = "published", _("published")
    EXPIRED = "expired", _("expired")


class ReportKind(models.TextChoices):
    HAZARD = "hazard", _("hazard")
    BROKEN_FACILITY = "broken_facility", _("broken facility")
    NEED = "need", _("need")


class ReportStatus(models.TextChoices):
    NEW = "new", _("new")
    TRIAGED = "triaged", _("triaged")
    DISMISSED = "dismissed", _("dismissed")


class ReportOutcome(models.TextChoices):
    HAZARD = "hazard", _("made a hazard")
    INCIDENT = "incident", _("made an incident")
    NOTED = "noted", _("need noted")
    DISMISSED = "dismissed", _("dismissed")
