from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.assessment.models.runs import ASSESSMENT_ACCESS
from resilience.assessment.vocab import StressKind
from resilience.core.models import ScopedModel


class StressTest(ScopedModel):
    """A stress scenario computed from the registry at one time (``assessment.stress.run``): its
    parameters and the shortfalls it found, kept so a later run can be compared after
    improvements."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="stress_tests")
    kind = models.CharField(_("scenario"), max_length=20, choices=StressKind.choices)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    scope_paths = {"community": "community"}
    access = ASSESSMENT_ACCESS

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stress test")
        verbose_name_plural = _("stress tests")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.community} · {self.at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:stress_detail", args=[self.pk])


class SelfEvaluation(ScopedModel):
    """A self-evaluation against the national comprehensive disaster-reduction demonstration
    community criteria (``assessment.checklist``): basic conditions met or not, points per scored
    element with the evidence found in the platform, manual attestations, the total and whether
    it passes (all basic conditions and ≥ 80 of 100 points)."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="self_evaluations")
    at = models.DateTimeField(_("time"), db_index=True)
    items = models.JSONField(_("items"), default=list, blank=True)
    attestations = models.JSONField(_("attestations"), default=dict, blank=True,
                                    help_text=_("Items judged by hand: code → note."))
    total = models.FloatField(_("points"), default=0)
    passed = models.BooleanField(_("passes"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    scope_paths = {"community": "community"}
    access = ASSESSMENT_ACCESS

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("self-evaluation")
        verbose_name_plural = _("self-evaluations")

    def __str__(self) -> str:
        return f"{self.community} · {self.at:%Y-%m-%d} · {self.total:.0f}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:evaluation_detail", args=[self.pk])
