"""Group purchases (团购) organised per building: what can be ordered, and each household's order."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import EDIT, SCOPE, Role, grant
from resilience.relief.vocab import PurchaseStatus


class GroupPurchase(ScopedModel):
    """A building's group purchase: the offer (``lines``), households' orders, and its status
    collecting → ordered → delivered → closed (or cancelled)."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="group_purchases")
    building = models.ForeignKey("places.Building", verbose_name=_("building"),
                                 on_delete=models.PROTECT, related_name="group_purchases")
    title = models.CharField(_("title"), max_length=200)
    supplier = models.CharField(_("supplier"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=PurchaseStatus.choices,
                              default=PurchaseStatus.COLLECTING, db_index=True)
    order_by = models.DateTimeField(_("orders close at"), null=True, blank=True)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("organiser"),
                                  null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    scope_paths = {"community": "community", "grid": "building__grid"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, *EDIT),
        Role.RESIDENT: grant(SCOPE, "view"),
    }

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("group purchase")
        verbose_name_plural = _("group purchases")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("relief:grouppurchase_detail", args=[self.pk])

    def clean(self):
        errors = self.foreign_community_errors("building")
        if errors:
            raise ValidationError(errors)


class PurchaseLine(models.Model):
    """One thing on offer in a group purchase, with its price and the most a household may take."""

    purchase = models.ForeignKey(GroupPurchase, verbose_name=_("group purchase"),
                                 on_delete=models.CASCADE, related_name="lines")
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=20)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True,
                                blank=True)
    max_per_household = models.PositiveIntegerField(_("most per household"), null=True,
                                                    blank=True)

    class Meta:
        ordering = ["purchase", "id"]
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class PurchaseOrder(ScopedModel):
    """A household's order in a group purchase: ``quantities`` maps line id → how many."""

    purchase = models.ForeignKey(GroupPurchase, verbose_name=_("group purchase"),
                                 on_delete=models.CASCADE, related_name="orders")
    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("people.Household", verbose_name=_("household"),
                                  on_delete=models.PROTECT, related_name="purchase_orders")
    quantities = models.JSONField(_("quantities"), default=dict)
    delivered = models.BooleanField(_("delivered"), default=False)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_paths = {"community": "community", "grid": "household__building__grid",
                   "household": "household"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, *EDIT),
        Role.RESIDENT: grant(SCOPE, "view", "add", "change"),
    }

    class Meta:
        ordering = ["purchase", "household"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        constraints = [models.UniqueConstraint(fields=["purchase", "household"],
                                               name="relief_one_order_per_household")]

    def __str__(self) -> str:
        return f"{self.purchase} · {self.household}"
