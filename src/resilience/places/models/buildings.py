from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.geo import validate_geometry
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, ORGANISATION, SCOPE, community_record, grant
from resilience.places.vocab import Structure


def validate_footprint(value):
    validate_geometry(value, {"Polygon", "MultiPolygon", "Point"})


class Building(ScopedModel):
    """A residential or public building, in one grid of one community."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="buildings")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="buildings")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    geometry = models.JSONField(_("footprint"), null=True, blank=True,
                                validators=[validate_footprint])
    latitude = models.FloatField(_("latitude"), null=True, blank=True,
                                 validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), null=True, blank=True,
                                  validators=[MinValueValidator(-180), MaxValueValidator(180)])
    floors = models.PositiveSmallIntegerField(_("floors above ground"), default=6,
                                              validators=[MinValueValidator(1), MaxValueValidator(200)])
    basement_floors = models.PositiveSmallIntegerField(_("floors below ground"), default=0)
    year_built = models.PositiveSmallIntegerField(
        _("year built"), null=True, blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)])
    structure = models.CharField(_("structure"), max_length=20, choices=Structure.choices,
                                 default=Structure.BRICK_CONCRETE)
    has_elevator = models.BooleanField(_("has elevator"), default=False)
    manager = models.ForeignKey("people.Organisation", verbose_name=_("property manager"),
                                null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="managed_buildings")

    scope_paths = {"community": "community", "grid": "grid", "organisation": "manager"}
    access = community_record(
        grid_worker={**grant(COMMUNITY, "view"), **grant(SCOPE, "change")},
        property={**grant(COMMUNITY, "view"), **grant(ORGANISATION, "change")},
    )

    class Meta:
        ordering = ["community", "code"]
        unique_together = [("community", "code")]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("places:building_detail", args=[self.pk])

    def clean(self):
        if self.grid_id and self.community_id and self.grid.community_id != self.community_id:
            raise ValidationError({"grid": _("The grid belongs to another community.")})
        if self.geometry and (self.latitude is None or self.longitude is None):
            from resilience.core.geo import centroid, parse_geometry

            try:
                parse_geometry(self.geometry)
            except ValidationError:
                return  # the field validator reports the geometry's problem
            self.latitude, self.longitude = centroid(self.geometry)


class Unit(ScopedModel):
    """A unit (单元): one entrance and stairwell of a building."""

    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.CASCADE,
                                 related_name="units")
    number = models.CharField(_("number"), max_length=16)
    has_elevator = models.BooleanField(_("has elevator"), default=False)

    scope_paths = {"community": "building__community", "grid": "building__grid"}
    access = Building.access

    class Meta:
        ordering = ["building", "number"]
        unique_together = [("building", "number")]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return _("%(building)s unit %(number)s") % {"building": self.building, "number": self.number}

    def get_absolute_url(self) -> str:
        return reverse("places:unit_detail", args=[self.pk])
