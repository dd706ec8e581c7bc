"""Choices of education (lessons, assignments) and drills."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LessonTopic(models.TextChoices):
    SELF_RESCUE = "self_rescue", _("self-rescue")
    FIRE_EXTINGUISHER = "fire_extinguisher", _("fire extinguisher use")
    FLOOD_SAFETY = "flood_safety", _("flood safety")
    FIRST_AID = "first_aid", _("first aid")
    EBIKE_CHARGING = "ebike_charging", _("e-bike charging safety")
    EARTHQUAKE = "earthquake", _("earthquake")
    EVACUATION = "evacuation", _("evacuation")
    OTHER = "other", _("other")


class Audience(models.TextChoices):
    """Who, inside an assignment's place, is expected to take the lesson."""

    ALL_RESIDENTS = "all_residents", _("all residents")
    VULNERABLE_HOUSEHOLDS = "vulnerable_households", _("households with vulnerable residents")
    VOLUNTEERS = "volunteers", _("volunteers")
    GRID_WORKERS = "grid_workers", _("grid workers")
    BUILDING_LEADS = "building_leads", _("building leads")


class DrillStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("drill", "planned")
    DONE = "done", pgettext_lazy("drill", "done")
    CANCELLED = "cancelled", pgettext_lazy("drill", "cancelled")
