"""Emergency plans (应急预案): a community's structured answer to one scenario."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ChangeLoggedModel, ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant
from resilience.response.vocab import (
    CommandRole, Phase, PlanStatus, ResourceKind, ResponseLevel, Scenario,
)

REVIEW_INTERVAL = dt.timedelta(days=365)  # plans are reviewed yearly

# Everyone with a part in the response reads the plan; staff write it.
PLAN_ACCESS = {
    Role.OFFICE: grant(SCOPE, "view"),
    Role.STAFF: grant(SCOPE, *EDIT),
    Role.GRID_WORKER: grant(COMMUNITY, "view"),
    Role.PROPERTY: grant(COMMUNITY, "view"),
    Role.VOLUNTEER: grant(COMMUNITY, "view"),
    Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
}


class Plan(ScopedModel):
    """One version of a community's emergency plan for a scenario.

    Levels (``PlanLevel``) say when the plan is activated at I–IV; tasks (``PlanTask``) say who
    does what in each phase and by when; ``PlanRole`` names who holds each command role.
    ``resources`` and ``contacts`` are short structured lists. A new version copies the plan and
    points back to it with ``previous``; ``reviewed_on`` + one year is when the next review is due.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="plans")
    scenario = models.CharField(_("scenario"), max_length=20, choices=Scenario.choices)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.ForeignKey("self", verbose_name=_("previous version"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices,
                              default=PlanStatus.DRAFT, db_index=True)
    summary = models.TextField(_("summary"), blank=True)
    resources = models.JSONField(
        _("resources"), default=list, blank=True,
        help_text=_('A list of {"kind": "supply|equipment|shelter", "name": …, "quantity": …}.'))
    contacts = models.JSONField(
        _("contacts"), default=list, blank=True,
        help_text=_('A list of {"name": …, "role": …, "phone": …}.'))
    reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    scope_paths = {"community": "community"}
    access = PLAN_ACCESS

    class Meta:
        ordering = ["community", "scenario", "-version"]
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        constraints = [models.UniqueConstraint(fields=["community", "scenario", "version"],
                                               name="response_plan_version_once")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("response:plan_detail", args=[self.pk])

    @property
    def review_due(self) -> dt.date | None:
        return self.reviewed_on + REVIEW_INTERVAL if self.reviewed_on else None

    @property
    def review_overdue(self) -> bool:
        due = self.review_due
        return due is None or due < timezone.localdate()

    def clean(self):
        errors = {}
        resource_kinds = set(ResourceKind.values)
        if not isinstance(self.resources, list) or any(
                not isinstance(r, dict) or r.get("kind") not in resource_kinds or not r.get("name")
                for r in self.resources):
            errors["resources"] = _("Each resource needs a kind (supply, equipment or shelter) "
                                    "and a name.")
        if not isinstance(self.contacts, list) or any(
                not isinstance(c, dict) or not c.get("name") for c in self.contacts):
            errors["contacts"] = _("Each contact needs a name.")
        if self.previous_id and self.community_id and self.previous.community_id != self.community_id:
            errors["previous"] = _("It belongs to another community.")
        if errors:
            raise ValidationError(errors)


class PlanLevel(ChangeLoggedModel):
    """When the plan is activated at one response level (the activation criteria)."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE,
                             related_name="levels")
    level = models.PositiveSmallIntegerField(_("level"), choices=ResponseLevel.choices)
    criteria = models.TextField(_("activation criteria"))
    criteria_en = models.TextField(_("activation criteria (English)"), blank=True)

    class Meta:
        ordering = ["plan", "-level"]
        verbose_name = _("plan level")
        verbose_name_plural = _("plan levels")
        constraints = [models.UniqueConstraint(fields=["plan", "level"],
                                               name="response_planlevel_once")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_level_display()}"


class PlanTask(ChangeLoggedModel):
    """One task the plan prescribes: in which phase, for which role, within how many minutes.

    ``level`` is the least severe level at which the task applies: a level IV task is done at
    every level, a level I task only when the plan is activated at level I.
    """

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE,
                             related_name="tasks")
    level = models.PositiveSmallIntegerField(_("from level"), choices=ResponseLevel.choices,
                                             default=ResponseLevel.IV)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    role = models.CharField(_("role"), max_length=20, choices=CommandRole.choices)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    time_limit = models.PositiveIntegerField(_("time limit (minutes)"), default=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["plan", "order", "id"]
        verbose_name = _("plan task")
        verbose_name_plural = _("plan tasks")

    def __str__(self) -> str:
        return self.title


class PlanRole(ChangeLoggedModel):
    """Who holds a command role under the plan; a grid lead also names their grid."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE,
                             related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=CommandRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="plan_roles")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["plan", "role", "id"]
        verbose_name = _("plan role")
        verbose_name_plural = _("plan roles")
        constraints = [models.UniqueConstraint(fields=["plan", "role", "user"],
                                               name="response_planrole_once")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"
