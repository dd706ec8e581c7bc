"""Mutual aid between the communities of a street (or district).

A community asks its street for help (``AidRequest``); the street office answers with steps, each
recorded: a stock transfer between the two communities' ledgers (``StockTransfer``), volunteers
lent for a while (``VolunteerLoan``, which grants a membership in the receiving community that
ends when the loan does), or evacuees pointed to a neighbouring community's shelter
(``ShelterReferral``). The steps are the street's records (scope: the region); each community
sees its own side through its ledger, its memberships and its requests.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import SCOPE, Role, grant
from resilience.street.vocab import AidKind, AidStatus, LoanStatus

STREET_RECORD = {Role.OFFICE: grant(SCOPE, "view", "add", "change")}


class AidRequest(ScopedModel):
    """A community's request to its street for supplies, volunteers or shelter places."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="aid_requests")
    region = models.ForeignKey("places.Region", verbose_name=_("street"),
                               on_delete=models.PROTECT, related_name="aid_requests",
                               editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=AidKind.choices)
    item_name = models.CharField(_("supply"), max_length=120, blank=True,
                                 help_text=_("For supplies: what is needed, e.g. bottled water."))
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3,
                                   help_text=_("Units of supply, volunteers or shelter places."))
    needed_by = models.DateTimeField(_("needed by"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AidStatus.choices,
                              default=AidStatus.OPEN, db_index=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    scope_paths = {"community": "community", "region": "region"}
    access = {
        Role.OFFICE: grant(SCOPE, "view", "change"),
        Role.STAFF: grant(SCOPE, "view", "add", "change"),
    }

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("mutual-aid request")
        verbose_name_plural = _("mutual-aid requests")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0),
                                              name="street_aid_quantity_positive")]

    def __str__(self) -> str:
        what = self.item_name or self.get_kind_display()
        return f"{self.community} · {what} × {self.quantity.normalize():f}"

    def get_absolute_url(self) -> str:
        return reverse("street:aid_detail", args=[self.pk])

    def save(self, *args, **kwargs):
        if self.community_id and not self.region_id:
            self.region_id = self.community.region_id
        super().save(*args, **kwargs)


class StockTransfer(ScopedModel):
    """Supplies moved from one community's warehouse to another's. The two ledgers carry a
    movement each (out of the giver's lots, into the receiver's) sharing ``transfer_key``."""

    region = models.ForeignKey("places.Region", verbose_name=_("street"),
                               on_delete=models.PROTECT, related_name="stock_transfers")
    request = models.ForeignKey(AidRequest, verbose_name=_("request"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="transfers")
    from_community = models.ForeignKey("places.Community", verbose_name=_("from"),
                                       on_delete=models.PROTECT, related_name="+")
    to_community = models.ForeignKey("places.Community", verbose_name=_("to"),
                                     on_delete=models.PROTECT, related_name="+")
    from_item = models.ForeignKey("relief.Item", verbose_name=_("item given"),
                                  on_delete=models.PROTECT, related_name="+")
    to_item = models.ForeignKey("relief.Item", verbose_name=_("item received"),
                                on_delete=models.PROTECT, related_name="+")
    from_warehouse = models.ForeignKey("places.Facility", verbose_name=_("from warehouse"),
                                       on_delete=models.PROTECT, related_name="+")
    to_warehouse = models.ForeignKey("places.Facility", verbose_name=_("to warehouse"),
                                     on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    transfer_key = models.CharField(max_length=36, db_index=True, editable=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    scope_paths = {"region": "region"}
    access = STREET_RECORD

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stock transfer between communities")
        verbose_name_plural = _("stock transfers between communities")

    def __str__(self) -> str:
        return f"{self.from_item} × {self.quantity.normalize():f}: {self.from_community} → {self.to_community}"


class VolunteerLoan(ScopedModel):
    """A volunteer lent by one community to another for a while. ``membership`` is the volunteer
    membership created in the receiving community; its ``valid_until`` is ``ends``, so the scope
    lapses by itself, and ending the loan early shortens it."""

    region = models.ForeignKey("places.Region", verbose_name=_("street"),
                               on_delete=models.PROTECT, related_name="volunteer_loans")
    request = models.ForeignKey(AidRequest, verbose_name=_("request"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="loans")
    volunteer = models.ForeignKey("people.Volunteer", verbose_name=_("volunteer"),
                                  on_delete=models.PROTECT, related_name="loans")
    from_community = models.ForeignKey("places.Community", verbose_name=_("from"),
                                       on_delete=models.PROTECT, related_name="+")
    to_community = models.ForeignKey("places.Community", verbose_name=_("to"),
                                     on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("people.Membership", verbose_name=_("membership granted"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    starts = models.DateTimeField(_("starts"))
    ends = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=10, choices=LoanStatus.choices,
                              default=LoanStatus.ACTIVE, editable=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    scope_paths = {"region": "region"}
    access = STREET_RECORD

    class Meta:
        ordering = ["-starts", "-id"]
        verbose_name = _("volunteer loan")
        verbose_name_plural = _("volunteer loans")
        constraints = [models.CheckConstraint(condition=Q(ends__gt=models.F("starts")),
                                              name="street_loan_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.volunteer}: {self.from_community} → {self.to_community}"


class ShelterReferral(ScopedModel):
    """Evacuees of one community pointed to a shelter of a neighbouring community."""

    region = models.ForeignKey("places.Region", verbose_name=_("street"),
                               on_delete=models.PROTECT, related_name="shelter_referrals")
    request = models.ForeignKey(AidRequest, verbose_name=_("request"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="referrals")
    from_community = models.ForeignKey("places.Community", verbose_name=_("from"),
                                       on_delete=models.PROTECT, related_name="+")
    shelter = models.ForeignKey("shelters.Shelter", verbose_name=_("shelter"),
                                on_delete=models.PROTECT, related_name="referrals")
    places = models.PositiveIntegerField(_("places"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    # The host community's staff see who is coming to their shelters (the street sees all).
    scope_paths = {"region": "region", "community": "shelter__facility__community"}
    access = {**STREET_RECORD, Role.STAFF: grant(SCOPE, "view")}

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("shelter referral")
        verbose_name_plural = _("shelter referrals")
        constraints = [models.CheckConstraint(condition=Q(places__gt=0),
                                              name="street_referral_places_positive")]

    def __str__(self) -> str:
        return f"{self.from_community} → {self.shelter} × {self.places}"
