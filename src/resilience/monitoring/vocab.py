"""Controlled vocabularies of the monitoring app."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class SensorKind(models.TextChoices):
    SMOKE = "smoke", _("smoke detector")
    TEMPERATURE = "temperature", _("temperature")
    HUMIDITY = "humidity", _("humidity")
    WATER_LEVEL = "water_level", _("water level")
    GAS = "gas", _("combustible gas")
    CO = "co", _("carbon monoxide")
    CURRENT = "current", _("electric current")
    VOLTAGE = "voltage", _("voltage")
    DOOR = "door", _("door state")
    ELEVATOR = "elevator", _("elevator state")
    WATER_PRESSURE = "water_pressure", _("hydrant water pressure")
    TILT = "tilt", _("structural tilt")
    RAIN = "rain", _("rainfall")


# Unit and plausible physical range of each kind: readings outside go to the dead letters.
KIND_UNIT = {
    SensorKind.SMOKE: ("dB/m", 0, 100),
    SensorKind.TEMPERATURE: ("°C", -50, 200),
    SensorKind.HUMIDITY: ("%", 0, 100),
    SensorKind.WATER_LEVEL: ("cm", -100, 1000),
    SensorKind.GAS: ("%LEL", 0, 100),
    SensorKind.CO: ("ppm", 0, 10000),
    SensorKind.CURRENT: ("A", 0, 1000),
    SensorKind.VOLTAGE: ("V", 0, 1000),
    SensorKind.DOOR: ("0/1", 0, 1),
    SensorKind.ELEVATOR: ("code", 0, 99),
    SensorKind.WATER_PRESSURE: ("MPa", 0, 5),
    SensorKind.TILT: ("°", -90, 90),
    SensorKind.RAIN: ("mm/h", 0, 500),
}


class SensorStatus(models.TextChoices):
    ONLINE = "online", _("online")
    STALE = "stale", _("stale")
    OFFLINE = "offline", _("offline")
    FAULT = "fault", _("fault")


class AlarmLevel(models.IntegerChoices):
    """Alarm and warning levels: IV blue (lowest) … I red (highest), as in Chinese practice."""

    IV = 4, _("IV (blue)")
    III = 3, _("III (yellow)")
    II = 2, _("II (orange)")
    I = 1, _("I (red)")  # noqa: E741


LEVEL_COLOUR = {4: "blue", 3: "yellow", 2: "orange", 1: "red"}


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("threshold")
    RATE = "rate", _("rate of change")
    STALE = "stale", _("stale / offline")
    COMBINATION = "combination", _("combination")
    PREDICTIVE = "predictive", _("forecast (pre-alarm)")
    ANOMALY = "anomaly", _("anomaly against the baseline")
    UPSTREAM = "upstream", _("upstream warning with local signs")
