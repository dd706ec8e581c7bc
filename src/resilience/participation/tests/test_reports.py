"""Resident reports: filing, scope, triage into a hazard or an incident (atomically)."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from resilience.participation import services
from resilience.participation.models import Report
from resilience.participation.vocab import ReportOutcome, ReportStatus
from resilience.response.models import Incident
from resilience.risks.models import Hazard

pytestmark = pytest.mark.django_db


def file(world, user=None, **kwargs) -> Report:
    kwargs.setdefault("kind", "hazard")
    kwargs.setdefault("description", "Boxes block the stairwell")
    return services.file_report(user or world.users["resident_a1"], **kwargs)


def test_a_resident_files_a_report_in_their_community(world, png):
    report = file(world, photo=png(), latitude=31.23, longitude=121.47,
                  building=world.building_a1)
    assert report.community == world.community_a and report.grid == world.grid_a1
    assert report.status == ReportStatus.NEW and report.photo


def test_a_non_image_photo_is_refused(world):
    with pytest.raises(ValidationError) as info:
        file(world, photo=SimpleUploadedFile("a.jpg", b"MZ\x90\x00 not a jpeg", "image/jpeg"))
    assert "photo" in info.value.message_dict
    assert not Report.objects.exists()


def test_someone_without_a_role_cannot_report(world):
    with pytest.raises(PermissionDenied):
        file(world, user=world.outsider)


def test_a_building_of_another_community_is_refused(world):
    with pytest.raises(ValidationError) as info:
        file(world, building=world.building_b1)
    assert "building" in info.value.message_dict


def test_residents_see_only_their_own_reports_and_staff_their_community(world):
    mine = file(world)
    theirs = file(world, user=world.users["volunteer_a"])
    assert list(Report.objects.visible_to(world.users["resident_a1"])) == [mine]
    assert set(Report.objects.visible_to(world.staff_a)) == {mine, theirs}
    assert not Report.objects.visible_to(world.staff_b).exists()


def test_triage_into_a_hazard_creates_it(world, png):
    report = file(world, building=world.building_a1, photo=png(), latitude=31.2, longitude=121.4)
    services.triage(report, world.staff_a, outcome="hazard", note="Fire lane")
    report.refresh_from_db()
    assert report.status == ReportStatus.TRIAGED and report.outcome == ReportOutcome.HAZARD
    hazard = report.hazard
    assert hazard.source == "resident_report" and hazard.building == world.building_a1
    assert hazard.community == world.community_a and hazard.photo
    assert report.triaged_by == world.staff_a


def test_triage_into_an_incident_creates_it(world):
    report = file(world, building=world.building_a1)
    services.triage(report, world.staff_a, outcome="incident", scenario="gas_leak")
    report.refresh_from_db()
    assert report.incident.scenario == "gas_leak"
    assert list(report.incident.area_buildings.all()) == [world.building_a1]


def test_a_failed_triage_leaves_the_report_untouched_and_no_hazard(world, monkeypatch):
    report = file(world)

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Report, "save", broken)
    with pytest.raises(RuntimeError):
        services.triage(report, world.staff_a, outcome="hazard")
    with pytest.raises(RuntimeError):
        services.triage(report, world.staff_a, outcome="incident")
    monkeypatch.undo()
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW and report.hazard is None
    assert not Hazard.objects.exists() and not Incident.objects.exists()


def test_dismissing_needs_a_reason_and_triage_happens_once(world):
    report = file(world)
    with pytest.raises(ValidationError) as info:
        services.triage(report, world.staff_a, outcome="dismissed")
    assert "note" in info.value.message_dict
    services.triage(report, world.staff_a, outcome="noted", note="Relief to follow")
    assert report.status == ReportStatus.TRIAGED
    with pytest.raises(ValidationError):
        services.triage(report, world.staff_a, outcome="dismissed", note="dup")


def test_a_resident_cannot_triage_and_staff_of_b_cannot_either(world):
    report = file(world)
    for user in (world.users["resident_a1"], world.staff_b):
        with pytest.raises(PermissionDenied):
            services.triage(report, user, outcome="noted")


def test_the_phone_pages_file_a_report_and_show_its_outcome(world, client, png):
    client.force_login(world.users["resident_a1"])
    assert client.get("/participation/reports/new/").status_code == 200
    response = client.post("/participation/reports/new/", {
        "kind": "broken_facility", "description": "Lift stuck", "photo": png(),
        "latitude": "31.2", "longitude": "121.4", "building": world.building_a1.pk})
    assert response.status_code == 302
    report = Report.objects.get()
    services.triage(report, world.staff_a, outcome="dismissed", note="Already fixed")
    page = client.get("/participation/reports/mine/").content.decode()
    assert "Lift stuck" in page and "Already fixed" in page


def test_staff_triage_from_the_report_page(world, client):
    report = file(world)
    client.force_login(world.staff_a)
    assert client.get(f"/participation/reports/{report.pk}/").status_code == 200
    client.post(f"/participation/reports/{report.pk}/triage/", {"outcome": "hazard", "note": ""})
    report.refresh_from_db()
    assert report.hazard is not None
