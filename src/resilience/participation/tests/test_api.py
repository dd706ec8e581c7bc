"""The participation API: scoped notices with reads, reports with triage and its 400s."""
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.participation.models import Notice
from resilience.participation import services

pytestmark = pytest.mark.django_db


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_notices_are_scoped_and_a_read_is_counted_once(world):
    now = timezone.now()
    live = Notice.objects.create(community=world.community_a, title="live",
                                 publish_at=now - dt.timedelta(hours=1))
    Notice.objects.create(community=world.community_a, title="draft")
    data = client(world.users["resident_a1"]).get("/api/notices/").data
    assert [n["title"] for n in data["results"]] == ["live"]
    assert client(world.staff_b).get("/api/notices/").data["results"] == []
    for _ in range(2):
        assert client(world.users["resident_a1"]).post(f"/api/notices/{live.pk}/read/").status_code == 200
    staff = client(world.staff_a).get(f"/api/notices/{live.pk}/").data
    assert staff["read_count"] == 1 and staff["state"] == "published"


def test_staff_create_a_sanitised_notice_and_residents_cannot(world):
    body = {"community": world.community_a.pk, "title": "T", "body": "<p onmouseover=x>a</p>"}
    response = client(world.staff_a).post("/api/notices/", body, format="json")
    assert response.status_code == 201, response.data
    assert Notice.objects.get().body == "<p>a</p>"
    assert client(world.users["resident_a1"]).post("/api/notices/", body, format="json").status_code == 403


def test_reports_are_filed_and_scoped(world):
    response = client(world.users["resident_a1"]).post("/api/reports/", {
        "kind": "need", "description": "Water for an old neighbour"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["community"] == world.community_a.pk
    client(world.users["volunteer_a"]).post("/api/reports/", {"kind": "hazard", "description": "x"},
                                   format="json")
    assert len(client(world.users["resident_a1"]).get("/api/reports/").data["results"]) == 1
    assert len(client(world.staff_a).get("/api/reports/").data["results"]) == 2
    assert client(world.staff_b).get("/api/reports/").data["results"] == []


def test_triage_through_the_api(world):
    report = services.file_report(world.users["resident_a1"], kind="hazard", description="Gas smell")
    url = f"/api/reports/{report.pk}/triage/"
    response = client(world.staff_a).post(url, {"outcome": "incident", "scenario": "gas_leak"},
                                          format="json")
    assert response.status_code == 200, response.data
    assert response.data["outcome"] == "incident" and response.data["incident"]


def test_triage_bad_input_is_a_400_naming_the_field(world):
    report = services.file_report(world.users["resident_a1"], kind="hazard", description="x")
    url = f"/api/reports/{report.pk}/triage/"
    staff = client(world.staff_a)
    response = staff.post(url, {"outcome": "burn"}, format="json")
    assert response.status_code == 400 and "outcome" in response.data
    response = staff.post(url, {"outcome": "dismissed"}, format="json")
    assert response.status_code == 400 and "note" in response.data
    assert client(world.users["resident_a1"]).post(url, {"outcome": "noted"},
                                          format="json").status_code == 403
    assert client(world.staff_b).post(url, {"outcome": "noted"}, format="json").status_code == 404
    report.refresh_from_db()
    assert report.status == "new"


def test_the_api_schema_describes_the_participation_endpoints(world):
    c = client(world.users["admin"])
    paths = c.get("/api/schema/?format=json").json()["paths"]
    for path in ("/api/notices/", "/api/notices/{id}/read/", "/api/reports/",
                 "/api/reports/{id}/triage/"):
        assert path in paths
