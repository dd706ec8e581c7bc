from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from shapely.geometry import Point

from resilience.core.geo import centroid, parse_geometry, validate_any_geometry
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, ORGANISATION, SCOPE, community_record, grant
from resilience.risks.vocab import GRADE_COLOUR, Grade, Method, RiskType


class RiskSource(ScopedModel):
    """A risk source (风险源) in the register: what could go wrong where, who owns it, how bad.

    ``score`` and ``grade`` are derived by ``risks.grading`` from the latest assessment (matrix or
    LEC); each assessment is kept in ``RiskAssessment``.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="risks")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="risks")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="risks")
    facility = models.ForeignKey("places.Facility", verbose_name=_("facility"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="risks")
    risk_type = models.CharField(_("risk type"), max_length=20, choices=RiskType.choices)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    geometry = models.JSONField(_("location"), null=True, blank=True,
                                validators=[validate_any_geometry])
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    owner = models.ForeignKey("people.Organisation", verbose_name=_("owner organisation"),
                              null=True, blank=True, on_delete=models.SET_NULL, related_name="risks")
    controls = models.TextField(_("controls in place"), blank=True)
    advice = models.TextField(_("what residents should do"), blank=True)
    method = models.CharField(_("assessment method"), max_length=10, choices=Method.choices,
                              default=Method.MATRIX)
    inputs = models.JSONField(_("assessment inputs"), default=dict, blank=True,
                              help_text=_("matrix: likelihood, consequence (1–5); "
                                          "LEC: l, e, c from the LEC tables"))
    score = models.FloatField(pgettext_lazy("risk", "score"), null=True, blank=True,
                              editable=False)
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices, blank=True,
                             editable=False, db_index=True)
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)

    scope_paths = {"community": "community", "grid": "grid", "organisation": "owner"}
    access = community_record(
        grid_worker={**grant(COMMUNITY, "view"), **grant(SCOPE, "add", "change")},
        property={**grant(COMMUNITY, "view"), **grant(ORGANISATION, "change")},
    )

    class Meta:
        ordering = ["community", "name"]
        verbose_name = _("risk source")
        verbose_name_plural = _("risk sources")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("risks:risksource_detail", args=[self.pk])

    @property
    def colour(self) -> str:
        return GRADE_COLOUR.get(self.grade, "")

    def clean(self):
        errors = self.foreign_community_errors("grid", "building", "facility", "owner")
        if errors:
            raise ValidationError(errors)
        place = self.building if self.building_id else self.facility if self.facility_id else None
        if place is not None and place.grid_id:
            if not self.grid_id:
                self.grid_id = place.grid_id
            elif self.grid_id != place.grid_id:
                raise ValidationError({"grid": _("The building or facility lies in another grid.")})
        self._clean_location()

    def _clean_location(self) -> None:
        """The point or area lies within the community's boundary; the point defaults to the
        area's centroid."""
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError({"longitude": _("Give both latitude and longitude, or neither.")})
        area = None
        if self.geometry:
            try:
                area = parse_geometry(self.geometry)
            except ValidationError:
                return  # the field validator reports the geometry's problem
            if self.latitude is None:
                self.latitude, self.longitude = centroid(self.geometry)
        boundary = self.community.geometry if self.community_id else None
        if not boundary:
            return
        try:
            inside = parse_geometry(boundary).buffer(1e-9)
        except ValidationError:
            return
        if area is not None and not inside.covers(area):
            raise ValidationError({"geometry": _("The location lies outside the community.")})
        if self.latitude is not None and not inside.covers(Point(self.longitude, self.latitude)):
            raise ValidationError({"latitude": _("The point lies outside the community.")})


class RiskAssessment(models.Model):
    """One assessment of a risk source: the method, its inputs, the score and grade it gave."""

    risk = models.ForeignKey(RiskSource, verbose_name=_("risk source"), on_delete=models.CASCADE,
                             related_name="assessments")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    inputs = models.JSONField(_("inputs"))
    score = models.FloatField(pgettext_lazy("risk", "score"))
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    assessed_at = models.DateTimeField(_("assessed"), auto_now_add=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assessed by"),
                                    null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")

    def __str__(self) -> str:
        return f"{self.risk} · {self.get_grade_display()} ({self.score:g})"
