"""Care plans and follow-ups: recording schedules the next; overdue lists; API bad input."""
import datetime as dt

import pytest
from django.utils import timezone

from resilience.health.models import Device, FollowUp, HealthArchive
from resilience.health.services import care

pytestmark = pytest.mark.django_db


def test_recording_a_follow_up_schedules_the_next_by_the_plans_interval(world):
    plan = care.start_care_plan(world.health_a, world.resident_a1, kind="chronic",
                                interval_days=14)
    first = plan.followups.get()
    done, following = care.record(world.health_a, first, outcome="BP 150/90, adjusted.")
    assert done.done_at is not None
    assert following.scheduled_on == timezone.localdate() + dt.timedelta(days=14)
    assert following.assignee == world.health_a


def test_overdue_and_my_follow_ups_pages(world, client):
    plan = care.start_care_plan(world.health_a, world.resident_a1, kind="elderly_alone",
                                interval_days=7,
                                first_on=timezone.localdate() - dt.timedelta(days=3))
    assert care.overdue(world.health_a).get().care_plan == plan
    client.force_login(world.health_a)
    mine = client.get("/health/followups/mine/")
    assert mine.status_code == 200 and "Resident A1" in mine.text
    overdue = client.get("/health/followups/overdue/")
    assert "Resident A1" in overdue.text
    api = client.get("/api/health/followups/overdue/")
    assert api.json()["count"] == 1
    followup = plan.followups.get()
    page = client.post(f"/health/followups/{followup.pk}/record/",
                       {"outcome": "Fine", "next": "/health/followups/mine/"})
    assert page.status_code == 302
    assert care.overdue(world.health_a).count() == 0
    client.force_login(world.staff_a)
    assert client.get("/health/followups/mine/").status_code == 403
    assert client.get("/api/health/followups/").json()["count"] == 0


def test_follow_up_api_refuses_a_recorded_follow_up_and_an_empty_outcome(world, client):
    plan = care.start_care_plan(world.health_a, world.resident_a1, kind="chronic",
                                interval_days=30)
    followup = plan.followups.get()
    client.force_login(world.health_a)
    empty = client.post(f"/api/health/followups/{followup.pk}/record/", {"outcome": " "},
                        content_type="application/json")
    assert empty.status_code == 400 and "outcome" in empty.json()
    ok = client.post(f"/api/health/followups/{followup.pk}/record/", {"outcome": "ok"},
                     content_type="application/json")
    assert ok.status_code == 200 and ok.json()["next"]["scheduled_on"]
    again = client.post(f"/api/health/followups/{followup.pk}/record/", {"outcome": "ok"},
                        content_type="application/json")
    assert again.status_code == 400


def test_archive_api_refuses_unknown_codes_and_untyped_devices(world, client):
    client.force_login(world.health_a)
    bad = client.post("/api/health/archives/", {
        "resident": world.resident_a2.pk, "conditions": [{"code": "I10"}, {"code": "Q99.9"}]},
        content_type="application/json")
    assert bad.status_code == 400
    assert "Q99.9" in bad.json()["conditions.1.code"][0]
    untyped = client.post("/api/health/archives/", {
        "resident": world.resident_a2.pk, "devices": [{"needs_power": True}]},
        content_type="application/json")
    assert untyped.status_code == 400
    assert "device_type" in untyped.json()["devices"]["0"]
    assert HealthArchive.objects.count() == 0 and Device.objects.count() == 0
    good = client.post("/api/health/archives/", {
        "resident": world.resident_a2.pk, "conditions": [{"code": "e11", "onset": "2020-01-01"}],
        "devices": [{"device_type": "oxygen_concentrator", "battery_hours": "2.5"}],
        "care_needs": ["meals"]}, content_type="application/json")
    assert good.status_code == 201, good.text
    assert set(good.json()["tags"]) == {"chronic_illness", "oxygen"}
    assert good.json()["conditions"][0]["display"] == "Type 2 diabetes mellitus"


def test_staff_cannot_create_archives_through_the_api(world, client):
    client.force_login(world.staff_a)
    response = client.post("/api/health/archives/", {"resident": world.resident_a2.pk},
                           content_type="application/json")
    assert response.status_code in (400, 403)
    assert HealthArchive.objects.count() == 0


def test_archive_pages_add_a_condition_and_refuse_an_unknown_code(world, client, archive_a1):
    client.force_login(world.health_a)
    url = f"/health/archives/{archive_a1.pk}/condition/add/"
    client.post(url, {"code": "Z00.0", "status": "active"})
    assert archive_a1.conditions.count() == 2
    client.post(url, {"code": "E11", "status": "active"})
    assert archive_a1.conditions.count() == 3
    client.post(f"/health/archives/{archive_a1.pk}/device/add/", {"device_type": "",
                                                                  "needs_power": "on"})
    assert archive_a1.devices.count() == 1
    page = client.get(archive_a1.get_absolute_url())
    assert "Type 2 diabetes mellitus" in page.text
    assert FollowUp.objects.count() == 0
    home = client.get("/health/")
    assert home.status_code == 200


def test_archive_add_page_opens_an_archive_and_derives_bedridden(world, client):
    client.force_login(world.health_a)
    form = client.get("/health/archives/add/")
    assert form.status_code == 200 and "Resident A2" in form.text and "Resident B1" not in form.text
    response = client.post("/health/archives/add/", {
        "resident": world.resident_a2.pk, "mobility": "bedridden", "care_needs": ["meals"],
        "allergies": "penicillin", "family_doctor": "Dr Li"})
    assert response.status_code == 302, response.text
    archive = HealthArchive.objects.get(resident=world.resident_a2)
    assert archive.care_needs == ["meals"] and archive.created_by == world.health_a
    world.resident_a2.refresh_from_db()
    assert world.resident_a2.tags == ["bedridden"]
    client.force_login(world.users["resident_a1"])
    assert client.get("/health/").status_code == 403
