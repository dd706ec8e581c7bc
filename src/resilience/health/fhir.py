"""HL7 FHIR exchange of a resident's health archive, built and checked with ``fhir.resources``.

We use the library's **R4B** models (``fhir.resources.R4B``): the library's current release
(8.x) models R5 by default and R4B beside it, and no longer ships plain R4. R4B is R4 with
corrections to medication-definition and evidence resources only; Patient, Condition,
MedicationStatement, Device, CarePlan and Consent are unchanged from R4, so a Bundle we export
reads as R4 in Chinese regional health platforms and common R4 servers.

Export builds every resource through the model classes, then parses the Bundle's JSON back
through ``Bundle`` so what leaves is what the library accepts. Import validates the Bundle with
the library, maps each resource to our records (ICD-10 codes from the curated list only, a
device must have a type), and writes everything or nothing.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.condition import Condition as FhirCondition
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.consent import ConsentProvision
from fhir.resources.R4B.device import Device as FhirDevice
from fhir.resources.R4B.dosage import Dosage
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference
from pydantic import ValidationError as PydanticError

from resilience.core.scope import can
from resilience.health.models import (
    CarePlan, Condition, Consent, Device, HealthArchive, Medication,
)
from resilience.health.services.archives import acting, open_archive, read_archive
from resilience.health.vocab import (
    ICD10_SYSTEM, CarePlanKind, ConditionStatus, ConsentPurpose, DeviceType, icd10_display,
)

FHIR_VERSION = "R4B"
BASE = "https://resilience.community/fhir"
DEVICE_SYSTEM = f"{BASE}/CodeSystem/device-type"
PURPOSE_SYSTEM = f"{BASE}/CodeSystem/consent-purpose"
CAREPLAN_SYSTEM = f"{BASE}/CodeSystem/care-plan-kind"
EXT_DAYS_SUPPLY = f"{BASE}/StructureDefinition/days-supply-held"
EXT_NEEDS_POWER = f"{BASE}/StructureDefinition/needs-power"
EXT_BATTERY = f"{BASE}/StructureDefinition/backup-battery-hours"
EXT_INTERVAL = f"{BASE}/StructureDefinition/follow-up-interval-days"
CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CLINICAL = {ConditionStatus.ACTIVE: "active", ConditionStatus.REMISSION: "remission",
            ConditionStatus.RESOLVED: "resolved"}


class ConsentMissing(PermissionDenied):
    """No current consent to FHIR export."""


# --- export ----------------------------------------------------------------------------------

def _concept(system: str, code: str, display: str) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display or None)],
                           text=display or None)


def build_bundle(archive: HealthArchive) -> Bundle:
    """The archive as a FHIR collection Bundle of model objects (no consent check here)."""
    resident = archive.resident
    patient_url = f"urn:uuid:resident-{resident.pk}"
    subject = Reference(reference=patient_url, display=resident.name)
    entries = [BundleEntry(fullUrl=patient_url, resource=Patient(
        id=f"resident-{resident.pk}", name=[HumanName(text=resident.name)],
        gender=resident.sex if resident.sex in ("male", "female") else "unknown",
        birthDate=resident.birth_date))]
    for c in archive.conditions.all():
        entries.append(BundleEntry(fullUrl=f"urn:uuid:condition-{c.pk}", resource=FhirCondition(
            id=f"condition-{c.pk}", subject=subject,
            clinicalStatus=_concept(CLINICAL_SYSTEM, CLINICAL[c.status], CLINICAL[c.status]),
            code=_concept(c.system, c.code, c.display),
            onsetDateTime=c.onset.isoformat() if c.onset else None)))
    for m in archive.medications.all():
        entries.append(BundleEntry(fullUrl=f"urn:uuid:medication-{m.pk}",
                                   resource=MedicationStatement(
            id=f"medication-{m.pk}", status="active", subject=subject,
            medicationCodeableConcept=CodeableConcept(text=m.name),
            dosage=[Dosage(text=m.dose)] if m.dose else None,
            dateAsserted=dt.datetime.combine(m.recorded_on, dt.time(), tzinfo=dt.timezone.utc),
            extension=[Extension(url=EXT_DAYS_SUPPLY, valueInteger=m.days_supply)])))
    for d in archive.devices.all():
        extension = [Extension(url=EXT_NEEDS_POWER, valueBoolean=d.needs_power)]
        if d.battery_hours is not None:
            extension.append(Extension(url=EXT_BATTERY, valueDecimal=d.battery_hours))
        entries.append(BundleEntry(fullUrl=f"urn:uuid:device-{d.pk}", resource=FhirDevice(
            id=f"device-{d.pk}", status="active", patient=subject,
            type=_concept(DEVICE_SYSTEM, d.device_type, str(DeviceType(d.device_type).label)),
            extension=extension)))
    for p in CarePlan.objects.filter(resident=resident):
        entries.append(BundleEntry(fullUrl=f"urn:uuid:careplan-{p.pk}", resource=FhirCarePlan(
            id=f"careplan-{p.pk}", status="active" if p.active else "revoked", intent="plan",
            subject=subject, period=Period(start=p.started_on.isoformat()),
            category=[_concept(CAREPLAN_SYSTEM, p.kind, str(CarePlanKind(p.kind).label))],
            extension=[Extension(url=EXT_INTERVAL, valueInteger=p.interval_days)])))
    for k in archive.consents.all():
        entries.append(BundleEntry(fullUrl=f"urn:uuid:consent-{k.pk}", resource=FhirConsent(
            id=f"consent-{k.pk}", status="active" if k.is_current else "inactive",
            scope=_concept("http://terminology.hl7.org/CodeSystem/consentscope",
                           "patient-privacy", "Privacy Consent"),
            category=[_concept("http://loinc.org", "59284-0", "Patient Consent")],
            patient=subject, dateTime=dt.datetime.combine(k.granted_on, dt.time(),
                                                          tzinfo=dt.timezone.utc),
            policyRule=_concept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN",
                                "opt-in"),
            provision=ConsentProvision(
                type="permit",
                period=Period(start=k.granted_on.isoformat(),
                              end=k.withdrawn_on.isoformat() if k.withdrawn_on else None),
                purpose=[Coding(system=PURPOSE_SYSTEM, code=k.purpose,
                                display=str(ConsentPurpose(k.purpose).label))]))))
    return Bundle(type="collection", timestamp=timezone.now(), entry=entries)


def export_archive(user, archive: HealthArchive, ip: str | None = None) -> dict:
    """The archive as a FHIR Bundle (JSON-ready dict), validated by parsing it back. Refused
    without a current "FHIR export" consent; the read is written to the access log."""
    if not can(user, "view", archive):
        raise PermissionDenied(_("You may not read this health archive."))
    if archive.current_consent(ConsentPurpose.FHIR_EXPORT) is None:
        raise ConsentMissing(_("The resident has not consented to FHIR export (or withdrew "
                               "it): record a “FHIR export” consent first."))
    read_archive(user, archive, channel="fhir", ip=ip)
    text = build_bundle(archive).model_dump_json(exclude_none=True)
    return Bundle.model_validate_json(text).model_dump(mode="json", exclude_none=True)


# --- import ----------------------------------------------------------------------------------

def _pydantic_errors(exc: PydanticError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors()[:20]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "bundle"
        errors.setdefault(where, []).append(error.get("msg", "invalid"))
    return errors


def parse_bundle(data) -> Bundle:
    """The library's Bundle, or ValidationError naming each invalid element."""
    if isinstance(data, (bytes, str)):
        loader = Bundle.model_validate_json
    elif isinstance(data, dict):
        if data.get("resourceType") != "Bundle":
            raise ValidationError({"resourceType": _("Send a FHIR Bundle.")})
        loader = Bundle.model_validate
    else:
        raise ValidationError({"bundle": _("Send a FHIR Bundle as JSON.")})
    try:
        return loader(data)
    except PydanticError as exc:
        raise ValidationError(_pydantic_errors(exc))
    except ValueError as exc:  # not JSON at all
        raise ValidationError({"bundle": [str(exc)[:200]]})


def _ext(resource, url: str, kind: str):
    for extension in resource.extension or ():
        if extension.url == url:
            return getattr(extension, kind)
    return None


def _coding(concept, system: str | None = None):
    for coding in (concept.coding or ()) if concept else ():
        if system is None or coding.system == system:
            return coding
    return None


def _date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def map_bundle(bundle: Bundle) -> tuple[list[tuple[type, dict]], list[dict]]:
    """(archive parts as (model, fields), care plans as fields), or ValidationError naming the
    entry (``entry.3.code``) and the reason. Patient entries are ignored: the archive's
    resident is the one the user imports into."""
    parts: list[tuple[type, dict]] = []
    plans: list[dict] = []
    errors: dict[str, list[str]] = {}
    seen_codes: set[str] = set()
    reverse_clinical = {v: k for k, v in CLINICAL.items()}
    for index, entry in enumerate(bundle.entry or ()):
        resource, where = entry.resource, f"entry.{index}"
        kind = getattr(resource, "__resource_type__", type(resource).__name__)
        if kind == "Condition":
            coding = _coding(resource.code, ICD10_SYSTEM) or _coding(resource.code)
            code = (coding.code if coding else "") or ""
            code = code.strip().upper()
            if not coding or coding.system != ICD10_SYSTEM:
                errors[f"{where}.code"] = [_("Give an ICD-10 coding (system %(system)s).") % {
                    "system": ICD10_SYSTEM}]
            elif icd10_display(code) is None:
                errors[f"{where}.code"] = [_("“%(code)s” is not on the list of ICD-10 codes this "
                                             "community records.") % {"code": code}]
            elif code in seen_codes:
                errors[f"{where}.code"] = [_("“%(code)s” appears twice.") % {"code": code}]
            else:
                seen_codes.add(code)
                clinical = _coding(resource.clinicalStatus)
                parts.append((Condition, {
                    "code": code, "display": coding.display or icd10_display(code),
                    "onset": _date(resource.onsetDateTime),
                    "status": reverse_clinical.get(clinical.code if clinical else "active",
                                                   ConditionStatus.ACTIVE)}))
        elif kind == "MedicationStatement":
            concept = resource.medicationCodeableConcept
            name = (concept.text if concept else "") or (
                (_coding(concept).display or _coding(concept).code) if _coding(concept) else "")
            if not name:
                errors[f"{where}.medicationCodeableConcept"] = [
                    _("Name the medication (text or coding display).")]
                continue
            dose = " ".join(d.text for d in (resource.dosage or ()) if d.text)
            parts.append((Medication, {
                "name": name, "dose": dose,
                "days_supply": _ext(resource, EXT_DAYS_SUPPLY, "valueInteger") or 0,
                "recorded_on": _date(resource.dateAsserted) or timezone.localdate()}))
        elif kind == "Device":
            coding = _coding(resource.type, DEVICE_SYSTEM)
            if resource.type is None:
                errors[f"{where}.type"] = [_("A device needs a type.")]
            elif coding is None or coding.code not in DeviceType.values:
                errors[f"{where}.type"] = [_("Unknown device type: use a code of %(system)s.")
                                           % {"system": DEVICE_SYSTEM}]
            else:
                needs_power = _ext(resource, EXT_NEEDS_POWER, "valueBoolean")
                battery = _ext(resource, EXT_BATTERY, "valueDecimal")
                parts.append((Device, {
                    "device_type": coding.code,
                    "needs_power": True if needs_power is None else needs_power,
                    "battery_hours": Decimal(str(battery)) if battery is not None else None}))
        elif kind == "Consent":
            provision = resource.provision
            purposes = [p for p in (provision.purpose or ())] if provision else []
            coding = next((p for p in purposes if p.system == PURPOSE_SYSTEM), None)
            if coding is None or coding.code not in ConsentPurpose.values:
                errors[f"{where}.provision.purpose"] = [
                    _("Give the consent's purpose (a code of %(system)s).") % {
                        "system": PURPOSE_SYSTEM}]
                continue
            period = provision.period
            granted = _date(period.start if period else None) or _date(resource.dateTime)
            parts.append((Consent, {
                "purpose": coding.code, "granted_on": granted or timezone.localdate(),
                "withdrawn_on": _date(period.end if period else None)}))
        elif kind == "CarePlan":
            coding = next((_coding(c, CAREPLAN_SYSTEM) for c in resource.category or ()
                           if _coding(c, CAREPLAN_SYSTEM)), None)
            plans.append({
                "kind": coding.code if coding and coding.code in CarePlanKind.values
                else CarePlanKind.OTHER,
                "interval_days": _ext(resource, EXT_INTERVAL, "valueInteger") or 30,
                "active": resource.status in ("active", "draft", "on-hold"),
                "started_on": _date(resource.period.start if resource.period else None)
                or timezone.localdate()})
        elif kind != "Patient":
            errors[f"{where}.resource"] = [_("%(kind)s resources are not imported.") % {
                "kind": kind}]
    if errors:
        raise ValidationError(errors)
    return parts, plans


def import_bundle(user, resident, data) -> HealthArchive:
    """Import a Bundle into ``resident``'s archive (opened if missing): all or nothing."""
    bundle = parse_bundle(data)
    parts, plans = map_bundle(bundle)
    built = []
    errors: dict[str, list[str]] = {}
    for number, (model, fields) in enumerate(parts):
        part = model(**fields)
        try:
            part.clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(f"{model._meta.model_name}.{number}.{name}", []).extend(messages)
        built.append(part)
    if errors:
        raise ValidationError(errors)
    with acting(user), transaction.atomic():
        archive = open_archive(user, resident)
        if not can(user, "change", archive):
            raise PermissionDenied(_("You may not change this health archive."))
        have = set(archive.conditions.values_list("code_hash", flat=True))
        for part in built:
            part.archive = archive
            if isinstance(part, Condition):
                from resilience.core import crypto

                if crypto.keyed_hash(part.code, "icd10") in have:
                    raise ValidationError({"code": _("“%(code)s” is already in the archive.")
                                                   % {"code": part.code}})
            part.save()
        for fields in plans:
            CarePlan.objects.create(community_id=resident.community_id, resident=resident,
                                    assignee=user, **fields)
    archive.resident.refresh_from_db()  # its tags were re-derived as the parts were saved
    return archive
