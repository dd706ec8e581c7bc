"""Supplies: items, stock per warehouse and lot, the movement ledger, reserve norms, and
distributions to buildings or households.

Warehouses are ``places.Facility`` rows of kind ``warehouse``. ``StockLot.quantity`` is the
running balance of one item in one warehouse with one expiry date; every change to it is a
``StockMovement`` written in the same transaction, so for every lot the sum of its movements equals
its quantity (the ledger always balances) and a quantity never goes below zero.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant
from resilience.relief.vocab import MovementKind, NormBasis, SupplyCategory


class Item(ScopedModel):
    """A kind of supply the community stocks: bottled water 550 ml, instant noodles, N95 mask…"""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="supply_items")
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=SupplyCategory.choices)
    unit = models.CharField(_("unit"), max_length=20, help_text=_("e.g. bottle, box, piece, kg"))
    perishable = models.BooleanField(_("has an expiry date"), default=False)
    per_capita_amount = models.DecimalField(
        _("amount per norm unit"), max_digits=12, decimal_places=3, null=True, blank=True,
        help_text=_("How much of the norm one unit covers, e.g. 0.55 (litres) for a 550 ml "
                    "bottle when the water norm is in litres. Empty: one unit is one norm unit."))

    scope_paths = {"community": "community"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["community", "category", "name"]
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")
        constraints = [models.UniqueConstraint(fields=["community", "name", "unit"],
                                               name="relief_item_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    def get_absolute_url(self) -> str:
        return reverse("relief:item_detail", args=[self.pk])

    def clean(self):
        if self.per_capita_amount is not None and self.per_capita_amount <= 0:
            raise ValidationError({"per_capita_amount": _("It must be more than zero.")})


class StockLot(ScopedModel):
    """The balance of one item in one warehouse with one expiry date (none if not perishable)."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="stock_lots")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT,
                             related_name="lots")
    warehouse = models.ForeignKey("places.Facility", verbose_name=_("warehouse"),
                                  on_delete=models.PROTECT, related_name="stock_lots")
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=0)

    scope_paths = {"community": "community"}
    access = Item.access

    class Meta:
        ordering = ["item", "expires_on", "warehouse"]
        verbose_name = _("stock lot")
        verbose_name_plural = _("stock lots")
        constraints = [
            # two constraints, because NULLs are distinct in a plain unique index
            models.UniqueConstraint(fields=["item", "warehouse", "expires_on"],
                                    name="relief_lot_unique"),
            models.UniqueConstraint(fields=["item", "warehouse"],
                                    condition=Q(expires_on__isnull=True),
                                    name="relief_lot_unique_no_expiry"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="relief_lot_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item} @ {self.warehouse} · {self.expires_on or '—'}"


class StockMovement(ScopedModel):
    """One line of the ledger: received, issued, transferred or a stock-take adjustment.

    ``quantity`` is signed for the lot it touches: + into ``lot``, − out of it. A transfer writes two
    movements sharing ``transfer_key`` (− from the source lot, + into the destination lot).
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="stock_movements")
    lot = models.ForeignKey(StockLot, verbose_name=_("lot"), on_delete=models.PROTECT,
                            related_name="movements")
    kind = models.CharField(_("kind"), max_length=10, choices=MovementKind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    balance_after = models.DecimalField(_("balance after"), max_digits=14, decimal_places=3)
    transfer_key = models.CharField(max_length=36, blank=True, db_index=True, editable=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    request = models.ForeignKey("relief.NeedRequest", verbose_name=_("request"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="movements")
    distribution = models.ForeignKey("relief.Distribution", verbose_name=_("distribution"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="movements")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    scope_paths = {"community": "community"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, "view", "add"),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} · {self.lot}"


class ReserveNorm(ScopedModel):
    """How much of a category a community should hold: e.g. drinking water 3 litres per person
    per day for 3 days. ``community`` empty = the platform default, a community row overrides it.

    With ``PERSON_DAY`` the days of autonomy of a category are stock ÷ (amount × population); the
    other bases give a target quantity only.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"), null=True,
                                  blank=True, on_delete=models.CASCADE,
                                  related_name="reserve_norms")
    category = models.CharField(_("category"), max_length=20, choices=SupplyCategory.choices)
    basis = models.CharField(_("counted"), max_length=12, choices=NormBasis.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20)
    days = models.PositiveSmallIntegerField(_("days to cover"), default=3)
    note = models.CharField(_("source"), max_length=200, blank=True)

    scope_paths = {"community": "community"}
    access = Item.access

    class Meta:
        ordering = ["category"]
        verbose_name = _("reserve norm")
        verbose_name_plural = _("reserve norms")
        constraints = [
            models.UniqueConstraint(fields=["community", "category"], name="relief_norm_unique"),
            models.UniqueConstraint(fields=["category"], condition=Q(community__isnull=True),
                                    name="relief_norm_unique_default"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.amount} {self.unit} {self.get_basis_display()}"

    def get_absolute_url(self) -> str:
        return reverse("relief:reservenorm_detail", args=[self.pk])

    def clean(self):
        if self.amount is not None and self.amount <= 0:
            raise ValidationError({"amount": _("It must be more than zero.")})


class Distribution(ScopedModel):
    """Supplies handed out to a building (its residents) or one household, recorded against stock."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="distributions")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT,
                             related_name="distributions")
    warehouse = models.ForeignKey("places.Facility", verbose_name=_("warehouse"),
                                  on_delete=models.PROTECT, related_name="distributions")
    building = models.ForeignKey("places.Building", verbose_name=_("building"),
                                 on_delete=models.PROTECT, related_name="distributions")
    household = models.ForeignKey("people.Household", verbose_name=_("household"), null=True,
                                  blank=True, on_delete=models.PROTECT,
                                  related_name="distributions")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    scope_paths = {"community": "community", "grid": "building__grid", "household": "household"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, "view", "add"),
        Role.GRID_WORKER: grant(SCOPE, "view", "add"),
        Role.RESIDENT: grant(SCOPE, "view"),
    }

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity} → {self.household or self.building}"

    def get_absolute_url(self) -> str:
        return reverse("relief:distribution_detail", args=[self.pk])

    def clean(self):
        errors = self.foreign_community_errors("item", "warehouse", "building", "household")
        if self.household_id and self.building_id and self.household.building_id != self.building_id:
            errors["household"] = _("The household is not in this building.")
        if self.quantity is not None and self.quantity <= 0:
            errors["quantity"] = _("It must be more than zero.")
        if errors:
            raise ValidationError(errors)
