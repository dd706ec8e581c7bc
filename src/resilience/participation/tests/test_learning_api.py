"""The education and drills API: hidden answers, completing with a score, 400s naming the
field, scoped drills with participation, timings, finish and report."""
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.participation.models import (Drill, DrillParticipation, DrillTiming, Lesson,
                                              LessonAssignment, LessonCompletion)
from resilience.people.models import Resident

pytestmark = pytest.mark.django_db
QUIZ = [{"question": "Stairs or lift?", "choices": ["lift", "stairs"], "answer": 1},
        {"question": "Call?", "choices": ["119", "12345"], "answer": 0}]
T0 = timezone.make_aware(dt.datetime(2026, 4, 18, 9, 30))


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def lesson(world):
    return Lesson.objects.create(community=world.community_a, title="Escape", topic="self_rescue",
                                 quiz=QUIZ, pass_mark=100)


def test_learners_never_see_the_answers_and_staff_do(world, lesson):
    Lesson.objects.create(title="Shared", quiz=QUIZ)
    data = api(world.users["resident_a1"]).get("/api/education/").data["results"]
    assert {d["title"] for d in data} == {"Escape", "Shared"}
    assert all("answer" not in q for d in data for q in d["quiz"])
    staff = api(world.staff_a).get(f"/api/education/{lesson.pk}/").data
    assert staff["quiz"][0]["answer"] == 1
    assert [d["title"] for d in api(world.staff_b).get("/api/education/").data["results"]] == [
        "Shared"]


def test_complete_scores_the_answers_and_refuses_bad_ones(world, lesson):
    Resident.objects.filter(pk=world.resident_a1.pk).update(user=world.users["resident_a1"])
    resident = api(world.users["resident_a1"])
    url = f"/api/education/{lesson.pk}/complete/"
    response = resident.post(url, {"answers": [1, 0]}, format="json")
    assert response.status_code == 400 and "lesson" in response.data  # not assigned yet
    LessonAssignment.objects.create(community=world.community_a, lesson=lesson)
    response = resident.post(url, {"answers": [1]}, format="json")
    assert response.status_code == 400 and "answers" in response.data
    response = resident.post(url, {"answers": [1, 1]}, format="json")
    assert response.status_code == 200, response.data
    assert (response.data["score"], response.data["passed"]) == (50, False)
    response = resident.post(url, {"answers": [1, 0]}, format="json")
    assert (response.data["score"], response.data["passed"], response.data["attempts"]) == (
        100, True, 2)
    assert LessonCompletion.objects.count() == 1
    assert api(world.staff_b).post(url, {"answers": [1, 0]}, format="json").status_code == 404


def test_assignments_carry_their_coverage_and_stay_in_scope(world, lesson):
    body = {"community": world.community_a.pk, "lesson": lesson.pk, "audience": "all_residents",
            "grid": world.grid_a1.pk}
    response = api(world.staff_a).post("/api/education/assignments/", body, format="json")
    assert response.status_code == 201, response.data
    detail = api(world.staff_a).get(f"/api/education/assignments/{response.data['id']}/").data
    assert detail["coverage"]["assigned"] == 1
    response = api(world.staff_b).post("/api/education/assignments/",
                                       {**body, "community": world.community_b.pk}, format="json")
    assert response.status_code == 400 and "lesson" in response.data
    assert api(world.staff_b).get("/api/education/assignments/").data["results"] == []


def test_shared_lessons_are_written_only_by_platform_admins(world):
    body = {"title": "Shared", "topic": "other", "community": None}
    response = api(world.staff_a).post("/api/education/", body, format="json")
    assert response.status_code == 400 and "community" in response.data
    assert api(world.users["admin"]).post("/api/education/", body, format="json").status_code == 201
    response = api(world.staff_a).post("/api/education/", {
        **body, "community": world.community_a.pk,
        "quiz": [{"question": "q", "choices": ["a"], "answer": 0}]}, format="json")
    assert response.status_code == 400 and "quiz" in response.data


def test_a_drill_through_the_api(world):
    staff = api(world.staff_a)
    response = staff.post("/api/drills/", {
        "community": world.community_a.pk, "grid": world.grid_a1.pk, "scenario": "flood",
        "title": "Flood drill", "planned_at": T0.isoformat()}, format="json")
    assert response.status_code == 201, response.data
    drill = Drill.objects.get()
    base = f"/api/drills/{drill.pk}"
    assert staff.post(f"{base}/finish/", {"lessons_learned": "x"}, format="json").data == {
        "drill": ["Record at least one timing or participation first."]}

    response = staff.post(f"{base}/participation/", [
        {"household": world.household_a1.pk, "present": True},
        {"household": world.household_b1.pk, "present": True}], format="json")
    assert response.status_code == 400 and "household" in response.data
    assert not DrillParticipation.objects.exists()
    response = staff.post(f"{base}/participation/", [
        {"household": world.household_a1.pk, "present": True}], format="json")
    assert response.status_code == 201, response.data

    response = staff.post(f"{base}/timings/", {
        "building": world.building_a1.pk, "started_at": T0.isoformat(),
        "all_out_at": (T0 - dt.timedelta(minutes=2)).isoformat()}, format="json")
    assert response.status_code == 400 and "all_out_at" in response.data
    response = staff.post(f"{base}/timings/", {
        "building": world.building_a1.pk, "started_at": T0.isoformat(),
        "all_out_at": (T0 + dt.timedelta(minutes=4)).isoformat(), "people_counted": 12},
        format="json")
    assert response.status_code == 201 and response.data["evacuation_seconds"] == 240
    assert DrillTiming.objects.count() == 1

    report = staff.get(f"{base}/report/").data
    assert (report["households"], report["present"], report["rate"]) == (1, 1, 100.0)
    assert report["max_evacuation_seconds"] == 240

    response = staff.post(f"{base}/finish/", {"lessons_learned": "Good", "actions": [
        {"text": "Repeat in winter"}]}, format="json")
    assert response.status_code == 200 and response.data["status"] == "done"
    response = staff.post(f"{base}/finish/", {"lessons_learned": "Again"}, format="json")
    assert response.status_code == 400 and "status" in response.data


def test_drills_api_scope(world):
    drill = Drill.objects.create(community=world.community_a, scenario="flood", title="D",
                                 planned_at=T0)
    DrillParticipation.objects.create(drill=drill, household=world.household_a1)
    DrillParticipation.objects.create(drill=drill, household=world.household_a2, present=False)
    assert api(world.staff_b).get("/api/drills/").data["results"] == []
    assert api(world.staff_b).get(f"/api/drills/{drill.pk}/").status_code == 404
    resident = api(world.users["resident_a1"])
    assert resident.get(f"/api/drills/{drill.pk}/").status_code == 200
    rows = resident.get(f"/api/drills/{drill.pk}/participation/").data
    assert [r["household"] for r in rows] == [world.household_a1.pk]
    assert resident.post(f"/api/drills/{drill.pk}/finish/", {"lessons_learned": "x"},
                         format="json").status_code == 403
    assert resident.post(f"/api/drills/{drill.pk}/participation/", [
        {"household": world.household_a1.pk}], format="json").status_code == 403


def test_the_schema_describes_education_and_drills(world):
    paths = api(world.users["admin"]).get("/api/schema/?format=json").json()["paths"]
    for path in ("/api/education/", "/api/education/{id}/complete/", "/api/education/assignments/",
                 "/api/drills/", "/api/drills/{id}/participation/", "/api/drills/{id}/timings/",
                 "/api/drills/{id}/finish/", "/api/drills/{id}/report/"):
        assert path in paths, path
