"""Post-crisis psychological care: screening rounds after an incident, PHQ-9 / GAD-7
screenings of the residents it affected, and referrals tracked to closure."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.fields import EncryptedTextField
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, Role, grant
from resilience.health.vocab import SEVERITY_LABELS, ReferralStatus, ReferralTarget

# Screening results are for health workers only; residents are told in person.
SCREENING_ACCESS = {Role.HEALTH_WORKER: grant(COMMUNITY, *EDIT)}


class ScreeningRound(ScopedModel):
    """A round of screenings for the residents an incident affected (listed when started,
    vulnerable first)."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="screening_rounds")
    incident = models.ForeignKey("response.Incident", verbose_name=_("incident"),
                                 on_delete=models.PROTECT, related_name="screening_rounds")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope_paths = {"community": "community"}
    access = SCREENING_ACCESS

    class Meta:
        ordering = ["-created"]
        verbose_name = _("screening round")
        verbose_name_plural = _("screening rounds")
        constraints = [models.UniqueConstraint(fields=["incident"],
                                               name="health_one_round_per_incident")]

    def __str__(self) -> str:
        return str(_("Screening after %(incident)s") % {"incident": self.incident})

    def get_absolute_url(self) -> str:
        return reverse("health:screeninground_detail", args=[self.pk])


class Screening(ScopedModel):
    """One resident's place in a round and, once screened, their PHQ-9 and GAD-7 answers and
    scores. Answers are encrypted; totals and bands stay plain for sorting the worklist."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="screenings")
    round = models.ForeignKey(ScreeningRound, verbose_name=_("screening round"),
                              on_delete=models.CASCADE, related_name="screenings")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"),
                                 on_delete=models.PROTECT, related_name="screenings")
    priority = models.PositiveSmallIntegerField(_("priority"), default=9)
    answers = EncryptedTextField(_("answers"))  # JSON {"phq9": [...], "gad7": [...]}
    phq9_total = models.PositiveSmallIntegerField(_("PHQ-9 score"), null=True, blank=True)
    phq9_severity = models.CharField(_("PHQ-9 severity"), max_length=20, blank=True)
    gad7_total = models.PositiveSmallIntegerField(_("GAD-7 score"), null=True, blank=True)
    gad7_severity = models.CharField(_("GAD-7 severity"), max_length=20, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False,
                                 help_text=_("PHQ-9 item 9 (thoughts of self-harm) above 0."))
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("screened by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    sensitive_fields = ("answers",)
    scope_paths = {"community": "community"}
    access = SCREENING_ACCESS

    class Meta:
        ordering = ["round", "priority", "resident__name", "id"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        constraints = [models.UniqueConstraint(fields=["round", "resident"],
                                               name="health_screening_once_per_round")]

    def __str__(self) -> str:
        return f"{self.resident} · {self.round.incident}"

    def get_absolute_url(self) -> str:
        return reverse("health:screening_detail", args=[self.pk])

    def phq9_label(self) -> str:
        return str(SEVERITY_LABELS.get(self.phq9_severity, ""))

    def gad7_label(self) -> str:
        return str(SEVERITY_LABELS.get(self.gad7_severity, ""))


class Referral(ScopedModel):
    """A referral to counselling, a clinic or psychiatric care: open → accepted → closed."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="health_referrals")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"),
                                 on_delete=models.PROTECT, related_name="health_referrals")
    screening = models.ForeignKey(Screening, verbose_name=_("screening"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="referrals")
    target = models.CharField(_("referred to"), max_length=12, choices=ReferralTarget.choices)
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices,
                              default=ReferralStatus.OPEN, db_index=True)
    reason = EncryptedTextField(_("reason"))
    outcome = EncryptedTextField(_("outcome"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("referred by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    sensitive_fields = ("reason", "outcome")
    scope_paths = {"community": "community"}
    access = SCREENING_ACCESS

    class Meta:
        ordering = ["status", "-created"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return str(_("referral of %(name)s") % {"name": self.resident})

    def get_absolute_url(self) -> str:
        return reverse("health:referral_detail", args=[self.pk])
