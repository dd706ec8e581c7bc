"""/api/alerts/ and the alert pages: drafts through CRUD, the lifecycle through actions."""
from __future__ import annotations

import pytest
from django.urls import include, path
from django.utils import timezone
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIClient

from resilience.alerts import api as alerts_api
from resilience.alerts import services
from resilience.alerts.models import Alert
from resilience.alerts.vocab import MessageType, State
from resilience.monitoring.alarms import open_alarm
from resilience.monitoring.models import Rule, Sensor
from resilience.urls import urlpatterns as project_urlpatterns

# Until the lead registers them (api_urls.py, urls.py), this module routes them itself.
router = SimpleRouter()
alerts_api.register(router)
urlpatterns = [path("api/", include(router.urls)), *project_urlpatterns]
if not any(getattr(p, "namespace", None) == "alerts" for p in project_urlpatterns):
    urlpatterns.insert(0, path("alerts/", include("resilience.alerts.urls")))
pytestmark = pytest.mark.urls(__name__)

DRAFT = {"level": 2, "event_type": "fire", "headline": "火灾预警", "description": "1号楼火情",
         "headline_en": "Fire warning", "audience": "everyone"}


@pytest.fixture
def api(world):
    def client_for(name):
        client = APIClient()
        client.force_authenticate(world.users[name])
        return client
    return client_for


def create(api, world, name="staff_a", **fields):
    data = {**DRAFT, "community": world.community_a.pk, **fields}
    return api(name).post("/api/alerts/", data, format="json")


def test_staff_create_a_draft_with_identifier_sender_and_author(world, api):
    response = create(api, world, area_buildings=[world.building_a1.pk], whole_community=False)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and body["identifier"].startswith("comm-a-")
    assert body["sender"].startswith("comm-a@") and body["created_by"] == world.staff_a.pk
    assert body["colour"] == "orange" and body["area_buildings"] == [world.building_a1.pk]
    assert [e["action"] for e in body["events"]] == ["drafted"]


def test_server_fields_cannot_be_forged(world, api):
    response = create(api, world, state="issued", identifier="forged", created_by=world.office.pk)
    body = response.json()
    assert body["state"] == "draft" and body["identifier"] != "forged"
    assert body["created_by"] == world.staff_a.pk


def test_grid_worker_and_other_community_cannot_create(world, api):
    assert create(api, world, "grid_worker_a1").status_code == 403
    assert create(api, world, "staff_b").status_code == 400  # community A is not theirs to see
    assert not Alert.objects.exists()


def test_buildings_of_another_community_are_refused(world, api):
    response = create(api, world, area_buildings=[world.building_b1.pk], whole_community=False)
    assert response.status_code == 400


def test_submit_approve_and_the_four_eyes_rule(world, api):
    pk = create(api, world).json()["id"]
    assert api("staff_a").post(f"/api/alerts/{pk}/submit/").json()["state"] == "pending"
    assert api("staff_a").post(f"/api/alerts/{pk}/approve/").status_code == 403
    # a pending alert is not shown to those who may not change it: not found, not forbidden
    assert api("grid_worker_a1").post(f"/api/alerts/{pk}/approve/").status_code == 404
    response = api("office").post(f"/api/alerts/{pk}/approve/", {"note": "ok"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "issued"
    assert response.json()["approved_by"] == world.office.pk


def test_an_illegal_step_is_a_400_naming_the_states(world, api):
    pk = create(api, world, level=3).json()["id"]
    api("staff_a").post(f"/api/alerts/{pk}/issue/")
    response = api("staff_a").post(f"/api/alerts/{pk}/submit/")
    assert response.status_code == 400
    assert "issued" in str(response.json())


def test_only_drafts_are_edited_or_deleted(world, api):
    pk = create(api, world, level=3).json()["id"]
    assert api("staff_a").patch(f"/api/alerts/{pk}/", {"headline": "改"},
                                format="json").status_code == 200
    api("staff_a").post(f"/api/alerts/{pk}/issue/")
    assert api("staff_a").patch(f"/api/alerts/{pk}/", {"headline": "再改"},
                                format="json").status_code == 403
    assert api("staff_a").delete(f"/api/alerts/{pk}/").status_code == 403


def test_update_and_cancel_reference_the_original(world, api):
    pk = create(api, world, level=3).json()["id"]
    api("staff_a").post(f"/api/alerts/{pk}/issue/")
    response = api("staff_a").post(f"/api/alerts/{pk}/update/", {"headline": "升级"},
                                   format="json")
    assert response.status_code == 201
    update = response.json()
    assert update["msg_type"] == "Update" and update["references"] == pk
    assert update["state"] == "issued" and update["headline"] == "升级"
    response = api("staff_a").post(f"/api/alerts/{update['id']}/cancel/", {"note": "解除"},
                                   format="json")
    assert response.json()["msg_type"] == "Cancel"
    assert Alert.objects.get(pk=update["id"]).state == State.CANCELLED


def test_recipients_counts_and_lists_vulnerable_first(world, api):
    pk = create(api, world, level=3).json()["id"]
    body = api("staff_a").get(f"/api/alerts/{pk}/recipients/").json()
    assert body["total"] >= 2 and body["vulnerable"] == 1
    assert body["first"][0]["resident"] == world.resident_a1.pk
    assert body["by_building"] == {str(world.building_a1.pk): 1, str(world.building_a2.pk): 1}
    assert api("resident_a1").get(f"/api/alerts/{pk}/recipients/").status_code == 404  # a draft


def test_residents_see_alerts_of_their_community_once_issued_but_cannot_act(world, api):
    pk = create(api, world, level=3).json()["id"]
    assert api("resident_a1").get(f"/api/alerts/{pk}/").status_code == 404  # a draft warns no one
    assert api("resident_a1").post(f"/api/alerts/{pk}/issue/").status_code == 404
    assert api("staff_a").post(f"/api/alerts/{pk}/issue/").json()["state"] == "issued"
    assert api("resident_a1").get(f"/api/alerts/{pk}/").status_code == 200
    assert api("resident_a1").post(f"/api/alerts/{pk}/cancel/").status_code == 403
    assert api("staff_b").get(f"/api/alerts/{pk}/").status_code == 404


# -- pages --------------------------------------------------------------------------------------
def login(client, world, name):
    client.force_login(world.users[name])
    return client


def test_list_shows_level_colours(world, client):
    services.draft(world.staff_a, world.community_a, **{**DRAFT, "level": 1})
    response = login(client, world, "staff_a").get("/alerts/alerts/")
    assert response.status_code == 200
    assert b"level-red" in response.content


def test_authoring_form_creates_a_draft_for_two_buildings(world, client):
    login(client, world, "staff_a")
    assert client.get("/alerts/alerts/add/").status_code == 200
    response = client.post("/alerts/alerts/add/", {
        **DRAFT, "community": world.community_a.pk, "urgency": "Immediate",
        "certainty": "Observed", "area_mode": "buildings", "public": "on",
        "area_buildings": [world.building_a1.pk, world.building_a2.pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    alert = Alert.objects.get()
    assert alert.state == State.DRAFT and not alert.whole_community
    assert alert.area_buildings.count() == 2 and alert.created_by == world.staff_a


def test_authoring_a_circle_stores_its_polygon(world, client):
    login(client, world, "staff_a")
    response = client.post("/alerts/alerts/add/", {
        **DRAFT, "community": world.community_a.pk, "urgency": "Immediate",
        "certainty": "Observed", "area_mode": "circle", "area_circle": "31.23125,121.47125 0.1"})
    assert response.status_code == 302
    alert = Alert.objects.get()
    assert alert.area_geometry["type"] == "Polygon" and alert.area_circle


def test_detail_shows_the_steps_the_user_may_take(world, client):
    alert = services.submit(services.draft(world.staff_a, world.community_a, **DRAFT),
                            world.staff_a)
    page = login(client, world, "staff_a").get(f"/alerts/alerts/{alert.pk}/").content.decode()
    assert 'data-step="approve"' not in page and 'data-step="cancel"' in page
    assert "alert-recipients" in page and 'data-action="submitted"' in page
    client.logout()
    page = login(client, world, "office").get(f"/alerts/alerts/{alert.pk}/").content.decode()
    assert 'data-step="approve"' in page
    response = client.post(f"/alerts/alerts/{alert.pk}/approve/")
    assert response.status_code == 302
    assert Alert.objects.get(pk=alert.pk).state == State.ISSUED


def test_an_issued_alert_cannot_be_edited_but_can_be_updated(world, client):
    alert = services.submit(services.draft(world.staff_a, world.community_a,
                                           **{**DRAFT, "level": 3}), world.staff_a)
    login(client, world, "staff_a")
    assert client.get(f"/alerts/alerts/{alert.pk}/edit/").status_code == 403
    assert client.get(f"/alerts/alerts/{alert.pk}/update/").status_code == 200
    response = client.post(f"/alerts/alerts/{alert.pk}/update/", {
        "level": 3, "headline": "更新", "description": "更新"})
    assert response.status_code == 302
    new = Alert.objects.get(msg_type=MessageType.UPDATE)
    assert new.references == alert and new.state == State.ISSUED


def test_from_alarm_button_drafts_and_opens_the_form(world, client):
    sensor = Sensor.objects.create(community=world.community_a, building=world.building_a1,
                                   code="s1", name="Smoke", kind="smoke")
    rule = Rule.objects.create(community=world.community_a, sensor_kind="smoke", name="Smoke",
                               kind="threshold", params={"op": "above", "value": 25, "clear": 20},
                               level=2)
    alarm, _ = open_alarm(community_id=world.community_a.pk, sensor_id=sensor.pk,
                          rule_id=rule.pk, level=2, message="smoke", value=40,
                          at=timezone.now())
    login(client, world, "staff_a")
    response = client.post(f"/alerts/from-alarm/{alarm.pk}/")
    alert = Alert.objects.get(alarm=alarm)
    assert response.status_code == 302 and response.url == f"/alerts/alerts/{alert.pk}/edit/"
    client.post(f"/alerts/from-alarm/{alarm.pk}/")
    assert Alert.objects.filter(alarm=alarm).count() == 1
    client.logout()
    login(client, world, "grid_worker_a1")
    assert client.post(f"/alerts/from-alarm/{alarm.pk}/").status_code in (302, 403)
