"""The response API: plans, incidents with activate/close, tasks with their steps, roll-call."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from resilience.response.models import Incident, Plan, RollCallEntry, Task
from resilience.response.vocab import IncidentStatus, RollCallStatus, TaskStatus

pytestmark = pytest.mark.django_db


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_staff_make_a_plan_from_a_template(world):
    response = client(world.staff_a).post("/api/plans/from-template/", {
        "community": world.community_a.pk, "scenario": "gas_leak"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["version"] == 1 and len(response.data["levels"]) == 4
    assert response.data["tasks"]


def test_a_plan_in_another_community_is_refused(world):
    response = client(world.staff_b).post("/api/plans/from-template/", {
        "community": world.community_a.pk, "scenario": "gas_leak"}, format="json")
    assert response.status_code == 400
    assert "community" in response.data
    assert not Plan.objects.exists()


def test_overdue_reviews_are_listed(world, plan):
    Plan.objects.filter(pk=plan.pk).update(reviewed_on="2020-01-01")
    response = client(world.staff_a).get("/api/plans/review-overdue/")
    assert response.status_code == 200
    assert [p["id"] for p in response.data["results"]] == [plan.pk]


def test_open_activate_report_and_close_an_incident(world, plan):
    api = client(world.staff_a)
    response = api.post("/api/incidents/", {"community": world.community_a.pk,
                                            "title": "车库进水", "scenario": "flood",
                                            "area_grids": [world.grid_a1.pk]}, format="json")
    assert response.status_code == 201, response.data
    pk = response.data["id"]
    assert response.data["whole_community"] is False
    response = api.post(f"/api/incidents/{pk}/activate/", {"plan": plan.pk, "level": 2},
                        format="json")
    assert response.status_code == 200, response.data
    assert response.data["status"] == IncidentStatus.ACTIVE
    assert Task.objects.filter(incident_id=pk).count() == plan.tasks.filter(level__gte=2).count()
    response = api.post(f"/api/incidents/{pk}/report/", {"injured": 1, "needs": "水"},
                        format="json")
    assert response.status_code == 201 and response.data["affected"] == 1
    assert api.get(f"/api/incidents/{pk}/situation/").data["injured"] == 1
    response = api.post(f"/api/incidents/{pk}/close/", {}, format="json")
    assert response.status_code == 400 and "lessons" in response.data
    response = api.post(f"/api/incidents/{pk}/close/", {"lessons": "ok"}, format="json")
    assert response.data["status"] == IncidentStatus.CLOSED
    actions = [e["action"] for e in api.get(f"/api/incidents/{pk}/timeline/").data]
    assert actions[0] == "opened" and actions[-1] == "closed"


def test_activating_a_plan_out_of_scope_is_a_400_naming_the_plan(world, incident):
    from resilience.response.services import plans

    other = plans.from_template(world.community_b, "flood")
    response = client(world.staff_a).post(f"/api/incidents/{incident.pk}/activate/",
                                          {"plan": other.pk, "level": 2}, format="json")
    assert response.status_code == 400 and "plan" in response.data
    assert not Task.objects.exists()
    assert Incident.objects.get().status == IncidentStatus.OPEN


def test_a_volunteer_sees_only_their_tasks_and_works_them(world, plan, incident):
    from resilience.response.services import incidents

    incidents.activate(incident, world.staff_a, plan, 4)
    volunteer = world.users["volunteer_a"]
    api = client(volunteer)
    listed = api.get("/api/tasks/").data["results"]
    assert listed and all(t["assignee"] == volunteer.pk for t in listed)
    pk = listed[0]["id"]
    response = api.post(f"/api/tasks/{pk}/complete/", {}, format="json")
    assert response.status_code == 400 and "status" in response.data  # not accepted yet
    assert api.post(f"/api/tasks/{pk}/accept/").data["status"] == TaskStatus.ACCEPTED
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0", content_type="image/jpeg")
    response = api.post(f"/api/tasks/{pk}/complete/", {"note": "完成", "photo": photo},
                        format="multipart")
    assert response.status_code == 200, response.data
    assert response.data["status"] == TaskStatus.DONE
    assert response.data["events"][-1]["photo"]


def test_another_persons_task_is_not_theirs_to_accept(world, plan, incident):
    from resilience.response.services import incidents

    incidents.activate(incident, world.staff_a, plan, 4)
    task = Task.objects.filter(assignee=world.staff_a).first()
    response = client(world.users["volunteer_a"]).post(f"/api/tasks/{task.pk}/accept/")
    assert response.status_code == 404  # not even visible


def test_roll_call_over_the_api_and_marking_by_someone_not_assigned(world, incident):
    response = client(world.staff_a).post(f"/api/incidents/{incident.pk}/rollcall/")
    assert response.status_code == 201
    assert response.data["progress"]["total"]["total"] == 1
    entry = RollCallEntry.objects.get()
    response = client(world.grid_worker_a1).post(f"/api/rollcall-entries/{entry.pk}/mark/",
                                                 {"status": "safe"}, format="json")
    assert response.status_code == 400 and "helper" in response.data
    volunteer = client(world.users["volunteer_a"])
    mine = volunteer.get("/api/rollcall-entries/?mine=1").data["results"]
    assert [e["id"] for e in mine] == [entry.pk]
    assert mine[0]["needs"] == ["elderly living alone"]
    response = volunteer.post(f"/api/rollcall-entries/{entry.pk}/mark/",
                              {"status": "bogus"}, format="json")
    assert response.status_code == 400 and "status" in response.data
    response = volunteer.post(f"/api/rollcall-entries/{entry.pk}/mark/",
                              {"status": "needs_help", "note": "缺药"}, format="json")
    assert response.status_code == 200 and response.data["status"] == RollCallStatus.NEEDS_HELP


def test_outsiders_see_nothing(world, plan, incident):
    api = client(world.outsider)
    for url in ("/api/plans/", "/api/incidents/", "/api/tasks/", "/api/rollcalls/",
                "/api/rollcall-entries/"):
        assert api.get(url).data["results"] == []


def test_a_task_is_added_to_a_draft_plan_and_refused_on_a_plan_in_force(world, plan):
    api = client(world.staff_a)
    body = {"phase": "response", "level": 3, "role": "medical", "title": "设医疗点",
            "time_limit": 30}
    response = api.post(f"/api/plans/{plan.pk}/tasks/", body, format="json")
    assert response.status_code == 400 and "status" in response.data
    draft = api.post(f"/api/plans/{plan.pk}/new-version/").data
    response = api.post(f"/api/plans/{draft['id']}/tasks/", body, format="json")
    assert response.status_code == 201
    assert len(response.data["tasks"]) == len(draft["tasks"]) + 1


def test_activation_criteria_are_set_on_a_draft_plan_with_a_clear_400_otherwise(world, plan):
    api = client(world.staff_a)
    body = {"level": 3, "criteria": "车库积水超过 20 厘米"}
    response = api.post(f"/api/plans/{plan.pk}/criteria/", body, format="json")
    assert response.status_code == 400 and "status" in response.data
    draft = api.post(f"/api/plans/{plan.pk}/new-version/").data
    response = api.post(f"/api/plans/{draft['id']}/criteria/", body, format="json")
    assert response.status_code == 200
    response = api.post(f"/api/plans/{draft['id']}/criteria/", {"level": 9, "criteria": "x"},
                        format="json")
    assert response.status_code == 400 and "level" in response.data


def test_an_incident_cannot_move_community_or_take_another_communitys_grid(world, incident):
    api = client(world.admin)
    response = api.patch(f"/api/incidents/{incident.pk}/", {"community": world.community_b.pk},
                         format="json")
    assert response.status_code == 400 and "community" in response.data
    response = api.patch(f"/api/incidents/{incident.pk}/", {"area_grids": [world.grid_b1.pk]},
                         format="json")
    assert response.status_code == 400 and "area_grids" in response.data


def test_choosing_grids_narrows_the_incident_area(world, incident):
    api = client(world.staff_a)
    response = api.patch(f"/api/incidents/{incident.pk}/", {"area_grids": [world.grid_a2.pk]},
                         format="json")
    assert response.status_code == 200 and response.data["whole_community"] is False
    assert api.get(f"/api/incidents/{incident.pk}/situation/").data["affected"] == 1
