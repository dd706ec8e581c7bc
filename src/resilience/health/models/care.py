"""Care plans and the follow-ups (visits and calls) that carry them out."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core.fields import EncryptedTextField
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SELF, Role, grant
from resilience.health.vocab import CarePlanKind, FollowUpKind

CARE_ACCESS = {
    Role.HEALTH_WORKER: grant(COMMUNITY, *EDIT),
    Role.RESIDENT: grant(SELF, "view"),
}


def _same_community(obj, errors: dict) -> None:
    if obj.resident_id:
        if not obj.community_id:
            obj.community_id = obj.resident.community_id
        elif obj.resident.community_id != obj.community_id:
            errors["resident"] = _("The resident lives in another community.")


class CarePlan(ScopedModel):
    """A plan of regular contact with one resident: what for, how often, by whom."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="care_plans")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"),
                                 on_delete=models.PROTECT, related_name="care_plans")
    kind = models.CharField(_("kind"), max_length=16, choices=CarePlanKind.choices)
    interval_days = models.PositiveSmallIntegerField(_("every (days)"), default=30)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("health worker"),
                                 null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="health_care_plans")
    goal = EncryptedTextField(_("goal"))
    active = models.BooleanField(_("active"), default=True)
    started_on = models.DateField(_("started on"), default=timezone.localdate)

    sensitive_fields = ("goal",)
    scope_paths = {"community": "community", "user": "resident__user"}
    access = CARE_ACCESS

    class Meta:
        ordering = ["community", "-active", "resident__name"]
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("health:careplan_detail", args=[self.pk])

    def clean(self):
        errors: dict = {}
        _same_community(self, errors)
        if not self.interval_days:
            errors["interval_days"] = _("Give an interval of at least one day.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.resident_id and not self.community_id:
            self.community_id = self.resident.community_id
        super().save(*args, **kwargs)


class FollowUp(ScopedModel):
    """One scheduled visit or call; recording its outcome schedules the next one."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="health_followups")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"),
                                 on_delete=models.PROTECT, related_name="health_followups")
    care_plan = models.ForeignKey(CarePlan, verbose_name=_("care plan"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="followups")
    referral = models.ForeignKey("health.Referral", verbose_name=_("referral"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="followups")
    kind = models.CharField(_("kind"), max_length=8, choices=FollowUpKind.choices,
                            default=FollowUpKind.VISIT)
    scheduled_on = models.DateField(_("scheduled on"), db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("health worker"),
                                 null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="health_followups")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"))
    next_on = models.DateField(_("next follow-up on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    sensitive_fields = ("outcome",)
    scope_paths = {"community": "community", "user": "resident__user"}
    access = CARE_ACCESS

    class Meta:
        ordering = ["scheduled_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_kind_display()} · {self.scheduled_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("health:followup_detail", args=[self.pk])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today=None) -> bool:
        return not self.is_done and self.scheduled_on < (today or timezone.localdate())

    def clean(self):
        errors: dict = {}
        _same_community(self, errors)
        if self.care_plan_id and self.resident_id and self.care_plan.resident_id != self.resident_id:
            errors["care_plan"] = _("The care plan is another resident's.")
        if self.next_on and self.scheduled_on and self.next_on <= self.scheduled_on:
            errors["next_on"] = _("The next follow-up must come after this one.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.resident_id and not self.community_id:
            self.community_id = self.resident.community_id
        super().save(*args, **kwargs)
