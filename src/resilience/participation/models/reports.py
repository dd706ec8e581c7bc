from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.models import ScopedModel
from resilience.core.roles import SCOPE, SELF, Role, grant
from resilience.participation.vocab import ReportKind, ReportOutcome, ReportStatus


class Report(ScopedModel):
    """A resident's report (随手拍): a hazard, a broken facility or a need, with a photo and where.

    Staff triage it once: into a hazard, an incident, a noted need, or dismiss it with a reason.
    Statuses new → triaged / dismissed; ``outcome`` says which, ``hazard``/``incident`` link to
    what it became.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"),
                                 null=True, on_delete=models.SET_NULL, related_name="reports")
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    description = models.TextField(_("description"))
    photo = models.FileField(_("photo"), upload_to="reports/%Y/%m/", blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="reports")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="reports", editable=False)
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices,
                              default=ReportStatus.NEW, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ReportOutcome.choices,
                               blank=True)
    triage_note = models.TextField(_("triage note"), blank=True)
    hazard = models.ForeignKey("risks.Hazard", verbose_name=_("hazard"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    incident = models.ForeignKey("response.Incident", verbose_name=_("incident"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("triaged by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    triaged_at = models.DateTimeField(pgettext_lazy("time", "triaged"), null=True, blank=True)

    scope_paths = {"community": "community", "grid": "grid", "user": "reporter"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, "view", "add", "change", "delete"),
        Role.GRID_WORKER: grant(SCOPE, "view", "add"),
        Role.PROPERTY: grant(SELF, "view", "add"),
        Role.VOLUNTEER: grant(SELF, "view", "add"),
        Role.HEALTH_WORKER: grant(SELF, "view", "add"),
        Role.RESIDENT: grant(SELF, "view", "add"),
    }

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("resident report")
        verbose_name_plural = _("resident reports")

    def __str__(self) -> str:
        text = self.description.strip().splitlines()[0] if self.description.strip() else ""
        return f"{self.get_kind_display()}: {text[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("participation:report_detail", args=[self.pk])

    def clean(self):
        errors = self.foreign_community_errors("building")
        if self.building_id and "building" not in errors:
            self.grid_id = self.building.grid_id
        for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                errors[name] = _("Out of range.")
        if errors:
            raise ValidationError(errors)
