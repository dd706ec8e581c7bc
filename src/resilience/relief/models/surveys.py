"""Needs surveys: questions sent to a building or grid, answered per household by residents on
the portal or entered by building leads on paper's behalf."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant
from resilience.relief.vocab import NeedKind, QuestionKind, SurveyStatus


class Survey(ScopedModel):
    """A needs survey of the community, one grid or one building, open for answers for a while."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="surveys")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="surveys",
                             help_text=_("Leave empty for the whole community."))
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="surveys",
                                 help_text=_("Leave empty for the whole grid or community."))
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SurveyStatus.choices,
                              default=SurveyStatus.DRAFT, db_index=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_paths = {"community": "community", "grid": "grid"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("needs survey")
        verbose_name_plural = _("needs surveys")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("relief:survey_detail", args=[self.pk])

    def clean(self):
        errors = self.foreign_community_errors("grid", "building")
        if self.building_id and "building" not in errors:
            if self.grid_id and self.building.grid_id != self.grid_id:
                errors["building"] = _("The building is not in the chosen grid.")
            else:
                self.grid_id = self.building.grid_id
        if errors:
            raise ValidationError(errors)


class SurveyQuestion(models.Model):
    """One question. A choice question may map each choice to a need (``needs``: choice → need
    kind) and mark urgent choices (``urgent``), which is how answers become a ranked list of needs.
    """

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE,
                               related_name="questions")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    needs = models.JSONField(_("needs of the choices"), default=dict, blank=True,
                             help_text=_("Choice → kind of need it reveals."))
    urgent = models.JSONField(_("urgent choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    min_value = models.DecimalField(_("smallest number"), max_digits=12, decimal_places=3,
                                    null=True, blank=True)
    max_value = models.DecimalField(_("largest number"), max_digits=12, decimal_places=3,
                                    null=True, blank=True)
    need_kind = models.CharField(_("need asked about"), max_length=20, choices=NeedKind.choices,
                                 blank=True)

    class Meta:
        ordering = ["survey", "order", "id"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")

    def __str__(self) -> str:
        return self.text

    def clean(self):
        errors = {}
        if self.kind in (QuestionKind.CHOICE, QuestionKind.MULTI):
            if not isinstance(self.choices, list) or len(self.choices) < 2 or not all(
                    isinstance(c, str) and c.strip() for c in self.choices):
                errors["choices"] = _("A choice question needs at least two choices.")
            elif len(set(self.choices)) != len(self.choices):
                errors["choices"] = _("Each choice must be different.")
            else:
                unknown = (set(self.needs or {}) | set(self.urgent or [])) - set(self.choices)
                if unknown:
                    errors["needs"] = _("Not among the choices: %(names)s.") % {
                        "names": ", ".join(sorted(unknown))}
                bad = {v for v in (self.needs or {}).values()} - set(NeedKind.values)
                if bad:
                    errors["needs"] = _("Unknown kind of need: %(names)s.") % {
                        "names": ", ".join(sorted(map(str, bad)))}
        elif self.choices:
            errors["choices"] = _("Only choice questions have choices.")
        if (self.min_value is not None and self.max_value is not None
                and self.min_value > self.max_value):
            errors["max_value"] = _("It must not be below the smallest number.")
        if errors:
            raise ValidationError(errors)


class SurveyResponse(ScopedModel):
    """One household's answers (``answers``: question id → value). One per survey and household;
    ``entered_by`` is whoever typed it (the resident, or a building lead from a paper form)."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE,
                               related_name="responses")
    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("people.Household", verbose_name=_("household"),
                                  on_delete=models.PROTECT, related_name="survey_responses")
    building = models.ForeignKey("places.Building", verbose_name=_("building"),
                                 on_delete=models.PROTECT, related_name="+", editable=False)
    answers = models.JSONField(_("answers"), default=dict)
    on_paper = models.BooleanField(_("entered from paper"), default=False)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_paths = {"community": "community", "grid": "building__grid", "household": "household"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, "view", "add", "change"),
        Role.RESIDENT: grant(SCOPE, "view", "add", "change"),
    }

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [models.UniqueConstraint(fields=["survey", "household"],
                                               name="relief_one_response_per_household")]

    def __str__(self) -> str:
        return f"{self.survey} · {self.household}"
