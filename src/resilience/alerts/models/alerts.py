from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.geo import validate_geometry
from resilience.core.models import ScopedModel
from resilience.core.scope import ScopedQuerySet
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant
from resilience.alerts.vocab import (
    LEVEL_COLOUR, Audience, Certainty, EventType, Level, MessageType, Source, State, Urgency,
)


def validate_area(value):
    validate_geometry(value, {"Polygon", "MultiPolygon"})


class AlertQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view") -> "AlertQuerySet":
        """As for any scoped model, except that a draft or an alert awaiting approval is seen
        only by those who may change it: until it is issued it warns no one else."""
        rows = super().visible_to(user, action)
        if action != "view" or user is None or user.is_superuser:
            return rows
        editable = super().visible_to(user, "change").values("pk")
        return rows.filter(~models.Q(state__in=(State.DRAFT, State.PENDING))
                           | models.Q(pk__in=editable))


class Alert(ScopedModel):
    """An early warning (预警) to the people of an area of one community.

    Lifecycle: draft → (pending approval for levels II and I) → issued → cancelled / expired; an
    update or cancellation is a new Alert whose ``references`` is the one it replaces, as in CAP.
    The target area is the whole community, or grids, buildings and/or a drawn polygon (a circle
    is stored as a polygon plus ``area_circle`` for CAP). Text is bilingual: Chinese and English.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="alerts")
    identifier = models.CharField(_("identifier"), max_length=200, unique=True)
    sender = models.CharField(_("sender"), max_length=200)
    msg_type = models.CharField(_("message type"), max_length=6, choices=MessageType.choices,
                                default=MessageType.ALERT)
    references = models.ForeignKey("self", verbose_name=_("replaces"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="replaced_by")
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.DRAFT, db_index=True)
    exercise = models.BooleanField(_("exercise"), default=False,
                                   help_text=_("A drill: CAP status Exercise, marked in every message."))
    public = models.BooleanField(_("public"), default=True,
                                 help_text=_("Published in the CAP feed."))
    source = models.CharField(_("source"), max_length=6, choices=Source.choices, default=Source.STAFF)
    alarm = models.ForeignKey("monitoring.Alarm", verbose_name=_("alarm"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="alerts")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    event_type = models.CharField(_("event type"), max_length=12, choices=EventType.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               default=Urgency.EXPECTED)
    certainty = models.CharField(_("certainty"), max_length=10, choices=Certainty.choices,
                                 default=Certainty.LIKELY)
    headline = models.CharField(_("headline"), max_length=200)
    description = models.TextField(_("description"))
    instruction = models.TextField(_("what to do"), blank=True)
    headline_en = models.CharField(_("headline (English)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    instruction_en = models.TextField(_("what to do (English)"), blank=True)
    effective = models.DateTimeField(_("effective"), null=True, blank=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    whole_community = models.BooleanField(_("whole community"), default=True)
    area_grids = models.ManyToManyField("places.Grid", verbose_name=_("grids"), blank=True,
                                        related_name="alerts")
    area_buildings = models.ManyToManyField("places.Building", verbose_name=_("buildings"),
                                            blank=True, related_name="alerts")
    area_geometry = models.JSONField(_("drawn area"), null=True, blank=True,
                                     validators=[validate_area])
    area_circle = models.CharField(_("circle"), max_length=60, blank=True,
                                   help_text=_("CAP circle: 'lat,lng radius_km'"))
    area_description = models.CharField(_("area description"), max_length=300, blank=True)
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices,
                                default=Audience.EVERYONE)
    upstream_identifier = models.CharField(_("upstream identifier"), max_length=200, blank=True,
                                           db_index=True)
    upstream_sender = models.CharField(_("upstream sender"), max_length=200, blank=True)
    upstream_cap = models.TextField(_("upstream CAP document"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                    null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(pgettext_lazy("time", "approved"), null=True, blank=True)
    issued_at = models.DateTimeField(pgettext_lazy("time", "issued"), null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(pgettext_lazy("time", "cancelled"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    scope_paths = {"community": "community"}
    access = {
        Role.OFFICE: grant(SCOPE, *EDIT, "verify"),
        Role.STAFF: grant(SCOPE, *EDIT, "verify"),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.PROPERTY: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["-created"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return self.headline

    def get_absolute_url(self) -> str:
        return reverse("alerts:alert_detail", args=[self.pk])

    @property
    def colour(self) -> str:
        return LEVEL_COLOUR.get(self.level, "")

    def clean(self):
        errors = {}
        if self.effective and self.expires and self.expires <= self.effective:
            errors["expires"] = _("An alert must expire after it takes effect.")
        if self.references_id and self.msg_type == MessageType.ALERT:
            errors["msg_type"] = _("An alert that replaces another is an update or a cancellation.")
        if self.msg_type != MessageType.ALERT and not self.references_id:
            errors["references"] = _("Say which alert this one updates or cancels.")
        if self.references_id and self.community_id and self.references.community_id != self.community_id:
            errors["references"] = _("It belongs to another community.")
        if errors:
            raise ValidationError(errors)


class AlertEvent(models.Model):
    """One step on an alert's timeline: drafted, submitted, approved, issued, updated, cancelled…"""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE,
                              related_name="events")
    time = models.DateTimeField(_("time"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=20)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["time", "id"]
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")

    def __str__(self) -> str:
        return f"{self.alert} · {self.action}"
