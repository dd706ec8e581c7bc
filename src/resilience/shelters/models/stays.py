from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.fields import EncryptedTextField
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant


class Stay(ScopedModel):
    """One person's stay in a shelter, from check-in to check-out: a registered resident or a
    walk-in known only by name (and phone, encrypted)."""

    shelter = models.ForeignKey("shelters.Shelter", verbose_name=_("shelter"),
                                on_delete=models.PROTECT, related_name="stays")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="stays")
    walk_in_name = models.CharField(_("walk-in name"), max_length=60, blank=True)
    walk_in_phone = EncryptedTextField(_("walk-in phone"))
    # The incident this stay belongs to, when the response app records one (no FK yet).
    incident_id = models.PositiveIntegerField(_("incident"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked in by"),
                                      null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checked_out_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked out by"),
                                       null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")

    sensitive_fields = ("walk_in_phone",)
    scope_paths = {"community": "shelter__facility__community", "grid": "shelter__facility__grid",
                   "household": "resident__household"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT, "reveal"),
        Role.GRID_WORKER: grant(COMMUNITY, "view", "add", "change"),
        Role.VOLUNTEER: grant(COMMUNITY, "view", "add", "change"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(SCOPE, "view"),
    }

    class Meta:
        ordering = ["-checked_in_at"]
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        constraints = [
            models.UniqueConstraint(fields=["resident"],
                                    condition=models.Q(checked_out_at__isnull=True,
                                                       resident__isnull=False),
                                    name="stay_one_open_stay_per_resident"),
        ]
        indexes = [models.Index(fields=["shelter", "checked_out_at"])]

    def __str__(self) -> str:
        return self.person_name

    def get_absolute_url(self) -> str:
        return reverse("shelters:shelter_detail", args=[self.shelter_id])

    @property
    def person_name(self) -> str:
        return self.resident.name if self.resident_id else self.walk_in_name

    @property
    def is_open(self) -> bool:
        return self.checked_out_at is None

    def clean(self):
        if not self.resident_id and not self.walk_in_name.strip():
            raise ValidationError(_("Choose a registered resident or give the walk-in's name."))
