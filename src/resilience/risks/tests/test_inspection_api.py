"""The API of checklists, plans, inspections and hazards: the loop over HTTP, bad input, scope."""
import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.places.models import Facility
from resilience.risks import hazards as svc
from resilience.risks.models import (
    ChecklistItem, ChecklistTemplate, Hazard, HazardEvent, Inspection, InspectionAnswer,
    InspectionPlan,
)

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def api(world):
    def client_for(name):
        client = APIClient()
        client.force_authenticate(world.users[name])
        return client
    return client_for


@pytest.fixture
def power_room(world):
    return Facility.objects.create(
        community=world.community_a, grid=world.grid_a1, kind="power_room", code="PR1",
        name="一网格配电房", owner=world.property_a, latitude=31.2312, longitude=121.4712)


@pytest.fixture
def checklist():
    return ChecklistTemplate.objects.get(name="配电房安全检查", community=None)


def jpeg(name="photo.jpg"):
    return SimpleUploadedFile(name, b"\xff\xd8\xff\xe0fake", content_type="image/jpeg")


def answers_for(template, failed: dict | None = None) -> list[dict]:
    failed = failed or {}
    return [{"item": item.pk, "answer": "fail" if item.pk in failed else "pass",
             "note": failed.get(item.pk, "")} for item in template.items.all()]


def hazard(world, user="staff_a", **fields) -> Hazard:
    fields.setdefault("community", world.community_a)
    fields.setdefault("building", world.building_a1)
    fields.setdefault("title", "消防通道堆物")
    return svc.report(world.users[user], **fields)


# --- checklists -----------------------------------------------------------------------------

def test_grid_worker_lists_shared_checklists_with_their_items(world, api):
    response = api("grid_worker_a1").get("/api/checklists/?shared=true&page_size=100")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert {"消防安全检查", "地下车库汛前安全检查", "电梯安全检查"} <= set(rows)
    garage = rows["地下车库汛前安全检查"]
    assert garage["shared"] is True and garage["community"] is None
    assert garage["facility_kind"] == "underground_garage"
    assert any("挡水板" in item["text"] for item in garage["items"])
    assert {"id", "order", "text", "severity", "rectify_days"} <= set(garage["items"][0])


def test_staff_create_and_edit_their_own_checklist(world, api):
    client = api("staff_a")
    response = client.post("/api/checklists/", {
        "community": world.community_a.pk, "name": "老旧小区汛前自查", "risk_type": "flood",
        "items": [{"text": "屋面排水口无堵塞", "severity": "general", "rectify_days": 5},
                  {"text": "地下室挡水设施到位", "severity": "major", "rectify_days": 2}],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [i["order"] for i in body["items"]] == [1, 2] and body["shared"] is False
    first, second = body["items"]
    response = client.patch(f"/api/checklists/{body['id']}/", {"items": [
        {"id": second["id"], "text": "地下室挡水板到位", "severity": "major", "rectify_days": 1},
        {"text": "排水泵试运行正常", "severity": "general", "rectify_days": 3},
    ]}, format="json")
    assert response.status_code == 200, response.json()
    items = ChecklistItem.objects.filter(template_id=body["id"])
    assert list(items.values_list("text", flat=True)) == ["地下室挡水板到位", "排水泵试运行正常"]
    assert not ChecklistItem.objects.filter(pk=first["id"]).exists()
    assert api("staff_b").get(f"/api/checklists/{body['id']}/").status_code == 404


def test_staff_cannot_change_a_shared_checklist_or_make_one(world, api, checklist):
    client = api("staff_a")
    assert client.patch(f"/api/checklists/{checklist.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.post("/api/checklists/", {"name": "全市通用", "items": []},
                       format="json").status_code == 403
    assert ChecklistTemplate.objects.get(pk=checklist.pk).name == "配电房安全检查"


def test_an_answered_item_cannot_be_removed(world, api, power_room):
    own = ChecklistTemplate.objects.create(community=world.community_a, name="自查")
    kept = ChecklistItem.objects.create(template=own, order=1, text="a")
    answered = ChecklistItem.objects.create(template=own, order=2, text="b")
    inspection = Inspection.objects.create(community=world.community_a, template=own, facility=power_room)
    InspectionAnswer.objects.create(inspection=inspection, item=answered, answer="pass")
    response = api("staff_a").patch(f"/api/checklists/{own.pk}/", {"items": [{"id": kept.pk, "text": "a2"}]},
                                    format="json")
    assert response.status_code == 400 and "items" in response.json()
    assert ChecklistItem.objects.get(pk=kept.pk).text == "a"  # nothing half-written


# --- plans ----------------------------------------------------------------------------------

def test_staff_plan_an_inspection_and_the_community_comes_from_the_facility(world, api, power_room, checklist):
    response = api("staff_a").post("/api/inspection-plans/", {
        "template": checklist.pk, "facility": power_room.pk, "frequency_days": 30,
        "next_due": str(TODAY - dt.timedelta(days=2))}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["community"], body["grid"]) == (world.community_a.pk, world.grid_a1.pk)
    assert body["target"] == power_room.name
    overdue = api("grid_worker_a1").get("/api/inspection-plans/?overdue=true").json()["results"]
    assert [p["id"] for p in overdue] == [body["id"]]
    assert api("grid_worker_a1").get("/api/inspection-plans/?overdue=false").json()["results"] == []


def test_grid_worker_may_not_plan(world, api, power_room, checklist):
    response = api("grid_worker_a1").post("/api/inspection-plans/", {
        "template": checklist.pk, "facility": power_room.pk, "next_due": str(TODAY)}, format="json")
    assert response.status_code == 403
    assert not InspectionPlan.objects.exists()


# --- inspections ----------------------------------------------------------------------------

def start(api, name, **data):
    return api(name).post("/api/inspections/", data, format="json")


def test_grid_worker_completes_an_inspection_that_fails_an_item(world, api, power_room, checklist):
    response = start(api, "grid_worker_a1", template=checklist.pk, facility=power_room.pk)
    assert response.status_code == 201, response.json()
    inspection = response.json()
    assert (inspection["status"], inspection["grid"], inspection["organisation"]) == (
        "in_progress", world.grid_a1.pk, world.property_a.pk)
    item = checklist.items.get(text__startswith="配电柜无异响")
    response = api("grid_worker_a1").post(f"/api/inspections/{inspection['id']}/complete/", {
        "answers": answers_for(checklist, {item.pk: "3号柜有焦糊味"}),
        "latitude": 31.2312, "longitude": 121.4712}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["inspection"]["status"] == "completed"
    assert len(body["inspection"]["answers"]) == checklist.items.count()
    [found] = body["hazards"]
    assert (found["severity"], found["status"], found["source"]) == ("major", "found", "inspection")
    assert found["deadline"] == str(TODAY + dt.timedelta(days=item.rectify_days))
    assert found["responsible"] == world.property_a.pk and found["facility"] == power_room.pk
    failed = next(a for a in body["inspection"]["answers"] if a["item"] == item.pk)
    assert failed["hazard"] == found["id"]


def test_complete_by_multipart_with_a_photo_instead_of_a_note(world, api, power_room, checklist):
    inspection = start(api, "grid_worker_a1", template=checklist.pk, facility=power_room.pk).json()
    item = checklist.items.get(text__startswith="室内无杂物")
    answers = answers_for(checklist)
    answers[[a["item"] for a in answers].index(item.pk)]["answer"] = "fail"
    response = api("grid_worker_a1").post(
        f"/api/inspections/{inspection['id']}/complete/",
        {"answers": json.dumps(answers), f"photo_{item.pk}": jpeg("clutter.jpg")}, format="multipart")
    assert response.status_code == 200, response.json()
    [found] = response.json()["hazards"]
    assert "clutter" in found["photo"]
    assert InspectionAnswer.objects.get(item=item).photo.name


def test_missing_answers_give_400_naming_the_items_and_nothing_is_written(world, api, power_room, checklist):
    inspection = start(api, "grid_worker_a1", template=checklist.pk, facility=power_room.pk).json()
    answers = answers_for(checklist)
    dropped = checklist.items.order_by("order")[2]
    answers = [a for a in answers if a["item"] != dropped.pk]
    response = api("grid_worker_a1").post(f"/api/inspections/{inspection['id']}/complete/",
                                          {"answers": answers}, format="json")
    assert response.status_code == 400
    assert dropped.text in " ".join(response.json()["answers"])
    assert not InspectionAnswer.objects.exists() and not Hazard.objects.exists()
    assert Inspection.objects.get(pk=inspection["id"]).status == "in_progress"


@pytest.mark.parametrize("payload,field", [
    ({"answers": "not json"}, "answers"),
    ({"answers": [{"item": 1, "answer": "perhaps"}]}, "answers"),
    ({"answers": [], "latitude": 123}, "latitude"),
])
def test_bad_completion_input_is_400(world, api, power_room, checklist, payload, field):
    inspection = start(api, "grid_worker_a1", template=checklist.pk, facility=power_room.pk).json()
    response = api("grid_worker_a1").post(f"/api/inspections/{inspection['id']}/complete/", payload,
                                          format="json")
    assert response.status_code == 400 and field in response.json()


def test_an_out_of_scope_facility_is_400_and_another_grid_is_403(world, api, checklist):
    power_b = Facility.objects.create(community=world.community_b, grid=world.grid_b1,
                                      kind="power_room", code="PR1", name="B配电房")
    power_a2 = Facility.objects.create(community=world.community_a, grid=world.grid_a2,
                                       kind="power_room", code="PR2", name="二网格配电房")
    response = start(api, "grid_worker_a1", template=checklist.pk, facility=power_b.pk)
    assert response.status_code == 400 and "facility" in response.json()
    assert start(api, "grid_worker_a1", template=checklist.pk, facility=power_a2.pk).status_code == 403
    assert start(api, "staff_a", template=checklist.pk).status_code == 400
    assert not Inspection.objects.exists()


def test_another_grid_worker_may_see_but_not_complete(world, api, power_room, checklist):
    inspection = start(api, "property_a", template=checklist.pk, facility=power_room.pk).json()
    response = api("office").post(f"/api/inspections/{inspection['id']}/complete/",
                                  {"answers": answers_for(checklist)}, format="json")
    assert response.status_code == 403
    assert api("staff_b").post(f"/api/inspections/{inspection['id']}/complete/",
                               {"answers": answers_for(checklist)}, format="json").status_code == 404


def test_inspection_fields_other_than_notes_are_read_only(world, api, power_room, checklist):
    inspection = start(api, "staff_a", template=checklist.pk, facility=power_room.pk).json()
    response = api("staff_a").patch(f"/api/inspections/{inspection['id']}/",
                                    {"notes": "雨天", "status": "completed"}, format="json")
    assert response.status_code == 200
    assert (response.json()["notes"], response.json()["status"]) == ("雨天", "in_progress")


# --- hazards --------------------------------------------------------------------------------

def test_the_loop_over_the_api(world, api):
    response = api("grid_worker_a1").post("/api/hazards/", {
        "building": world.building_a1.pk, "title": "楼道电动车充电", "severity": "major"}, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["community"] == world.community_a.pk
    assert response.json()["events"][0]["action"] == "report"
    url = f"/api/hazards/{pk}"
    response = api("staff_a").post(f"{url}/assign/", {
        "responsible": world.property_a.pk, "assignee": world.users["property_a"].pk,
        "deadline": str(TODAY + dt.timedelta(days=2)), "note": "两天内整改"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "assigned"
    assert api("property_a").post(f"{url}/start/", {}, format="json").json()["status"] == "rectifying"
    # no photo → 400, nothing written
    response = api("property_a").post(f"{url}/rectify/", {"note": "已移走"}, format="multipart")
    assert response.status_code == 400 and "photo" in response.json()
    assert Hazard.objects.get(pk=pk).status == "rectifying"
    response = api("property_a").post(f"{url}/rectify/", {"note": "已移走", "photo": jpeg()},
                                      format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "rectified"
    assert response.json()["events"][-1]["photo"]
    for name in ("grid_worker_a1", "property_a"):
        assert api(name).post(f"{url}/verify/", {}, format="json").status_code == 403
    response = api("staff_a").post(f"{url}/reopen/", {"note": "充电线仍在"}, format="json")
    assert response.json()["status"] == "rectifying"
    api("property_a").post(f"{url}/rectify/", {"note": "已拆除", "photo": jpeg()}, format="multipart")
    response = api("staff_a").post(f"{url}/verify/", {"note": "复查通过"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "verified"
    actions = [e["action"] for e in response.json()["events"]]
    assert actions == ["report", "assign", "start", "rectify", "reopen", "rectify", "verify"]


def test_an_illegal_step_is_400_with_the_reason(world, api):
    pk = hazard(world).pk
    response = api("staff_a").post(f"/api/hazards/{pk}/verify/", {}, format="json")
    assert response.status_code == 400
    assert "found" in response.json()["status"][0] and "verified" in response.json()["status"][0]
    response = api("staff_a").post(f"/api/hazards/{pk}/start/", {}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    assert HazardEvent.objects.filter(hazard_id=pk).count() == 1


def test_the_status_cannot_be_edited_directly(world, api):
    pk = hazard(world).pk
    response = api("staff_a").patch(f"/api/hazards/{pk}/", {
        "status": "verified", "title": "消防通道堆放纸箱", "responsible": world.team_a.pk}, format="json")
    assert response.status_code == 200
    row = Hazard.objects.get(pk=pk)
    assert (row.status, row.title, row.responsible) == ("found", "消防通道堆放纸箱", world.property_a)


def test_reopen_needs_a_reason_and_comment_a_note(world, api):
    pk = hazard(world).pk
    assert api("staff_a").post(f"/api/hazards/{pk}/reopen/", {}, format="json").status_code == 400
    assert api("staff_a").post(f"/api/hazards/{pk}/comment/", {"note": ""}, format="json").status_code == 400
    response = api("grid_worker_a1").post(f"/api/hazards/{pk}/comment/", {"note": "已提醒住户"}, format="json")
    assert response.status_code == 200 and response.json()["events"][-1]["note"] == "已提醒住户"


def test_resident_and_other_community_may_not_report(world, api):
    data = {"building": world.building_a1.pk, "title": "x"}
    assert api("resident_a1").post("/api/hazards/", data, format="json").status_code == 403
    assert api("staff_b").post("/api/hazards/", data, format="json").status_code == 400
    assert not Hazard.objects.exists()


def test_hazard_lists_follow_scope(world, api):
    a1 = hazard(world)
    a2 = hazard(world, building=world.building_a2)
    loose = hazard(world, building=None, grid=world.grid_a2)
    b1 = hazard(world, "staff_b", community=world.community_b, building=world.building_b1)

    def ids(name, query=""):
        return {row["id"] for row in api(name).get(f"/api/hazards/{query}").json()["results"]}

    assert ids("grid_worker_a1") == {a1.pk, a2.pk, loose.pk}
    assert ids("property_a") == {a1.pk, a2.pk}  # the buildings it manages
    assert ids("staff_a") == {a1.pk, a2.pk, loose.pk}
    assert ids("staff_b") == {b1.pk}
    assert ids("office") == {a1.pk, a2.pk, loose.pk, b1.pk}
    assert ids("volunteer_a") == set() and ids("resident_a1") == set()
    assert api("grid_worker_a1").post(f"/api/hazards/{a2.pk}/assign/", {
        "deadline": str(TODAY)}, format="json").status_code == 403
    assert api("grid_worker_a1").post(f"/api/hazards/{b1.pk}/assign/", {
        "deadline": str(TODAY)}, format="json").status_code == 404


def test_hazard_filters(world, api):
    a1 = hazard(world, severity="major")
    a2 = hazard(world, building=world.building_a2)
    svc.assign(a2, world.users["staff_a"], deadline=TODAY)
    late = hazard(world, grid=world.grid_a2, building=None)
    svc.assign(late, world.users["staff_a"], responsible=world.team_a, deadline=TODAY)
    Hazard.objects.filter(pk=late.pk).update(deadline=TODAY - dt.timedelta(days=5), escalation_level=1)
    b1 = hazard(world, "staff_b", community=world.community_b, building=world.building_b1)

    def ids(query, name="office"):
        response = api(name).get(f"/api/hazards/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("status=found") == {a1.pk, b1.pk}
    assert ids("status=found&status=assigned") == {a1.pk, a2.pk, late.pk, b1.pk}
    assert ids("status=found,assigned") == {a1.pk, a2.pk, late.pk, b1.pk}
    assert ids("severity=major") == {a1.pk}
    assert ids("overdue=true") == {late.pk}
    assert ids(f"grid={world.grid_a2.pk}") == {a2.pk, late.pk}
    assert ids(f"responsible={world.team_a.pk}") == {late.pk}
    assert ids("escalation_level=1") == {late.pk}
    assert ids(f"community={world.community_b.pk}") == {b1.pk}
    assert ids("q=消防") == {a1.pk, a2.pk, late.pk, b1.pk}
    assert api("office").get("/api/hazards/?status=bogus").status_code == 400
    row = api("office").get(f"/api/hazards/{late.pk}/").json()
    assert row["overdue"] is True and row["escalation_level"] == 1


def test_schema_documents_the_steps(client, db):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for step in ("assign", "start", "rectify", "verify", "reopen", "comment"):
        assert f"/api/hazards/{{id}}/{step}/" in paths
    assert "/api/inspections/{id}/complete/" in paths
    assert "/api/checklists/" in paths and "/api/inspection-plans/" in paths
