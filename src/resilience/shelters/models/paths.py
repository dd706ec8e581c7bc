from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import community_record


class PathEdge(ScopedModel):
    """A straight walking segment of the community's walking graph. Its ends are nodes named by
    their coordinates rounded to 5 decimals (about a metre), so segments that meet share a node."""

    class Source(models.TextChoices):
        GENERATED = "generated", _("generated from the layout")
        IMPORTED = "imported", _("imported")

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.CASCADE, related_name="path_edges")
    from_lat = models.FloatField(_("from latitude"))
    from_lng = models.FloatField(_("from longitude"))
    to_lat = models.FloatField(_("to latitude"))
    to_lng = models.FloatField(_("to longitude"))
    length = models.FloatField(_("length (m)"))
    blocked = models.BooleanField(_("blocked"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices,
                              default=Source.GENERATED)

    scope_paths = {"community": "community"}
    access = community_record()

    class Meta:
        ordering = ["community", "pk"]
        verbose_name = _("walking path")
        verbose_name_plural = _("walking paths")

    def __str__(self) -> str:
        return f"({self.from_lat:.5f}, {self.from_lng:.5f}) → ({self.to_lat:.5f}, {self.to_lng:.5f})"


class EvacuationPlan(ScopedModel):
    """The last computed evacuation plan of a community (see ``shelters.evacuation``)."""

    community = models.OneToOneField("places.Community", verbose_name=_("community"),
                                     on_delete=models.CASCADE, related_name="evacuation_plan")
    computed_at = models.DateTimeField(_("computed at"))
    result = models.JSONField(_("plan"), default=dict)

    scope_paths = {"community": "community"}
    access = community_record()

    class Meta:
        verbose_name = _("evacuation plan")
        verbose_name_plural = _("evacuation plans")

    def __str__(self) -> str:
        return str(self.community)
