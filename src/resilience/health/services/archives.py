"""Health archives: opening one, adding what it holds, logging every read, and re-deriving the
resident's health vulnerability tags.

Tag rule: the archive governs ``chronic_illness`` (an active or in-remission condition),
``dialysis`` (a dialysis machine), ``oxygen`` (an oxygen concentrator), ``medical_device`` (any
other home medical device) and ``bedridden`` (mobility). On every save it **adds** the tags it
derives and **removes** only tags it derived before and no longer derives (remembered,
encrypted, in ``HealthArchive.derived_tags``). A tag staff set by hand is never removed by the
archive, unless the archive later derived it too — from then on the archive owns it. Tags the
archive does not govern (elderly living alone, pregnant, low income…) are never touched.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from resilience.core.actor import acting_as, current_source
from resilience.core.scope import can, can_any
from resilience.core.services import log_reveal
from resilience.health.models import (
    Condition, Consent, Device, HealthArchive, Medication,
)
from resilience.health.vocab import DIALYSIS_DEVICES, ConditionStatus, DeviceType, Mobility
from resilience.people.models import Resident
from resilience.people.vocab import Vulnerability as V

GOVERNED_TAGS = frozenset({V.CHRONIC_ILLNESS, V.DIALYSIS, V.OXYGEN, V.MEDICAL_DEVICE,
                           V.BEDRIDDEN})
ARCHIVE_FIELDS = ("conditions", "medications", "devices", "allergies", "care_needs",
                  "family_doctor", "consents")


def acting(user):
    return acting_as(user, current_source() or "health")


# --- reading ---------------------------------------------------------------------------------

def read_archive(user, archive: HealthArchive, channel: str = "web", ip: str | None = None,
                 fields: Iterable[str] = ARCHIVE_FIELDS) -> HealthArchive:
    """Check ``user`` may view the archive and write the access-log entry; call before showing
    any of its content (page, API, FHIR export)."""
    if not can(user, "view", archive):
        raise PermissionDenied(_("You may not read this health archive."))
    log_reveal(user, archive, fields, channel=channel, ip=ip)
    return archive


# --- derived tags ----------------------------------------------------------------------------

def derive_tags(archive: HealthArchive) -> set[str]:
    """The health tags the archive's content implies now."""
    tags: set[str] = set()
    if archive.conditions.filter(status__in=(ConditionStatus.ACTIVE,
                                             ConditionStatus.REMISSION)).exists():
        tags.add(V.CHRONIC_ILLNESS)
    for device_type in archive.devices.values_list("device_type", flat=True):
        if device_type in DIALYSIS_DEVICES:
            tags.add(V.DIALYSIS)
        elif device_type == DeviceType.OXYGEN_CONCENTRATOR:
            tags.add(V.OXYGEN)
        else:
            tags.add(V.MEDICAL_DEVICE)
    if archive.mobility == Mobility.BEDRIDDEN:
        tags.add(V.BEDRIDDEN)
    return {str(t) for t in tags}


def rederive_tags(archive: HealthArchive) -> list[str]:
    """Bring the resident's health tags in line with the archive (see the module's rule);
    returns the resident's tags after."""
    with transaction.atomic():
        locked = HealthArchive.objects.select_for_update().get(pk=archive.pk)
        resident = Resident.objects.select_for_update().get(pk=locked.resident_id)
        now = derive_tags(locked)
        before = set(locked.derived_tags)
        tags = (set(resident.tags) - (before - now)) | now
        if tags != set(resident.tags):
            resident.tags = tags
            resident.save()
        if before != now:
            locked.derived_tags = now
            # update(): a save would send post_save and re-derive again
            HealthArchive.objects.filter(pk=locked.pk).update(
                derived_tags_data=locked.derived_tags_data)
        archive.derived_tags_data = locked.derived_tags_data
    return resident.tags


def release_tags(archive: HealthArchive) -> None:
    """Remove the tags the archive derived (it is being deleted); hand-set tags stay."""
    resident = Resident.objects.select_for_update().get(pk=archive.resident_id)
    derived = set(archive.derived_tags)
    if derived & set(resident.tags):
        resident.tags = set(resident.tags) - derived
        resident.save()


# --- writing ---------------------------------------------------------------------------------

def open_archive(user, resident: Resident, **fields) -> HealthArchive:
    """The resident's archive, created (by a health worker of their community) if missing."""
    existing = HealthArchive.objects.filter(resident=resident).first()
    if existing is not None:
        if not can(user, "view", existing):
            raise PermissionDenied(_("You may not read this health archive."))
        return existing
    if not can_any(user, "add", HealthArchive):
        raise PermissionDenied(_("Only health workers may open health archives."))
    archive = HealthArchive(resident=resident, community_id=resident.community_id,
                            created_by=user if user is not None and user.pk else None, **fields)
    archive.clean()
    with acting(user), transaction.atomic():
        archive.save()
        if not can(user, "add", archive):
            raise PermissionDenied(_("You may not open an archive for a resident of another "
                                     "community."))
    return archive


def add_part(user, archive: HealthArchive, model, **fields):
    """Add a condition, medication, device or consent to an archive ``user`` may change."""
    part = model(archive=archive, **fields)
    part.clean()
    if model is Condition and Condition.objects.filter(
            archive=archive, code_hash=_code_hash(part.code)).exists():
        raise ValidationError({"code": _("This condition is already in the archive.")})
    with acting(user), transaction.atomic():
        if not can(user, "change", archive):
            raise PermissionDenied(_("You may not change this health archive."))
        part.save()
    return part


def remove_part(user, part) -> None:
    """Delete a condition, medication, device or consent from its archive."""
    with acting(user), transaction.atomic():
        if not can(user, "change", part.archive):
            raise PermissionDenied(_("You may not change this health archive."))
        part.delete()


def withdraw_consent(user, consent: Consent, on=None) -> Consent:
    """Mark a consent withdrawn (today unless ``on``)."""
    from django.utils import timezone

    on = on or timezone.localdate()
    if on < consent.granted_on:
        raise ValidationError({"withdrawn_on": _("It cannot be withdrawn before it was granted.")})
    with acting(user), transaction.atomic():
        if not can(user, "change", consent.archive):
            raise PermissionDenied(_("You may not change this health archive."))
        consent.withdrawn_on = on
        consent.save()
    return consent


def _code_hash(code: str) -> str:
    from resilience.core import crypto

    return crypto.keyed_hash((code or "").strip().upper(), "icd10")


PART_MODELS = {"condition": Condition, "medication": Medication, "device": Device,
               "consent": Consent}
