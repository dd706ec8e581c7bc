"""Residents' needs requests (需求登记) and how they are met: priority, dispatch batches, events."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, SELF, Role, grant
from resilience.relief.vocab import (BatchStatus, NeedKind, RequestStatus, Urgency,
                                     VisitReason)


class NeedRequest(ScopedModel):
    """A need of one resident (or household): medicine, a medical visit, food, care, pet care,
    psychological help.

    Filed by the resident (portal) or by a grid worker on their behalf. ``priority`` is computed by
    ``relief.priority`` from urgency, the person's vulnerability, waiting time and how many similar
    requests wait in the same building; ``priority_reasons`` keeps the parts so the reason can be
    shown. Statuses open → assigned → in delivery → fulfilled (with proof) / cannot fulfil (with
    a reason); ``due_at`` is the service-time target of the kind, ``escalated_at`` when it was
    passed and escalated.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="need_requests")
    household = models.ForeignKey("people.Household", verbose_name=_("household"),
                                  on_delete=models.PROTECT, related_name="need_requests")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"), null=True,
                                 blank=True, on_delete=models.SET_NULL,
                                 related_name="need_requests",
                                 help_text=_("The person in need, if one member of the household."))
    building = models.ForeignKey("places.Building", verbose_name=_("building"),
                                 on_delete=models.PROTECT, related_name="need_requests",
                                 editable=False)
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True,
                             on_delete=models.PROTECT, related_name="need_requests",
                             editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=NeedKind.choices)
    visit_reason = models.CharField(_("reason for the visit"), max_length=20,
                                    choices=VisitReason.choices, blank=True)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices,
                                               default=Urgency.NORMAL)
    description = models.TextField(_("description"), blank=True)
    medicine = models.CharField(_("medicine"), max_length=120, blank=True,
                                help_text=_("Which medicine (for medicine requests)."))
    days_left = models.PositiveSmallIntegerField(
        _("days of supply left"), null=True, blank=True,
        help_text=_("How long the resident's current supply lasts."))
    item = models.ForeignKey("relief.Item", verbose_name=_("supply item"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="need_requests")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, null=True,
                                   blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices,
                              default=RequestStatus.OPEN, db_index=True)
    priority = models.FloatField(_("priority"), default=0, db_index=True)
    priority_reasons = models.JSONField(_("priority reasons"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due by"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    volunteer = models.ForeignKey("people.Volunteer", verbose_name=_("volunteer"), null=True,
                                  blank=True, on_delete=models.SET_NULL,
                                  related_name="need_requests")
    batch = models.ForeignKey("relief.DispatchBatch", verbose_name=_("dispatch batch"),
                              null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="requests")
    proof = models.FileField(_("proof of delivery"), upload_to="relief/proof/%Y/%m/", blank=True)
    proof_note = models.TextField(_("delivery note"), blank=True)
    outcome_reason = models.TextField(_("why it cannot be fulfilled"), blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("time", "closed"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_paths = {"community": "community", "grid": "grid", "household": "household",
                   "user": "volunteer__user"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, "view", "add", "change"),
        Role.VOLUNTEER: grant(SELF, "view", "change"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(SCOPE, "view", "add"),
    }

    class Meta:
        ordering = ["-priority", "created", "id"]
        verbose_name = _("needs request")
        verbose_name_plural = _("needs requests")
        indexes = [models.Index(fields=["community", "status", "-priority"],
                                name="relief_request_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.household}"

    def get_absolute_url(self) -> str:
        return reverse("relief:needrequest_detail", args=[self.pk])

    def clean(self):
        errors = self.foreign_community_errors("household", "item", "volunteer")
        if self.resident_id and self.household_id and self.resident.household_id != self.household_id:
            errors["resident"] = _("The resident does not live in this household.")
        if self.kind == NeedKind.MEDICAL_VISIT and not self.visit_reason:
            errors["visit_reason"] = _("Say why the visit is needed.")
        if self.kind != NeedKind.MEDICAL_VISIT and self.visit_reason:
            errors["visit_reason"] = _("Only a medical visit has a reason for the visit.")
        if self.kind == NeedKind.MEDICINE and not (self.medicine or self.item_id):
            errors["medicine"] = _("Say which medicine.")
        if self.quantity is not None and self.quantity <= 0:
            errors["quantity"] = _("It must be more than zero.")
        if self.household_id and "household" not in errors:
            self.building_id = self.household.building_id
            self.grid_id = self.household.building.grid_id
        if errors:
            raise ValidationError(errors)


class RequestEvent(models.Model):
    """One step in a request's life (filed, assigned, picked up, delivered, refused…), for the
    timeline the resident and staff see."""

    request = models.ForeignKey(NeedRequest, verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="events")
    at = models.DateTimeField(_("time"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"


class DispatchBatch(ScopedModel):
    """Requests of one building given to one volunteer in one trip, in route order.

    ``route`` holds the request ids in the order the volunteer should visit them; ``picks`` the
    stock to take from which warehouse (``[{"item": id, "warehouse": id, "quantity": "…"}]``).
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="dispatch_batches")
    building = models.ForeignKey("places.Building", verbose_name=_("building"),
                                 on_delete=models.PROTECT, related_name="dispatch_batches")
    volunteer = models.ForeignKey("people.Volunteer", verbose_name=_("volunteer"), null=True,
                                  blank=True, on_delete=models.SET_NULL,
                                  related_name="dispatch_batches")
    status = models.CharField(_("status"), max_length=12, choices=BatchStatus.choices,
                              default=BatchStatus.PLANNED, db_index=True)
    route = models.JSONField(_("route"), default=list, blank=True)
    picks = models.JSONField(_("stock to pick"), default=list, blank=True)
    distance_m = models.FloatField(_("distance (m)"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_paths = {"community": "community", "grid": "building__grid", "user": "volunteer__user"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, "view", "add", "change"),
        Role.VOLUNTEER: grant(SELF, "view", "change"),
    }

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("dispatch batch")
        verbose_name_plural = _("dispatch batches")

    def __str__(self) -> str:
        return f"{self.building} · {self.volunteer or '—'}"

    def get_absolute_url(self) -> str:
        return reverse("relief:dispatchbatch_detail", args=[self.pk])
