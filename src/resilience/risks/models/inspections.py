from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, ORGANISATION, SCOPE, Role, community_record, grant
from resilience.core.scope import ScopedQuerySet
from resilience.places.vocab import FacilityKind
from resilience.risks.vocab import Answer, HazardSeverity, RiskType


class ChecklistTemplateQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view") -> ScopedQuerySet:
        """As for any scoped row, and every signed-in user may also view the shared templates."""
        scoped = super().visible_to(user, action)
        if action != "view" or user is None or not user.is_authenticated or not user.is_active:
            return scoped
        return scoped | self.filter(community__isnull=True)


class ChecklistTemplate(ScopedModel):
    """A safety-inspection checklist (fire safety, power room, garage before the rainy season…).

    A template with no community is shared by all communities (everyone may view it, only the
    platform admin may change it); staff may add their own.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"), null=True,
                                  blank=True, on_delete=models.CASCADE, related_name="checklists")
    name = models.CharField(_("name"), max_length=150)
    risk_type = models.CharField(_("risk type"), max_length=20, choices=RiskType.choices, blank=True)
    facility_kind = models.CharField(_("facility type"), max_length=30,
                                     choices=FacilityKind.choices, blank=True)
    description = models.TextField(_("description"), blank=True)

    scope_paths = {"community": "community"}
    access = community_record()

    objects = ChecklistTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("risks:checklisttemplate_detail", args=[self.pk])


class ChecklistItem(models.Model):
    """One question of a checklist; a failed answer becomes a hidden hazard of this severity."""

    template = models.ForeignKey(ChecklistTemplate, verbose_name=_("checklist"),
                                 on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.CharField(_("question"), max_length=300)
    guidance = models.TextField(_("guidance"), blank=True)
    severity = models.CharField(_("severity if failed"), max_length=10,
                                choices=HazardSeverity.choices, default=HazardSeverity.GENERAL)
    rectify_days = models.PositiveSmallIntegerField(_("days to rectify"), default=7)

    class Meta:
        ordering = ["template", "order", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.text


class InspectionPlan(ScopedModel):
    """Inspect this facility / building / risk source with this checklist every N days."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="inspection_plans")
    template = models.ForeignKey(ChecklistTemplate, verbose_name=_("checklist"),
                                 on_delete=models.PROTECT, related_name="plans")
    facility = models.ForeignKey("places.Facility", verbose_name=_("facility"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="inspection_plans")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="inspection_plans")
    risk = models.ForeignKey("risks.RiskSource", verbose_name=_("risk source"), null=True,
                             blank=True, on_delete=models.CASCADE, related_name="inspection_plans")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="inspection_plans")
    organisation = models.ForeignKey("people.Organisation", verbose_name=_("inspecting organisation"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="inspection_plans")
    frequency_days = models.PositiveSmallIntegerField(_("every (days)"), default=30)
    next_due = models.DateField(_("next due"))
    active = models.BooleanField(_("active"), default=True)

    scope_paths = {"community": "community", "grid": "grid", "organisation": "organisation"}
    access = community_record(
        grid_worker=grant(COMMUNITY, "view"),
        property={**grant(COMMUNITY, "view")},
    )

    class Meta:
        ordering = ["next_due"]
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")

    def __str__(self) -> str:
        return f"{self.template} · {self.target}"

    def get_absolute_url(self) -> str:
        return reverse("risks:inspectionplan_detail", args=[self.pk])

    @property
    def target(self):
        return self.facility or self.building or self.risk or self.grid or self.community

    def clean(self):
        errors = self.foreign_community_errors("facility", "building", "risk", "grid", "organisation")
        if not (self.facility_id or self.building_id or self.risk_id or self.grid_id):
            errors["facility"] = _("Say what to inspect: a facility, building, risk source or grid.")
        if errors:
            raise ValidationError(errors)


class Inspection(ScopedModel):
    """One inspection done (or being done) with a checklist, by a grid worker or property staff."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="inspections")
    plan = models.ForeignKey(InspectionPlan, verbose_name=_("plan"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="inspections")
    template = models.ForeignKey(ChecklistTemplate, verbose_name=_("checklist"),
                                 on_delete=models.PROTECT, related_name="inspections")
    facility = models.ForeignKey("places.Facility", verbose_name=_("facility"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="inspections")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="inspections")
    risk = models.ForeignKey("risks.RiskSource", verbose_name=_("risk source"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="inspections")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="inspections")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"), null=True,
                                  on_delete=models.SET_NULL, related_name="inspections")
    organisation = models.ForeignKey("people.Organisation", verbose_name=_("organisation"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="inspections")
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.IN_PROGRESS)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    scope_paths = {"community": "community", "grid": "grid", "organisation": "organisation",
                   "user": "inspector"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: {**grant(COMMUNITY, "view"), **grant(SCOPE, "add", "change")},
        Role.PROPERTY: grant(ORGANISATION, "view", "add", "change"),
    }

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.template} · {self.started_at:%Y-%m-%d}" if self.started_at else str(self.template)

    def get_absolute_url(self) -> str:
        return reverse("risks:inspection_detail", args=[self.pk])

    @property
    def failed_count(self) -> int:
        return self.answers.filter(answer=Answer.FAIL).count()


class InspectionAnswer(models.Model):
    """The answer to one checklist item in one inspection, with an optional photo."""

    inspection = models.ForeignKey(Inspection, verbose_name=_("inspection"),
                                   on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("item"), on_delete=models.PROTECT,
                             related_name="answers")
    answer = models.CharField(_("answer"), max_length=4, choices=Answer.choices)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(_("photo"), upload_to="inspections/%Y/%m/", blank=True)

    class Meta:
        ordering = ["inspection", "item__order", "item_id"]
        unique_together = [("inspection", "item")]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.item}: {self.get_answer_display()}"

    def clean(self):
        if self.item_id and self.inspection_id and self.item.template_id != self.inspection.template_id:
            raise ValidationError({"item": _("The item belongs to another checklist.")})
