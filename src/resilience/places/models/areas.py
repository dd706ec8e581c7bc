from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.geo import validate_geometry
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, community_record, grant
from resilience.places.vocab import RegionLevel

AREA_TYPES = {"Polygon", "MultiPolygon"}


def validate_area(value):
    validate_geometry(value, AREA_TYPES)


class Region(ScopedModel):
    """A city, district or street (sub-district): the levels above a community."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    geometry = models.JSONField(_("boundary"), null=True, blank=True, validators=[validate_area])

    scope_paths = {"region": "pk"}
    access = {
        Role.OFFICE: grant(SCOPE, *EDIT),
        Role.STAFF: grant(COMMUNITY, "view"),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("places:region_detail", args=[self.pk])

    def clean(self):
        order = [RegionLevel.CITY, RegionLevel.DISTRICT, RegionLevel.STREET]
        if self.parent and order.index(self.parent.level) >= order.index(self.level):
            raise ValidationError({"parent": _("A %(level)s cannot be inside a %(parent)s.") % {
                "level": self.get_level_display(), "parent": self.parent.get_level_display()}})


class Community(ScopedModel):
    """A residents' committee's area: the unit the platform is built around."""

    code = models.SlugField(_("code"), max_length=32, unique=True,
                            help_text=_("Short code used in MQTT topics and URLs."))
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, verbose_name=_("street"), on_delete=models.PROTECT,
                               related_name="communities")
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    geometry = models.JSONField(_("boundary"), null=True, blank=True, validators=[validate_area])
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    scope_paths = {"community": "pk", "region": "region"}
    access = {
        Role.OFFICE: grant(SCOPE, *EDIT),
        Role.STAFF: grant(SCOPE, "view", "change"),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.PROPERTY: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("places:community_detail", args=[self.pk])


class Grid(ScopedModel):
    """A grid (网格): the patch of a community one grid worker looks after."""

    community = models.ForeignKey(Community, verbose_name=_("community"), on_delete=models.PROTECT,
                                  related_name="grids")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    geometry = models.JSONField(_("boundary"), null=True, blank=True, validators=[validate_area])

    scope_paths = {"community": "community", "grid": "pk"}
    access = community_record()

    class Meta:
        ordering = ["community", "code"]
        unique_together = [("community", "code")]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("places:grid_detail", args=[self.pk])
