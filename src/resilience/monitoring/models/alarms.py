from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, ORGANISATION, SCOPE, Role, community_record, grant
from resilience.core.scope import ScopedQuerySet, memberships_of
from resilience.monitoring.vocab import AlarmLevel, RuleKind, SensorKind
from resilience.places.vocab import FacilityKind


class RuleQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view") -> ScopedQuerySet:
        """As for any scoped row; members of any community may also view the platform rules."""
        scoped = super().visible_to(user, action)
        if action != "view" or user is None or not user.is_authenticated or not user.is_active:
            return scoped
        if user.is_superuser or not memberships_of(user):
            return scoped
        return scoped | self.filter(community__isnull=True)


class Rule(ScopedModel):
    """When a sensor's readings mean trouble: a threshold (with hysteresis), a rate of change,
    silence (stale/offline) or a combination of other rules; each maps to an alarm level.

    A rule applies to one sensor, or to every sensor of ``sensor_kind`` (optionally only those on
    a facility of ``facility_kind``) in its community, or in every community when ``community``
    is empty: a platform default, which every member may view and only the platform admin may
    change. A stale rule may leave ``sensor_kind`` empty: it then watches every sensor. For each
    rule type the most specific rules win: the sensor's own, else its community's, else the
    platform's (see ``monitoring.rules``).
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"), null=True,
                                  blank=True, on_delete=models.CASCADE, related_name="rules")
    sensor = models.ForeignKey("monitoring.Sensor", verbose_name=_("sensor"), null=True,
                               blank=True, on_delete=models.CASCADE, related_name="rules")
    sensor_kind = models.CharField(_("sensor type"), max_length=20, choices=SensorKind.choices,
                                   blank=True)
    facility_kind = models.CharField(
        _("facility type"), max_length=30, choices=FacilityKind.choices, blank=True,
        help_text=_("Only sensors on a facility of this type (e.g. power distribution rooms)."))
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("rule type"), max_length=12, choices=RuleKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    level = models.PositiveSmallIntegerField(_("alarm level"), choices=AlarmLevel.choices,
                                             default=AlarmLevel.III)
    auto_alert = models.BooleanField(
        _("issue a warning automatically"), default=False,
        help_text=_("Hand the alarm straight to early warning instead of waiting for staff."))
    active = models.BooleanField(_("active"), default=True)

    scope_paths = {"community": "community"}
    access = community_record()

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["community", "name"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")

    def __str__(self) -> str:
        # Platform rules have English names marked for translation (rules.default_rules).
        return gettext(self.name)

    def get_absolute_url(self) -> str:
        return reverse("monitoring:rule_detail", args=[self.pk])

    @property
    def shared(self) -> bool:
        return self.community_id is None

    def clean(self):
        if not self.sensor_id and not self.sensor_kind and self.kind != RuleKind.STALE:
            raise ValidationError({"sensor": _("Choose a sensor or a sensor type.")})
        if self.sensor_id and self.community_id and self.sensor.community_id != self.community_id:
            raise ValidationError({"sensor": _("It belongs to another community.")})
        from resilience.monitoring.rules import validate_combination, validate_params

        validate_params(self.kind, self.params)
        if self.kind == RuleKind.COMBINATION:
            validate_combination(self)


class Alarm(ScopedModel):
    """An alarm raised by a rule on a sensor; one open alarm per (sensor, rule) at a time.

    It stays open, updated with the latest value, until the condition clears. Raising and
    clearing send ``monitoring.signals.alarm_raised`` / ``alarm_cleared`` after commit: the seam
    to early warning.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLEARED = "cleared", _("cleared")

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="alarms")
    sensor = models.ForeignKey("monitoring.Sensor", verbose_name=_("sensor"),
                               on_delete=models.CASCADE, related_name="alarms")
    rule = models.ForeignKey(Rule, verbose_name=_("rule"), on_delete=models.CASCADE,
                             related_name="alarms")
    level = models.PositiveSmallIntegerField(_("level"), choices=AlarmLevel.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN, db_index=True)
    message = models.CharField(_("message"), max_length=300)
    value = models.FloatField(_("value"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"))
    last_seen_at = models.DateTimeField(_("last seen"))
    cleared_at = models.DateTimeField(pgettext_lazy("time", "cleared"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"),
                                        null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    scope_paths = {"community": "community", "grid": "sensor__grid", "organisation": "sensor__owner"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, "view", "change"),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.PROPERTY: grant(ORGANISATION, "view", "change"),
    }

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        constraints = [
            models.UniqueConstraint(fields=["sensor", "rule"], condition=Q(status="open"),
                                    name="alarm_one_open_per_sensor_rule"),
        ]

    def __str__(self) -> str:
        # The message names the sensor, the value and the limit; no query needed (change log).
        return self.message or f"{self.sensor_id} · {self.rule_id}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:alarm_detail", args=[self.pk])
