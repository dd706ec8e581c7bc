from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core import crypto
from resilience.core.fields import EncryptedTextField
from resilience.core.models import ScopedModel
from resilience.core.roles import EDIT, SCOPE, Role, grant


class Household(ScopedModel):
    """A household (户): the people living at one address — a room of a unit of a building."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="households")
    building = models.ForeignKey("places.Building", verbose_name=_("building"),
                                 on_delete=models.PROTECT, related_name="households")
    unit = models.ForeignKey("places.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="households")
    room = models.CharField(_("room"), max_length=16)
    code = models.CharField(_("code"), max_length=40)
    phone = EncryptedTextField(_("household phone"))
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)

    sensitive_fields = ("phone",)
    scope_paths = {"community": "community", "grid": "building__grid", "household": "pk"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT, "reveal"),
        Role.GRID_WORKER: grant(SCOPE, "view", "add", "change", "reveal"),
        Role.HEALTH_WORKER: grant(SCOPE, "view"),
        Role.RESIDENT: grant(SCOPE, "view", "reveal"),
    }

    class Meta:
        ordering = ["community", "building", "room"]
        unique_together = [("community", "code")]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        unit = f"{self.unit.number}-" if self.unit_id else ""
        return f"{self.building} {unit}{self.room}"

    def get_absolute_url(self) -> str:
        return reverse("people:household_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.building_id and self.community_id and self.building.community_id != self.community_id:
            errors["building"] = _("The building belongs to another community.")
        if self.unit_id and self.building_id and self.unit.building_id != self.building_id:
            errors["unit"] = _("The unit belongs to another building.")
        if errors:
            raise ValidationError(errors)

    def prepare(self) -> None:
        """Fill the derived columns; ``bulk_create`` callers must call it."""
        self.phone_hash = crypto.keyed_hash(self.phone, "phone")
        if self.building_id and not self.community_id:
            self.community_id = self.building.community_id

    def save(self, *args, **kwargs):
        self.prepare()
        super().save(*args, **kwargs)
