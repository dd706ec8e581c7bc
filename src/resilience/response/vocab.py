"""Controlled vocabularies of emergency response."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task", "open")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", pgettext_lazy("task", "cancelled")


OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)


class TaskSource(models.TextChoices):
    """What made the task: a person, or a rule of the platform."""

    STAFF = "staff", _("staff")
    ALERT_FOLLOW_UP = "alert_follow_up", _("unacknowledged warning")
    PLAN = "plan", _("emergency plan")


class Scenario(models.TextChoices):
    """The kinds of emergency a plan (预案) is written for."""

    HIGH_RISE_FIRE = "high_rise_fire", _("fire in a high-rise building")
    FLOOD = "flood", _("waterlogging / underground garage flood")
    GAS_LEAK = "gas_leak", _("gas leak")
    POWER_CUT = "power_cut", _("power cut")
    EARTHQUAKE = "earthquake", _("earthquake")
    EPIDEMIC_LOCKDOWN = "epidemic_lockdown", _("epidemic lockdown")
    HEAT_WAVE = "heat_wave", _("heat wave")
    OTHER = "other", _("other")


# An alert's event type → the scenario of the plan that answers it.
SCENARIO_OF_EVENT = {
    "fire": Scenario.HIGH_RISE_FIRE, "flood": Scenario.FLOOD, "rainstorm": Scenario.FLOOD,
    "typhoon": Scenario.FLOOD, "gas": Scenario.GAS_LEAK, "power_cut": Scenario.POWER_CUT,
    "earthquake": Scenario.EARTHQUAKE, "epidemic": Scenario.EPIDEMIC_LOCKDOWN,
    "heat": Scenario.HEAT_WAVE,
}


class ResponseLevel(models.IntegerChoices):
    """Response levels: I is the most severe, as the four alert levels."""

    I = 1, _("level I (red)")  # noqa: E741
    II = 2, _("level II (orange)")
    III = 3, _("level III (yellow)")
    IV = 4, _("level IV (blue)")


class CommandRole(models.TextChoices):
    """The roles of the community's emergency command."""

    COMMANDER = "commander", _("commander")
    DEPUTY = "deputy", _("deputy commander")
    GRID_LEAD = "grid_lead", _("grid lead")
    LOGISTICS = "logistics", _("logistics")
    MEDICAL = "medical", _("medical")
    COMMUNICATION = "communication", _("communication")


class Phase(models.TextChoices):
    ALERT = "alert", pgettext_lazy("plan phase", "alert")
    RESPONSE = "response", _("response")
    RECOVERY = "recovery", _("recovery")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("in force")
    RETIRED = "retired", _("retired")


class ResourceKind(models.TextChoices):
    SUPPLY = "supply", _("supplies")
    EQUIPMENT = "equipment", _("equipment")
    SHELTER = "shelter", _("shelter")


class IncidentStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("incident", "open")
    ACTIVE = "active", _("plan activated")
    CLOSED = "closed", _("closed")


class RollCallStatus(models.TextChoices):
    PENDING = "pending", _("not yet checked")
    SAFE = "safe", _("safe")
    NEEDS_HELP = "needs_help", _("needs help")
    EVACUATED = "evacuated", _("evacuated")
    UNREACHABLE = "unreachable", _("unreachable")


class HelperKind(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")
    VOLUNTEER = "volunteer", _("volunteer")
