from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant
from resilience.participation.vocab_learning import DrillStatus
from resilience.response.vocab import Scenario


def action_errors(actions) -> list[str]:
    """What is wrong with a list of follow-ups: ``{"text": …, "owner": …, "due": …}``."""
    if actions in (None, ""):
        return []
    if not isinstance(actions, list):
        return [_("Follow-ups must be a list.")]
    errors = []
    for number, item in enumerate(actions, start=1):
        if not isinstance(item, dict) or not str(item.get("text") or "").strip():
            errors.append(_("Follow-up %(n)d has no text.") % {"n": number})
    return errors


class Drill(ScopedModel):
    """An emergency drill (应急演练) of a community, one grid or one building.

    Planned → done (``finish_drill``: needs a timing or participation and the lessons learned)
    or cancelled. Participation is recorded per household or resident, timings per building;
    the rate and evacuation times are computed by ``participation.drills``.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="drills")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="drills",
                             help_text=_("Leave empty for the whole community."))
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="drills")
    scenario = models.CharField(_("scenario"), max_length=20, choices=Scenario.choices)
    title = models.CharField(_("title"), max_length=200)
    planned_at = models.DateTimeField(_("planned for"))
    status = models.CharField(_("status"), max_length=10, choices=DrillStatus.choices,
                              default=DrillStatus.PLANNED, db_index=True, editable=False)
    plan = models.ForeignKey("response.Plan", verbose_name=_("emergency plan"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="drills")
    objectives = models.TextField(_("objectives"), blank=True)
    observers = models.TextField(_("observers"), blank=True,
                                 help_text=_("Who watched and assessed the drill."))
    lessons_learned = models.TextField(_("lessons learned"), blank=True)
    actions = models.JSONField(_("follow-up actions"), default=list, blank=True,
                               help_text=_('A list of {"text": …, "owner": …, "due": …}.'))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)
    finished_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("finished by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    scope_paths = {"community": "community", "grid": "grid"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.PROPERTY: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["-planned_at", "-id"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:drill_detail", args=[self.pk])

    def clean(self):
        errors = self.foreign_community_errors("grid", "building")
        if self.building_id and "building" not in errors:
            if self.grid_id and self.building.grid_id != self.grid_id:
                errors["building"] = _("The building is not in the chosen grid.")
            else:
                self.grid_id = self.building.grid_id
        if self.plan_id and self.community_id and self.plan.community_id != self.community_id:
            errors["plan"] = _("It belongs to another community.")
        problems = action_errors(self.actions)
        if problems:
            errors["actions"] = problems
        if errors:
            raise ValidationError(errors)


class DrillParticipation(ScopedModel):
    """Whether a household (``resident`` empty) or one resident took part in a drill.

    ``household`` is always set — for a resident it is their household — so the participation
    rate counts households and a resident sees only their own household's rows.
    """

    drill = models.ForeignKey(Drill, verbose_name=_("drill"), on_delete=models.CASCADE,
                              related_name="participations")
    household = models.ForeignKey("people.Household", verbose_name=_("household"),
                                  on_delete=models.CASCADE, related_name="+")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(_("present"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    scope_paths = {"community": "drill__community", "grid": "household__building__grid",
                   "household": "household"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, "view", "add", "change"),
        Role.RESIDENT: grant(SCOPE, "view"),
    }

    class Meta:
        ordering = ["id"]
        verbose_name = _("drill participation")
        verbose_name_plural = _("drill participation")
        constraints = [
            models.UniqueConstraint(fields=["drill", "household"],
                                    condition=Q(resident__isnull=True),
                                    name="participation_drill_once_per_household"),
            models.UniqueConstraint(fields=["drill", "resident"],
                                    condition=Q(resident__isnull=False),
                                    name="participation_drill_once_per_resident"),
        ]

    def __str__(self) -> str:
        return f"{self.drill} · {self.resident or self.household}"


class DrillTiming(ScopedModel):
    """Evacuation times of one building (or one named step) in a drill.

    Either the clock times (``started_at`` → ``all_out_at`` → ``arrived_at``) or simply
    ``seconds``; ``evacuation_seconds`` prefers the clock times.
    """

    drill = models.ForeignKey(Drill, verbose_name=_("drill"), on_delete=models.CASCADE,
                              related_name="timings")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(_("step"), max_length=100, blank=True,
                            help_text=_("For a timing that is not a building's."))
    started_at = models.DateTimeField(_("evacuation started"), null=True, blank=True)
    all_out_at = models.DateTimeField(_("all out"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at shelter"), null=True, blank=True)
    seconds = models.PositiveIntegerField(_("evacuation time (s)"), null=True, blank=True)
    people_counted = models.PositiveIntegerField(_("people counted"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    scope_paths = {"community": "drill__community", "grid": "building__grid"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, "view", "add", "change"),
        Role.PROPERTY: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["id"]
        verbose_name = _("drill timing")
        verbose_name_plural = _("drill timings")
        constraints = [
            models.UniqueConstraint(fields=["drill", "building"],
                                    condition=Q(building__isnull=False),
                                    name="participation_drill_timing_once_per_building"),
        ]

    def __str__(self) -> str:
        return f"{self.drill} · {self.building or self.step}"

    @property
    def evacuation_seconds(self) -> int | None:
        """From the start to all out (the clock times), else the entered seconds."""
        if self.started_at and self.all_out_at:
            return int((self.all_out_at - self.started_at).total_seconds())
        return self.seconds

    @property
    def shelter_seconds(self) -> int | None:
        """From the start to arrival at the shelter, when both were taken."""
        if self.started_at and self.arrived_at:
            return int((self.arrived_at - self.started_at).total_seconds())
        return None

    def clean(self):
        errors = {}
        if not self.building_id and not self.step.strip():
            errors["building"] = _("Choose a building or name the step.")
        if self.all_out_at and not self.started_at:
            errors["started_at"] = _("Give the time the evacuation started.")
        if self.started_at and self.all_out_at and self.all_out_at < self.started_at:
            errors["all_out_at"] = _("All out cannot be before the evacuation started.")
        if self.arrived_at:
            first = self.all_out_at or self.started_at
            if first and self.arrived_at < first:
                errors["arrived_at"] = _("Arrival at the shelter cannot be before the "
                                         "evacuation started or everyone was out.")
        if errors:
            raise ValidationError(errors)
