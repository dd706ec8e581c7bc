from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core import crypto
from resilience.core.fields import EncryptedTextField
from resilience.core.models import ScopedModel
from resilience.core.roles import EDIT, SCOPE, SELF, Role, grant
from resilience.people.vocab import Availability, Skill


class Volunteer(ScopedModel):
    """A volunteer: skills, when they can help, and where they live (to send the nearest)."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="volunteers")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user account"),
                                null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="volunteer")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident record"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    phone = EncryptedTextField(_("phone"))
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    availability = models.CharField(_("availability"), max_length=20, choices=Availability.choices,
                                    default=Availability.WEEKENDS)
    home_building = models.ForeignKey("places.Building", verbose_name=_("home building"),
                                      null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="volunteers")
    team = models.ForeignKey("people.Organisation", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="volunteers")
    active = models.BooleanField(_("active"), default=True)

    sensitive_fields = ("phone",)
    scope_paths = {"community": "community", "grid": "home_building__grid", "user": "user",
                   "organisation": "team"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT, "reveal"),
        Role.GRID_WORKER: grant("community", "view"),
        Role.VOLUNTEER: grant(SELF, "view", "change", "reveal"),
    }

    class Meta:
        ordering = ["community", "name"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:volunteer_detail", args=[self.pk])

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(self.phone)

    def skill_labels(self) -> list[str]:
        return [str(Skill(s).label) for s in self.skills if s in Skill.values]

    def clean(self):
        errors = {}
        if not isinstance(self.skills, list):
            errors["skills"] = _("Skills must be a list.")
        else:
            unknown = [s for s in self.skills if s not in Skill.values]
            if unknown:
                errors["skills"] = _("Unknown skills: %(skills)s") % {"skills": ", ".join(map(str, unknown))}
        if self.home_building_id and self.community_id and self.home_building.community_id != self.community_id:
            errors["home_building"] = _("The building belongs to another community.")
        if self.team_id and self.community_id and self.team.community_id != self.community_id:
            errors["team"] = _("The team belongs to another community.")
        if errors:
            raise ValidationError(errors)

    def prepare(self) -> None:
        """Fill the derived columns; ``bulk_create`` callers must call it."""
        self.phone_hash = crypto.keyed_hash(self.phone, "phone")

    def save(self, *args, **kwargs):
        self.prepare()
        super().save(*args, **kwargs)
