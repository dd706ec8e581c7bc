from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.geo import validate_any_geometry
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, ORGANISATION, community_record, grant
from resilience.places.vocab import CAPACITY_KINDS, FacilityKind


class Facility(ScopedModel):
    """A facility that matters in an emergency: power room, hydrant, shelter, warehouse…"""

    class Status(models.TextChoices):
        IN_SERVICE = "in_service", _("in service")
        OUT_OF_SERVICE = "out_of_service", _("out of service")
        UNDER_REPAIR = "under_repair", _("under repair")

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="facilities")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="facilities")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="facilities")
    kind = models.CharField(_("type"), max_length=30, choices=FacilityKind.choices)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    latitude = models.FloatField(_("latitude"), null=True, blank=True,
                                 validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), null=True, blank=True,
                                  validators=[MinValueValidator(-180), MaxValueValidator(180)])
    geometry = models.JSONField(_("area"), null=True, blank=True,
                                validators=[validate_any_geometry])
    owner = models.ForeignKey("people.Organisation", verbose_name=_("owner organisation"),
                              null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="facilities")
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True,
                                           help_text=_("People for a shelter; places or units otherwise."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.IN_SERVICE)
    notes = models.TextField(_("notes"), blank=True)

    scope_paths = {"community": "community", "grid": "grid", "organisation": "owner"}
    access = community_record(property={**grant(COMMUNITY, "view"), **grant(ORGANISATION, "change")})

    class Meta:
        ordering = ["community", "kind", "code"]
        unique_together = [("community", "code")]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("places:facility_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.grid_id and self.community_id and self.grid.community_id != self.community_id:
            errors["grid"] = _("The grid belongs to another community.")
        if self.building_id and self.community_id and self.building.community_id != self.community_id:
            errors["building"] = _("The building belongs to another community.")
        if self.kind == FacilityKind.SHELTER and not self.capacity:
            errors["capacity"] = _("A shelter needs a capacity (people it can hold).")
        if self.capacity and self.kind and self.kind not in CAPACITY_KINDS:
            errors["capacity"] = _("This type of facility has no capacity.")
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Give both latitude and longitude, or neither.")
        if errors:
            raise ValidationError(errors)
        if self.latitude is None and self.building_id and self.building.latitude is not None:
            self.latitude, self.longitude = self.building.latitude, self.building.longitude
