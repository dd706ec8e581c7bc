from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.street.models.aid import STREET_RECORD


class Broadcast(ScopedModel):
    """One region-wide warning: a street or district issuing (or relaying) one alert to all or
    some of its communities in one action. Each chosen community gets its own ``alerts.Alert``
    (listed in ``alerts``), so each community's board shows its part and acknowledgements are
    counted per community. ``source`` is the relayed upstream alert, if any."""

    region = models.ForeignKey("places.Region", verbose_name=_("region"),
                               on_delete=models.PROTECT, related_name="broadcasts")
    headline = models.CharField(_("headline"), max_length=200)
    communities = models.ManyToManyField("places.Community", verbose_name=_("communities"),
                                         related_name="+")
    alerts = models.ManyToManyField("alerts.Alert", verbose_name=_("alerts"), related_name="+",
                                    blank=True)
    source = models.ForeignKey("alerts.Alert", verbose_name=_("relayed alert"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    scope_paths = {"region": "region"}
    access = STREET_RECORD

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("region-wide warning")
        verbose_name_plural = _("region-wide warnings")

    def __str__(self) -> str:
        return self.headline
