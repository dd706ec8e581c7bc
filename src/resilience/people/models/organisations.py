from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, ORGANISATION, community_record, grant
from resilience.people.vocab import OrganisationKind


class Organisation(ScopedModel):
    """A committee, property company, social organisation, enterprise or volunteer team."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="organisations")
    kind = models.CharField(_("type"), max_length=20, choices=OrganisationKind.choices)
    name = models.CharField(_("name"), max_length=150)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True,
                             help_text=_("An office number, not a personal one."))
    address = models.CharField(_("address"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    scope_paths = {"community": "community", "organisation": "pk"}
    access = community_record(property={**grant(COMMUNITY, "view"), **grant(ORGANISATION, "change")})

    class Meta:
        ordering = ["community", "kind", "name"]
        unique_together = [("community", "name")]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:organisation_detail", args=[self.pk])
