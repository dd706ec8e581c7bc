"""Words of the assessment: dimensions, indicator sources, index methods, stress scenarios."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    PHYSICAL = "physical", _("physical")
    ORGANISATIONAL = "organisational", _("organisational")
    INSTITUTIONAL = "institutional", _("institutional")
    TECHNOLOGICAL = "technological", _("technological")
    SOCIAL = "social", _("social")


class Source(models.TextChoices):
    COMPUTED = "computed", _("computed from live data")
    SURVEY = "survey", _("entered from a survey")
    IMPORTED = "imported", _("imported")


class Direction(models.IntegerChoices):
    HIGHER_BETTER = 1, _("higher is better")
    LOWER_BETTER = -1, _("lower is better")


class Method(models.TextChoices):
    TARGET = "target", _("target-normalised weighted sum")
    MINMAX = "minmax", _("min-max scaling across communities")
    PERCENTILE = "percentile", _("percentile-rank composite")


class Weighting(models.TextChoices):
    EQUAL = "equal", _("equal weights")
    MANUAL = "manual", _("weights given by hand")
    AHP = "ahp", _("AHP pairwise comparison")
    ENTROPY = "entropy", _("entropy weights")


class StressKind(models.TextChoices):
    LOCKDOWN = "lockdown", _("lockdown")
    POWER_CUT = "power_cut", _("power cut")
    GARAGE_FLOOD = "garage_flood", _("underground-garage flood")
    FIRE = "fire", _("fire in a building")
    EARTHQUAKE = "earthquake", _("earthquake")
