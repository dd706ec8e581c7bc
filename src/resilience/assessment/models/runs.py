from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.assessment.vocab import Source
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant

ASSESSMENT_ACCESS = {
    Role.OFFICE: grant(SCOPE, "view", "add"),
    Role.STAFF: grant(SCOPE, *EDIT),
    Role.GRID_WORKER: grant(COMMUNITY, "view"),
}


class AssessmentRun(ScopedModel):
    """One assessment of a community with one index at one time: the score, the score of each
    dimension, and (in ``values``) every indicator value with its inputs — so trends and "why did
    it change" can be read back later. Never edited after it is written."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="assessment_runs")
    index = models.ForeignKey("assessment.Index", verbose_name=_("index"),
                              on_delete=models.PROTECT, related_name="runs")
    at = models.DateTimeField(_("time"), db_index=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    dimension_scores = models.JSONField(_("dimension scores"), default=dict, blank=True)
    weights = models.JSONField(_("weights used"), default=dict, blank=True)
    consistency_ratio = models.FloatField(_("AHP consistency ratio"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_paths = {"community": "community"}
    access = ASSESSMENT_ACCESS

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        indexes = [models.Index(fields=["community", "index", "-at"])]

    def __str__(self) -> str:
        return f"{self.community} · {self.index} · {self.at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:run_detail", args=[self.pk])


class IndicatorValue(ScopedModel):
    """The value of one indicator in one run: raw value, the 0–100 score it earned, its band and
    the inputs it was computed from (numerator, denominator, counts…)."""

    run = models.ForeignKey(AssessmentRun, verbose_name=_("run"), on_delete=models.CASCADE,
                            related_name="values")
    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=60, db_index=True)
    dimension = models.CharField(_("dimension"), max_length=20)
    value = models.FloatField(_("value"), null=True, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    weight = models.FloatField(_("weight"), default=0)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices,
                              default=Source.COMPUTED)

    scope_paths = {"community": "community"}
    access = ASSESSMENT_ACCESS

    class Meta:
        ordering = ["run", "dimension", "indicator"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [models.UniqueConstraint(fields=["run", "indicator"],
                                               name="assessment_value_unique")]

    def __str__(self) -> str:
        return f"{self.indicator} = {self.value}"


class IndicatorEntry(ScopedModel):
    """A value entered from a survey or imported for an indicator that is not computed from live
    data. The newest entry on or before an assessment's time is the one used."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="indicator_entries")
    indicator = models.CharField(_("indicator"), max_length=60, db_index=True)
    value = models.FloatField(_("value"))
    measured_on = models.DateField(_("measured on"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices,
                              default=Source.SURVEY)
    note = models.CharField(_("note"), max_length=200, blank=True,
                            help_text=_("Where the figure comes from."))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    scope_paths = {"community": "community"}
    access = ASSESSMENT_ACCESS

    class Meta:
        ordering = ["community", "indicator", "-measured_on"]
        verbose_name = _("indicator entry")
        verbose_name_plural = _("indicator entries")

    def __str__(self) -> str:
        return f"{self.indicator} = {self.value} ({self.measured_on})"
