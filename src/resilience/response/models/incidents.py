"""Incidents: an emergency being handled, its timeline and its situation reports."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.models import ScopedModel
from resilience.core.roles import SCOPE, Role, grant
from resilience.response.models.plans import PLAN_ACCESS
from resilience.response.vocab import IncidentStatus, ResponseLevel, Scenario


class Incident(ScopedModel):
    """An emergency in one community, opened by staff (from an alert or by hand).

    Activating a plan at a level creates the plan's tasks for that level and starts their clocks.
    The area has the same shape as an alert's (whole community, grids, buildings, a drawn
    polygon, a circle), so ``alerts.targeting.buildings_in_area`` resolves it. Closing it needs
    a review (``lessons``).
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(_("title"), max_length=200)
    scenario = models.CharField(_("scenario"), max_length=20, choices=Scenario.choices)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=IncidentStatus.choices,
                              default=IncidentStatus.OPEN, db_index=True)
    alert = models.ForeignKey("alerts.Alert", verbose_name=_("alert"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="incidents")
    plan = models.ForeignKey("response.Plan", verbose_name=_("plan"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="incidents")
    level = models.PositiveSmallIntegerField(_("response level"), choices=ResponseLevel.choices,
                                             null=True, blank=True)
    whole_community = models.BooleanField(_("whole community"), default=True)
    area_grids = models.ManyToManyField("places.Grid", verbose_name=_("grids"), blank=True,
                                        related_name="incidents")
    area_buildings = models.ManyToManyField("places.Building", verbose_name=_("buildings"),
                                            blank=True, related_name="incidents")
    area_geometry = models.JSONField(_("drawn area"), null=True, blank=True)
    area_circle = models.CharField(_("circle"), max_length=60, blank=True)
    injured = models.PositiveIntegerField(_("injured"), default=0)
    needs = models.TextField(_("needs"), blank=True)
    lessons = models.TextField(_("review and lessons"), blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("opened by"),
                                  null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activated_at = models.DateTimeField(pgettext_lazy("time", "activated"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("time", "closed"), null=True, blank=True)

    scope_paths = {"community": "community"}
    # An incident is the record of an emergency: staff open, run and close it but never delete
    # it, so its timeline, reports and review stay (only an admin can remove a mistaken one).
    access = {**PLAN_ACCESS, Role.STAFF: grant(SCOPE, "view", "add", "change")}

    class Meta:
        ordering = ["-created"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("response:incident_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = self.foreign_community_errors("alert", "plan")
        if errors:
            raise ValidationError(errors)


class IncidentEvent(models.Model):
    """One line of an incident's timeline: what happened, who did it."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="events")
    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=30)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["time", "id"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")

    def __str__(self) -> str:
        return f"{self.incident} · {self.action}"


class SituationReport(models.Model):
    """A snapshot of the numbers (情况报告): counted from live data, plus what staff filled in."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="reports")
    time = models.DateTimeField(_("time"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    affected = models.PositiveIntegerField(_("residents affected"), default=0)
    vulnerable = models.PositiveIntegerField(_("vulnerable residents"), default=0)
    injured = models.PositiveIntegerField(_("injured"), default=0)
    evacuated = models.PositiveIntegerField(_("evacuated"), default=0)
    sheltered = models.PositiveIntegerField(_("sheltered"), null=True, blank=True)
    safe = models.PositiveIntegerField(_("checked safe"), default=0)
    needs_help = models.PositiveIntegerField(_("need help"), default=0)
    unreachable = models.PositiveIntegerField(_("unreachable"), default=0)
    open_tasks = models.PositiveIntegerField(_("open tasks"), default=0)
    overdue_tasks = models.PositiveIntegerField(_("overdue tasks"), default=0)
    needs = models.TextField(_("needs"), blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("situation report")
        verbose_name_plural = _("situation reports")

    def __str__(self) -> str:
        from django.utils import timezone

        return f"{self.incident} · {timezone.localtime(self.time):%Y-%m-%d %H:%M}"
