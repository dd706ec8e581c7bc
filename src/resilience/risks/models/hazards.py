from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, ORGANISATION, SCOPE, Role, grant
from resilience.risks.vocab import HazardSeverity, HazardSource, HazardStatus


class Hazard(ScopedModel):
    """A hidden hazard (隐患) and its rectification loop.

    found → assigned → rectifying → rectified (with evidence) → verified, or back to rectifying
    when verification fails. Transitions happen only through ``risks.hazards`` services, which
    write a ``HazardEvent`` for each; ``verify`` is a separate right (staff, street office).
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="hazards")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="hazards")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="hazards")
    facility = models.ForeignKey("places.Facility", verbose_name=_("facility"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="hazards")
    risk = models.ForeignKey("risks.RiskSource", verbose_name=_("risk source"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="hazards")
    answer = models.OneToOneField("risks.InspectionAnswer", verbose_name=_("failed inspection item"),
                                  null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="hazard")
    source = models.CharField(_("source"), max_length=20, choices=HazardSource.choices,
                              default=HazardSource.STAFF)
    title = models.CharField(pgettext_lazy("hazard", "title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=HazardSeverity.choices,
                                default=HazardSeverity.GENERAL)
    status = models.CharField(_("status"), max_length=12, choices=HazardStatus.choices,
                              default=HazardStatus.FOUND, db_index=True)
    responsible = models.ForeignKey("people.Organisation", verbose_name=_("responsible organisation"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="hazards")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="assigned_hazards")
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("found by"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    found_at = models.DateTimeField(_("found"), auto_now_add=True)
    rectified_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"),
                                    null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), default=0,
        help_text=_("0 community, 1 street office, 2 district: raised when overdue."))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    photo = models.FileField(_("photo"), upload_to="hazards/%Y/%m/", blank=True)

    scope_paths = {"community": "community", "grid": "grid", "organisation": "responsible",
                   "user": "assignee"}
    access = {
        Role.OFFICE: grant(SCOPE, "view", "verify"),
        Role.STAFF: grant(SCOPE, *EDIT, "verify"),
        Role.GRID_WORKER: {**grant(COMMUNITY, "view"), **grant(SCOPE, "add", "change")},
        Role.PROPERTY: grant(ORGANISATION, "view", "change"),
    }

    class Meta:
        ordering = ["-found_at"]
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("risks:hazard_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != HazardStatus.VERIFIED

    def clean(self):
        errors = self.foreign_community_errors("grid", "building", "facility", "risk", "responsible")
        if errors:
            raise ValidationError(errors)


class HazardEvent(models.Model):
    """One step in a hazard's life: who moved it from which status to which, with note and photo."""

    class Action(models.TextChoices):
        REPORT = "report", _("reported")
        ASSIGN = "assign", _("assigned")
        START = "start", _("rectification started")
        RECTIFY = "rectify", _("rectified")
        VERIFY = "verify", _("verified")
        REOPEN = "reopen", _("reopened")
        ESCALATE = "escalate", _("escalated")
        COMMENT = "comment", _("comment")

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.CASCADE,
                               related_name="events")
    time = models.DateTimeField(_("time"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=HazardStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=HazardStatus.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(_("photo"), upload_to="hazards/%Y/%m/", blank=True)

    class Meta:
        ordering = ["time", "id"]
        verbose_name = _("hazard event")
        verbose_name_plural = _("hazard events")

    def __str__(self) -> str:
        return f"{self.hazard} · {self.get_action_display()}"
