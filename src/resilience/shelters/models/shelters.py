from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, ORGANISATION, community_record, grant

# GB 21734 (emergency shelters): at least 1.5 m² per person; we plan with 2 m² by default.
DEFAULT_M2_PER_PERSON = 2.0


def m2_per_person() -> float:
    """Floor area one sheltered person needs; ``SHELTER_M2_PER_PERSON`` in settings overrides it."""
    value = float(getattr(settings, "SHELTER_M2_PER_PERSON", DEFAULT_M2_PER_PERSON))
    if value <= 0:
        raise ValueError("SHELTER_M2_PER_PERSON must be a positive number of square metres")
    return value


class ShelterStatus(models.TextChoices):
    CLOSED = "closed", _("closed")
    OPEN = "open", pgettext_lazy("shelter", "open")
    FULL = "full", _("full")


class Shelter(ScopedModel):
    """The shelter profile of a facility of type shelter: whether it is open, how many people it
    holds (by places and by floor area), what it offers. Occupancy is the count of open stays."""

    facility = models.OneToOneField("places.Facility", verbose_name=_("facility"),
                                    on_delete=models.CASCADE, related_name="shelter",
                                    limit_choices_to={"kind": "shelter"})
    status = models.CharField(_("status"), max_length=10, choices=ShelterStatus.choices,
                              default=ShelterStatus.CLOSED)
    floor_area = models.FloatField(_("floor area (m²)"), null=True, blank=True,
                                   validators=[MinValueValidator(0)])
    has_water = models.BooleanField(_("drinking water"), default=False)
    has_toilets = models.BooleanField(_("toilets"), default=False)
    has_power = models.BooleanField(_("power"), default=False)
    has_medical = models.BooleanField(_("medical point"), default=False)
    is_accessible = models.BooleanField(_("step-free access"), default=False)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    scope_paths = {"community": "facility__community", "grid": "facility__grid",
                   "organisation": "facility__owner"}
    access = community_record(property={**grant(COMMUNITY, "view"), **grant(ORGANISATION, "change")})

    class Meta:
        ordering = ["facility__community", "facility__code"]
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")

    def __str__(self) -> str:
        return str(self.facility)

    def get_absolute_url(self) -> str:
        return reverse("shelters:shelter_detail", args=[self.pk])

    @property
    def community(self):
        return self.facility.community

    @property
    def area_capacity(self) -> int | None:
        """People the floor area holds at the configured m² per person."""
        if self.floor_area is None:
            return None
        return math.floor(self.floor_area / m2_per_person() + 1e-9)

    @property
    def effective_capacity(self) -> int:
        """The smaller of the places and the area capacity, whichever are known (0 if neither)."""
        known = [c for c in (self.facility.capacity, self.area_capacity) if c is not None]
        return min(known) if known else 0

    @property
    def occupancy(self) -> int:
        """People checked in and not yet out (an annotation ``current`` is used when present)."""
        current = getattr(self, "current", None)
        if current is not None:
            return current
        return self.stays.filter(checked_out_at__isnull=True).count()

    @property
    def free_places(self) -> int:
        return max(self.effective_capacity - self.occupancy, 0)

    def clean(self):
        if self.facility_id and self.facility.kind != "shelter":
            raise ValidationError({"facility": _("Only a facility of type shelter can have a "
                                                 "shelter profile.")})
