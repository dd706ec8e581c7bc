"""The health archive (健康档案) of a resident and what it holds.

Everything that names an illness is encrypted at rest (conditions, medications, allergies,
notes); a keyed hash of the condition code allows de-duplication without the clear text. Only
health workers of the community, admins and the resident themself (view) reach these rows.
"""
from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core import crypto
from resilience.core.fields import EncryptedTextField
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SELF, Role, grant
from resilience.health.vocab import (
    ICD10_SYSTEM, CareNeed, ConditionStatus, ConsentPurpose, DeviceType, Mobility, icd10_display,
    icd10_label,
)

# Health workers of the community edit; the resident sees their own. Staff, grid workers,
# volunteers, property and the street office get nothing: they see the derived tags only.
HEALTH_ACCESS = {
    Role.HEALTH_WORKER: grant(COMMUNITY, *EDIT, "reveal"),
    Role.RESIDENT: grant(SELF, "view"),
}


def _json_list(text: str) -> list:
    return json.loads(text) if text else []


class HealthArchive(ScopedModel):
    """One resident's health archive: mobility, care needs, allergies, family doctor, and the
    conditions, medications, devices and consents attached to it. Saving it (or any of its
    conditions/devices) re-derives the resident's health vulnerability tags."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="health_archives")
    resident = models.OneToOneField("people.Resident", verbose_name=_("resident"),
                                    on_delete=models.PROTECT, related_name="health_archive")
    mobility = models.CharField(_("mobility"), max_length=12, choices=Mobility.choices,
                                default=Mobility.INDEPENDENT)
    care_needs_data = EncryptedTextField(_("care needs"))  # JSON list of CareNeed values
    allergies = EncryptedTextField(_("allergies"))
    family_doctor = EncryptedTextField(_("family doctor"))
    clinic = models.ForeignKey("places.Facility", verbose_name=_("clinic"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    notes = EncryptedTextField(_("notes"))
    derived_tags_data = EncryptedTextField(editable=False)  # tags this archive added
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    sensitive_fields = ("care_needs_data", "allergies", "family_doctor", "notes",
                        "derived_tags_data")
    scope_paths = {"community": "community", "user": "resident__user"}
    access = HEALTH_ACCESS

    class Meta:
        ordering = ["community", "resident__name"]
        verbose_name = _("health archive")
        verbose_name_plural = _("health archives")

    def __str__(self) -> str:
        return str(_("Health archive of %(name)s") % {"name": self.resident.name})

    def get_absolute_url(self) -> str:
        return reverse("health:healtharchive_detail", args=[self.pk])

    @property
    def care_needs(self) -> list[str]:
        return _json_list(self.care_needs_data)

    @care_needs.setter
    def care_needs(self, values) -> None:
        values = sorted(set(values or ()))
        self.care_needs_data = json.dumps(values) if values else ""

    def care_need_labels(self) -> list[str]:
        return [str(CareNeed(v).label) for v in self.care_needs if v in CareNeed.values]

    @property
    def derived_tags(self) -> list[str]:
        return _json_list(self.derived_tags_data)

    @derived_tags.setter
    def derived_tags(self, values) -> None:
        values = sorted(set(values or ()))
        self.derived_tags_data = json.dumps(values) if values else ""

    def current_consent(self, purpose: str):
        """The consent in force for ``purpose`` today, or None."""
        today = timezone.localdate()
        return (self.consents.filter(purpose=purpose, granted_on__lte=today)
                .filter(models.Q(withdrawn_on__isnull=True) | models.Q(withdrawn_on__gt=today))
                .order_by("-granted_on", "-id").first())

    def clean(self):
        errors = {}
        unknown = [v for v in self.care_needs if v not in CareNeed.values]
        if unknown:
            errors["care_needs"] = _("Unknown care needs: %(values)s") % {"values": ", ".join(unknown)}
        if self.resident_id:
            if not self.community_id:
                self.community_id = self.resident.community_id
            elif self.resident.community_id != self.community_id:
                errors["resident"] = _("The resident lives in another community.")
        if self.clinic_id and self.community_id and self.clinic.community_id != self.community_id:
            errors["clinic"] = _("It belongs to another community.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.resident_id and not self.community_id:
            self.community_id = self.resident.community_id
        if not self._state.adding and kwargs.get("update_fields") is None:
            # derived_tags is written only by services.archives.rederive_tags: a stale copy of
            # the archive must not put back tags it no longer derives.
            kwargs["update_fields"] = [f.name for f in self._meta.concrete_fields
                                       if not f.primary_key and f.name != "derived_tags_data"]
        super().save(*args, **kwargs)


class ArchivePart(ScopedModel):
    """A record inside an archive: scoped, logged and reached like the archive itself."""

    archive = models.ForeignKey(HealthArchive, verbose_name=_("health archive"),
                                on_delete=models.CASCADE, related_name="%(class)ss")

    scope_paths = {"community": "archive__community", "user": "archive__resident__user"}
    access = HEALTH_ACCESS

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return self.archive.get_absolute_url()


class Condition(ArchivePart):
    """A diagnosed condition, coded in ICD-10 from the curated list. Code and name are
    encrypted; ``code_hash`` keeps one row per code and archive."""

    system = models.CharField(_("code system"), max_length=60, default=ICD10_SYSTEM,
                              editable=False)
    code = EncryptedTextField(_("ICD-10 code"), blank=False)
    code_hash = models.CharField(max_length=64, editable=False, db_index=True)
    display = EncryptedTextField(_("condition"))
    onset = models.DateField(_("onset"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ConditionStatus.choices,
                              default=ConditionStatus.ACTIVE)
    note = EncryptedTextField(_("note"))

    sensitive_fields = ("code", "display", "note")

    class Meta:
        ordering = ["archive", "onset", "id"]
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        constraints = [models.UniqueConstraint(fields=["archive", "code_hash"],
                                               name="health_condition_code_once")]

    def __str__(self) -> str:
        # Never the code or name: this string lands in the change and access logs.
        return str(_("condition #%(id)s") % {"id": self.pk})

    @property
    def label(self) -> str:
        """The name shown on pages: in Chinese for a curated code when the page is in Chinese."""
        return icd10_label(self.code, self.display)

    def clean(self):
        errors = {}
        self.code = (self.code or "").strip().upper()
        display = icd10_display(self.code)
        if not self.code:
            errors["code"] = _("Give the ICD-10 code.")
        elif display is None:
            errors["code"] = _("“%(code)s” is not on the list of ICD-10 codes this community "
                               "records.") % {"code": self.code}
        elif not self.display:
            self.display = display
        if self.onset and self.onset > timezone.localdate():
            errors["onset"] = _("The onset is in the future.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.code = (self.code or "").strip().upper()
        self.display = self.display or icd10_display(self.code) or ""
        self.code_hash = crypto.keyed_hash(self.code, "icd10")
        super().save(*args, **kwargs)


class Medication(ArchivePart):
    """A regular medication and how many days of supply the resident held on a date."""

    name = EncryptedTextField(_("medication"), blank=False)
    dose = EncryptedTextField(_("dose"))
    days_supply = models.PositiveIntegerField(_("days of supply held"), default=0)
    recorded_on = models.DateField(_("supply recorded on"), default=timezone.localdate)

    sensitive_fields = ("name", "dose")

    class Meta:
        ordering = ["archive", "id"]
        verbose_name = _("medication")
        verbose_name_plural = _("medications")

    def __str__(self) -> str:
        return str(_("medication #%(id)s") % {"id": self.pk})  # the name would reveal illness

    @property
    def runs_out_on(self) -> dt.date:
        return self.recorded_on + dt.timedelta(days=self.days_supply)

    def clean(self):
        if not (self.name or "").strip():
            raise ValidationError({"name": _("Give the medication's name.")})


class Device(ArchivePart):
    """A home medical device; those that need power matter in a power cut."""

    device_type = models.CharField(_("device type"), max_length=24, choices=DeviceType.choices)
    needs_power = models.BooleanField(_("needs power"), default=True)
    battery_hours = models.DecimalField(_("backup battery (hours)"), max_digits=5,
                                        decimal_places=1, null=True, blank=True)
    note = EncryptedTextField(_("note"))

    sensitive_fields = ("note",)

    class Meta:
        ordering = ["archive", "id"]
        verbose_name = _("home medical device")
        verbose_name_plural = _("home medical devices")

    def __str__(self) -> str:
        return str(_("device #%(id)s") % {"id": self.pk})

    def clean(self):
        if self.device_type not in DeviceType.values:
            raise ValidationError({"device_type": _("Choose the type of device.")})
        if self.battery_hours is not None and self.battery_hours < 0:
            raise ValidationError({"battery_hours": _("Give 0 or more hours.")})


class Consent(ArchivePart):
    """The resident's consent for one purpose, from ``granted_on`` until ``withdrawn_on``."""

    purpose = models.CharField(_("purpose"), max_length=12, choices=ConsentPurpose.choices)
    granted_on = models.DateField(_("granted on"), default=timezone.localdate)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["archive", "-granted_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return str(self.get_purpose_display())

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.granted_on <= today and (self.withdrawn_on is None or self.withdrawn_on > today)

    def clean(self):
        if self.withdrawn_on and self.granted_on and self.withdrawn_on < self.granted_on:
            raise ValidationError({"withdrawn_on": _("It cannot be withdrawn before it was granted.")})
