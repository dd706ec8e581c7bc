"""Controlled vocabularies of the risks app."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskType(models.TextChoices):
    FIRE = "fire", _("fire")
    EBIKE_FIRE = "ebike_fire", _("e-bike charging fire")
    GAS = "gas", _("gas leak / explosion")
    ELECTRICAL = "electrical", _("electrical")
    FLOOD = "flood", _("flood / waterlogging")
    GARAGE_FLOOD = "garage_flood", _("underground garage flooding")
    STRUCTURE = "structure", _("building structure")
    ELEVATOR = "elevator", _("elevator entrapment")
    FALLING_OBJECTS = "falling_objects", _("falling objects")
    EPIDEMIC = "epidemic", _("epidemic")
    CROWDING = "crowding", _("crowding / stampede")
    HAZMAT = "hazmat", _("hazardous materials")
    GEOLOGICAL = "geological", _("geological (subsidence, landslide)")
    HEAT = "heat", _("heat wave")
    TYPHOON = "typhoon", _("typhoon / strong wind")
    OTHER = "other", _("other")


class Grade(models.TextChoices):
    """The four risk grades and their colours on the four-colour map (安全风险四色分布图)."""

    MAJOR = "major", _("major")
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


GRADE_COLOUR = {
    Grade.MAJOR: "red",
    Grade.HIGH: "orange",
    Grade.MEDIUM: "yellow",
    Grade.LOW: "blue",
}
GRADE_HEX = {"red": "#d1242f", "orange": "#f0883e", "yellow": "#e3b341", "blue": "#0969da"}
GRADE_ORDER = [Grade.MAJOR, Grade.HIGH, Grade.MEDIUM, Grade.LOW]


class Method(models.TextChoices):
    MATRIX = "matrix", _("likelihood × consequence matrix (5×5)")
    LEC = "lec", _("LEC (L × E × C)")


class HazardSeverity(models.TextChoices):
    MAJOR = "major", _("major hazard")
    GENERAL = "general", _("general hazard")


class HazardStatus(models.TextChoices):
    FOUND = "found", _("found")
    ASSIGNED = "assigned", _("assigned")
    RECTIFYING = "rectifying", _("rectifying")
    RECTIFIED = "rectified", _("rectified")
    VERIFIED = "verified", _("verified")


class HazardSource(models.TextChoices):
    INSPECTION = "inspection", _("inspection")
    RESIDENT_REPORT = "resident_report", _("resident report")
    STAFF = "staff", _("staff finding")
    SENSOR = "sensor", _("sensor")


class Answer(models.TextChoices):
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")
    NOT_APPLICABLE = "na", _("not applicable")
