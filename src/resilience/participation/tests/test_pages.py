"""Every participation page answers every role without an error; the demo seeds once."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.participation import demo, services
from resilience.participation.models import Notice, Report

pytestmark = pytest.mark.django_db
USERS = ["admin", "office", "staff_a", "staff_b", "grid_worker_a1", "property_a", "volunteer_a",
         "health_a", "resident_a1", "outsider"]


@pytest.mark.parametrize("username", USERS)
def test_every_role_gets_an_answer_never_an_error(client, world, username):
    notice = Notice.objects.create(community=world.community_a, title="N", body="<p>b</p>",
                                   publish_at=timezone.now() - dt.timedelta(hours=1))
    report = services.file_report(world.users["resident_a1"], kind="need", description="Water")
    client.force_login(world.users[username])
    for url in ("/participation/news/", f"/participation/news/{notice.pk}/",
                "/participation/notices/", f"/participation/notices/{notice.pk}/",
                "/participation/notices/add/", "/participation/reports/",
                f"/participation/reports/{report.pk}/", "/participation/reports/new/",
                "/participation/reports/mine/"):
        status = client.get(url).status_code
        assert status in (200, 302, 403, 404), (url, status)


def test_the_demo_seeds_three_notices_and_two_reports_once(world):
    demo.seed(world.community_a)
    demo.seed(world.community_a)
    assert Notice.objects.filter(community=world.community_a).count() == 3
    assert Notice.objects.filter(pinned=True).count() == 1
    assert Report.objects.filter(community=world.community_a).count() == 2
    assert len(services.readable_notices(world.users["resident_a1"])) == 2  # not the draft


def test_a_photo_is_uploaded_through_the_api_and_a_bad_one_is_a_400(world, png):
    api = APIClient()
    api.force_authenticate(world.users["resident_a1"])
    response = api.post("/api/reports/", {"kind": "hazard", "description": "Crack",
                                          "photo": png(), "latitude": "31.2"},
                        format="multipart")
    assert response.status_code == 201, response.data
    report = Report.objects.get()
    assert report.photo and report.latitude == 31.2
    response = api.post("/api/reports/", {
        "kind": "hazard", "description": "x",
        "photo": SimpleUploadedFile("x.jpg", b"GIF89a not allowed", "image/jpeg")},
        format="multipart")
    assert response.status_code == 400 and "photo" in response.data
    response = api.post("/api/reports/", {"kind": "fire", "description": "x"}, format="json")
    assert response.status_code == 400 and "kind" in response.data
    client_b = APIClient()
    client_b.force_authenticate(world.users["staff_b"])
    assert client_b.get(f"/api/reports/{report.pk}/").status_code == 404
