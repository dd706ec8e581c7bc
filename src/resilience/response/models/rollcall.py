"""Roll-call (点名) of the vulnerable residents of an incident's area."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.models import ScopedModel
from resilience.core.roles import EDIT, SCOPE, SELF, Role, grant
from resilience.response.vocab import HelperKind, RollCallStatus


class RollCall(ScopedModel):
    """One roll-call of an incident: every vulnerable resident of the area, each paired with a
    helper (grid worker or volunteer) by a balanced assignment."""

    incident = models.ForeignKey("response.Incident", verbose_name=_("incident"),
                                 on_delete=models.CASCADE, related_name="rollcalls")
    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"),
                                   null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(pgettext_lazy("time", "closed"), null=True, blank=True)
    total_distance_m = models.FloatField(_("total walking distance (m)"), default=0)

    scope_paths = {"community": "community"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant("community", "view"),
        Role.VOLUNTEER: grant("community", "view"),
        Role.HEALTH_WORKER: grant("community", "view"),
    }

    class Meta:
        ordering = ["-created"]
        verbose_name = _("roll-call")
        verbose_name_plural = _("roll-calls")

    def __str__(self) -> str:
        from django.utils import timezone

        return f"{self.incident} · {timezone.localtime(self.created):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("response:rollcall_detail", args=[self.pk])


class RollCallEntry(ScopedModel):
    """One vulnerable resident on a roll-call, their helper, and what the helper found."""

    rollcall = models.ForeignKey(RollCall, verbose_name=_("roll-call"), on_delete=models.CASCADE,
                                 related_name="entries")
    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"),
                                 on_delete=models.CASCADE, related_name="+")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("helper"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="rollcall_entries")
    helper_kind = models.CharField(_("helper kind"), max_length=20, choices=HelperKind.choices,
                                   blank=True)
    distance_m = models.FloatField(_("distance (m)"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=9)
    status = models.CharField(_("status"), max_length=12, choices=RollCallStatus.choices,
                              default=RollCallStatus.PENDING, db_index=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marked by"),
                                  null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField(pgettext_lazy("time", "marked"), null=True, blank=True)

    scope_paths = {"community": "community", "grid": "grid", "user": "helper"}
    # "verify": may mark an entry on behalf of its helper.
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT, "verify"),
        Role.GRID_WORKER: grant(SCOPE, "view"),
        Role.VOLUNTEER: grant(SELF, "view"),
        Role.HEALTH_WORKER: grant(SELF, "view"),
    }

    class Meta:
        ordering = ["priority", "grid", "building", "id"]
        verbose_name = _("roll-call entry")
        verbose_name_plural = _("roll-call entries")
        constraints = [models.UniqueConstraint(fields=["rollcall", "resident"],
                                               name="response_rollcall_resident_once")]
        indexes = [models.Index(fields=["rollcall", "helper"], name="response_rollcall_mine")]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_status_display()}"
