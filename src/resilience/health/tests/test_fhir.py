"""FHIR exchange: export validates with fhir.resources (R4B), respects consent, round-trips;
imports are refused whole when anything is wrong."""
import copy
import datetime as dt
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from resilience.health import fhir
from resilience.health.models import CarePlan, Condition, Consent, Device, HealthArchive, Medication
from resilience.health.services import archives, care
from resilience.people.models import Resident

pytestmark = pytest.mark.django_db


def fresh_resident(world, name="Fresh"):
    return Resident.objects.create(community=world.community_a, household=world.household_a2,
                                   name=name, sex="male", birth_date=dt.date(1948, 2, 2))


def parts(archive):
    return (sorted((c.code, c.display, c.onset, c.status) for c in archive.conditions.all()),
            sorted((m.name, m.dose, m.days_supply, m.recorded_on, m.runs_out_on)
                   for m in archive.medications.all()),
            sorted((d.device_type, d.needs_power, d.battery_hours) for d in archive.devices.all()))


def test_export_is_a_valid_r4b_bundle_with_every_resource(world, archive_a1):
    care.start_care_plan(world.health_a, world.resident_a1, kind="chronic", interval_days=14)
    bundle = fhir.export_archive(world.health_a, archive_a1)
    parsed = Bundle.model_validate(bundle)
    kinds = sorted(e.resource.__resource_type__ for e in parsed.entry)
    assert kinds == ["CarePlan", "Condition", "Condition", "Consent", "Device",
                     "MedicationStatement", "Patient"]
    codes = {e["resource"]["code"]["coding"][0]["code"] for e in bundle["entry"]
             if e["resource"]["resourceType"] == "Condition"}
    assert codes == {"I10", "N18.5"}


def test_round_trip_into_a_fresh_resident_gives_the_same_archive(world, archive_a1):
    bundle = fhir.export_archive(world.health_a, archive_a1)
    resident = fresh_resident(world)
    imported = fhir.import_bundle(world.health_a, resident, json.dumps(bundle))
    assert parts(imported) == parts(archive_a1)
    assert imported.consents.get().purpose == "fhir_export"
    resident.refresh_from_db()
    assert set(resident.tags) == {"chronic_illness", "dialysis"}


def test_export_without_a_current_fhir_consent_is_refused(world, archive_a1, client):
    archives.withdraw_consent(world.health_a, archive_a1.consents.get())
    with pytest.raises(fhir.ConsentMissing):
        fhir.export_archive(world.health_a, archive_a1)
    client.force_login(world.health_a)
    response = client.get(f"/api/health/archives/{archive_a1.pk}/fhir/")
    assert response.status_code == 403
    assert "consent" in response.json()["detail"].lower()


def _bundle(world, archive_a1):
    return fhir.export_archive(world.health_a, archive_a1)


def _entry(bundle, kind):
    return next(e for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


@pytest.mark.parametrize("breaking, field", [
    (lambda b: _entry(b, "Condition")["resource"]["code"]["coding"][0].update(code="X99.9"),
     ".code"),
    (lambda b: _entry(b, "Device")["resource"].pop("type"), ".type"),
    (lambda b: _entry(b, "Condition")["resource"].update(onsetDateTime="not a date"),
     "onsetDateTime"),
    (lambda b: _entry(b, "Patient")["resource"].update(birthDate="yesterday"), "birthDate"),
    (lambda b: _entry(b, "Condition")["resource"].pop("subject"), "subject"),
])
def test_bad_imports_are_refused_whole_naming_the_field(world, archive_a1, client, breaking,
                                                        field):
    bundle = copy.deepcopy(_bundle(world, archive_a1))
    breaking(bundle)
    resident = fresh_resident(world)
    client.force_login(world.health_a)
    before = (HealthArchive.objects.count(), Condition.objects.count(), Device.objects.count(),
              Medication.objects.count(), Consent.objects.count(), CarePlan.objects.count())
    response = client.post("/api/health/archives/import-fhir/",
                           {"resident": resident.pk, "bundle": bundle},
                           content_type="application/json")
    assert response.status_code == 400, response.text
    assert any(field in key for key in response.json()), response.json()
    after = (HealthArchive.objects.count(), Condition.objects.count(), Device.objects.count(),
             Medication.objects.count(), Consent.objects.count(), CarePlan.objects.count())
    assert after == before


def test_import_through_the_api_and_the_page(world, archive_a1, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bundle = _bundle(world, archive_a1)
    client.force_login(world.health_a)
    first = fresh_resident(world, "First")
    response = client.post("/api/health/archives/import-fhir/",
                           {"resident": first.pk, "bundle": bundle},
                           content_type="application/json")
    assert response.status_code == 201
    assert sorted(c["code"] for c in response.json()["conditions"]) == ["I10", "N18.5"]
    second = fresh_resident(world, "Second")
    upload = SimpleUploadedFile("b.json", json.dumps(bundle).encode(), "application/fhir+json")
    page = client.post("/health/archives/import/", {"resident": second.pk, "file": upload})
    assert page.status_code == 302
    assert second.health_archive.conditions.count() == 2
    broken = SimpleUploadedFile("b.json", b"{not json", "application/json")
    page = client.post("/health/archives/import/", {"resident": fresh_resident(world, "T").pk,
                                                    "file": broken})
    assert page.status_code == 400


def test_page_export_button_downloads_the_bundle(world, archive_a1, client):
    client.force_login(world.health_a)
    response = client.get(f"/health/archives/{archive_a1.pk}/fhir/")
    assert response.status_code == 200
    assert Bundle.model_validate_json(response.content).type == "collection"
