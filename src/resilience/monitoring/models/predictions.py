from django.db import models
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, ORGANISATION, community_record, grant


class Baseline(ScopedModel):
    """What is normal for a sensor at each hour of the day (24 buckets) or of the week (168,
    Monday 0 h first): the median reading and its spread (MAD) in each, from its history.

    One row per sensor, refreshed by ``refresh_baselines`` (the worker, hourly; or
    ``resilience manage refresh_baselines``): compact enough that the rule engine keeps every
    sensor's baseline in memory to score each reading (``monitoring.baseline``). Machine data:
    not change-logged, like the readings.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.CASCADE, related_name="+")
    sensor = models.OneToOneField("monitoring.Sensor", verbose_name=_("sensor"),
                                  on_delete=models.CASCADE, related_name="baseline")
    buckets = models.PositiveSmallIntegerField(_("buckets"), help_text=_(
        "24: by hour of the day; 168: by hour of the week."))
    median = models.JSONField(_("median by bucket"), default=list)
    mad = models.JSONField(_("spread (MAD) by bucket"), default=list)
    counts = models.JSONField(_("readings by bucket"), default=list)
    since = models.DateTimeField(_("history from"))
    until = models.DateTimeField(_("history to"))
    readings = models.PositiveIntegerField(_("readings"), default=0)

    scope_paths = {"community": "community", "organisation": "sensor__owner"}
    access = community_record(property={**grant(COMMUNITY, "view"), **grant(ORGANISATION, "view")})

    class Meta:
        ordering = ["sensor"]
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")

    def __str__(self) -> str:
        return f"{self.sensor_id} · {self.buckets}"
