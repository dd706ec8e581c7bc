from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.assessment.vocab import Dimension, Method, Weighting
from resilience.core.models import ChangeLoggedModel


class Index(ChangeLoggedModel):
    """How indicator values combine into one resilience score: the method, the weighting and
    which indicators take part. Platform-wide configuration (edited by the platform admin), so
    every community of a street is scored the same way and can be compared.

    ``dimension_weights`` (manual weighting) maps a dimension to its weight; ``pairwise`` (AHP)
    holds the judgements between dimensions as ``{"physical/social": 3, …}`` (Saaty's 1–9 scale,
    the reciprocal implied); ``indicators`` lists the indicator codes used (empty: the whole
    catalogue); ``indicator_weights`` optionally weighs indicators inside their dimension.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices,
                              default=Method.TARGET)
    weighting = models.CharField(_("weighting"), max_length=10, choices=Weighting.choices,
                                 default=Weighting.EQUAL)
    dimension_weights = models.JSONField(_("dimension weights"), default=dict, blank=True)
    pairwise = models.JSONField(_("pairwise judgements"), default=dict, blank=True)
    indicators = models.JSONField(_("indicators"), default=list, blank=True,
                                  help_text=_("Indicator codes; empty for the whole catalogue."))
    indicator_weights = models.JSONField(_("indicator weights"), default=dict, blank=True)
    is_default = models.BooleanField(_("default index"), default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("resilience index")
        verbose_name_plural = _("resilience indices")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assessment:index_detail", args=[self.pk])

    def clean(self):
        known = set(Dimension.values)
        unknown = set(self.dimension_weights or {}) - known
        if unknown:
            raise ValidationError({"dimension_weights": _("Unknown dimension: %(name)s.") % {
                "name": sorted(unknown)[0]}})
