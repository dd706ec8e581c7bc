from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, ORGANISATION, SCOPE, community_record, grant
from resilience.monitoring.vocab import KIND_UNIT, SensorKind, SensorStatus


class Sensor(ScopedModel):
    """A sensor on a facility or risk source, reporting one kind of reading every ``interval``.

    ``code`` is unique platform-wide (the HTTP payload names only the sensor); MQTT topics also
    carry the community code, which must match. ``last_time``/``last_value`` hold the latest
    reading so "latest per sensor" never scans observations.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="sensors")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="sensors")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="sensors")
    facility = models.ForeignKey("places.Facility", verbose_name=_("facility"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="sensors")
    risk = models.ForeignKey("risks.RiskSource", verbose_name=_("risk source"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="sensors")
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("type"), max_length=20, choices=SensorKind.choices)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    owner = models.ForeignKey("people.Organisation", verbose_name=_("owner organisation"),
                              null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="sensors")
    interval_seconds = models.PositiveIntegerField(_("expected interval (seconds)"), default=60)
    status = models.CharField(_("status"), max_length=10, choices=SensorStatus.choices,
                              default=SensorStatus.OFFLINE, db_index=True)
    battery = models.PositiveSmallIntegerField(_("battery (%)"), null=True, blank=True)
    last_time = models.DateTimeField(_("last reading"), null=True, blank=True, editable=False)
    last_value = models.FloatField(_("last value"), null=True, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)

    scope_paths = {"community": "community", "grid": "grid", "organisation": "owner"}
    access = community_record(
        staff={**grant(SCOPE, "view", "add", "change", "delete", "ingest")},
        property={**grant(COMMUNITY, "view"), **grant(ORGANISATION, "change", "ingest")},
    )

    class Meta:
        ordering = ["community", "code"]
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("monitoring:sensor_detail", args=[self.pk])

    @property
    def unit(self) -> str:
        return KIND_UNIT.get(self.kind, ("", None, None))[0]

    def clean(self):
        errors = self.foreign_community_errors("grid", "building", "facility", "risk", "owner")
        if self.battery is not None and self.battery > 100:
            errors["battery"] = _("Battery is a percentage (0–100).")
        if errors:
            raise ValidationError(errors)
