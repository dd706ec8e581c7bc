from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, SELF, Role, grant


class Pairing(ScopedModel):
    """A standing pair (结对帮扶): a vulnerable resident and the volunteer who checks on them first
    when a warning goes out or a roll-call starts. A pairing in force has no ``ended`` date (or
    one still to come); ending it keeps the record, so "who was paired when" stays readable for
    the assessment of past dates."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="pairings",
                                  editable=False)
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"),
                                 on_delete=models.CASCADE, related_name="pairings")
    volunteer = models.ForeignKey("people.Volunteer", verbose_name=_("helper"),
                                  on_delete=models.CASCADE, related_name="pairings")
    since = models.DateField(_("since"), default=timezone.localdate)
    ended = models.DateField(_("ended"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True,
                            help_text=_("e.g. calls every morning, holds a spare key"))

    scope_paths = {"community": "community", "grid": "resident__household__building__grid",
                   "user": "volunteer__user"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, "view", "add", "change"),
        Role.VOLUNTEER: grant(SELF, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["community", "-since", "-id"]
        verbose_name = _("helper pairing")
        verbose_name_plural = _("helper pairings")
        constraints = [
            models.UniqueConstraint(fields=["resident", "volunteer"],
                                    condition=Q(ended__isnull=True),
                                    name="people_pairing_one_open_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} ↔ {self.volunteer}"

    def get_absolute_url(self) -> str:
        return reverse("people:pairing_detail", args=[self.pk])

    @property
    def in_force(self) -> bool:
        return self.ended is None or self.ended > timezone.localdate()

    def clean(self):
        errors = {}
        if self.resident_id and self.volunteer_id:
            if self.volunteer.community_id != self.resident.community_id:
                errors["volunteer"] = _("The helper volunteers in another community.")
            elif self.volunteer.resident_id == self.resident_id:
                errors["volunteer"] = _("A resident cannot be their own helper.")
            elif not self.volunteer.active:
                errors["volunteer"] = _("This volunteer is not active.")
        if self.ended and self.since and self.ended < self.since:
            errors["ended"] = _("The pairing cannot end before it starts.")
        if (self.resident_id and self.volunteer_id and self.ended is None
                and Pairing.objects.filter(resident_id=self.resident_id,
                                           volunteer_id=self.volunteer_id, ended__isnull=True)
                .exclude(pk=self.pk).exists()):
            errors["volunteer"] = _("This volunteer is already paired with the resident.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.resident_id:
            self.community_id = self.resident.community_id
        super().save(*args, **kwargs)
