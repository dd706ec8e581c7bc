from django.db import models
from django.utils.translation import gettext_lazy as _

from resilience.core.roles import SCOPE, Role, grant
from resilience.core.scope import ScopedQuerySet


class Observation(models.Model):
    """One reading of one sensor at one time. Unique on (sensor, time): a resend is a no-op.

    Not change-logged: readings are machine data arriving by the thousand per second; the
    dead-letter table keeps what was refused, and retention down-samples old readings.
    """

    sensor = models.ForeignKey("monitoring.Sensor", verbose_name=_("sensor"),
                               on_delete=models.CASCADE, related_name="observations")
    time = models.DateTimeField(_("time"))
    value = models.FloatField(_("value"))

    class Meta:
        ordering = ["sensor", "-time"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            # Also the index for "latest per sensor" and time-range queries.
            models.UniqueConstraint(fields=["sensor", "time"], name="observation_sensor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.time:%Y-%m-%d %H:%M:%S} {self.value:g}"


class DeadLetter(models.Model):
    """A payload (or one reading of it) that could not be ingested, with the reason.

    Community staff see their community's dead letters; those of no known community (an unknown
    sensor on an unknown topic) only the platform admin.
    """

    class Source(models.TextChoices):
        MQTT = "mqtt", "MQTT"
        HTTP = "http", "HTTP"

    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    source = models.CharField(_("source"), max_length=4, choices=Source.choices)
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    payload = models.TextField(_("payload"))
    reason = models.CharField(_("reason"), max_length=300)
    sensor_code = models.CharField(_("sensor code"), max_length=64, blank=True, db_index=True)
    community = models.ForeignKey("places.Community", verbose_name=_("community"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_paths = {"community": "community"}
    access = {Role.STAFF: grant(SCOPE, "view")}

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.reason}"
