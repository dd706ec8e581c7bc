"""The assessment API: running, reading, entries and stress tests, errors and scope."""
import pytest
from rest_framework.test import APIClient

from resilience.assessment.models import AssessmentRun, Index, IndicatorEntry, StressTest
from resilience.assessment.services import runs
from resilience.assessment.tests.assess_helpers import make, set_values, use_catalogue
from resilience.assessment.vocab import Source, Weighting

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(monkeypatch, world):
    use_catalogue(monkeypatch, make("p1", "physical", 10), make("s1", "social", 5, 60),
                  make("drills", "organisational", 4, source=Source.SURVEY))
    set_values("p1", {world.community_a: 5, world.community_b: 10, world.community_c: 1})
    set_values("s1", {world.community_a: 5, world.community_b: 60, world.community_c: 5})
    return world


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_staff_run_an_assessment_of_their_community(small):
    response = client(small.staff_a).post("/api/assessment-runs/",
                                          {"community": small.community_a.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["score"] == 75.0  # physical 50, social 100
    assert {v["indicator"] for v in body["values"]} == {"p1", "s1", "drills"}
    detail = client(small.staff_a).get(f"/api/assessment-runs/{body['id']}/").json()
    assert detail["dimension_scores"]["physical"] == 50.0


def test_staff_cannot_run_another_communitys_assessment(small):
    response = client(small.staff_b).post("/api/assessment-runs/",
                                          {"community": small.community_a.pk}, format="json")
    assert response.status_code == 400
    assert "community" in response.json()


def test_grid_worker_views_but_cannot_run(small):
    response = client(small.grid_worker_a1).post("/api/assessment-runs/",
                                                 {"community": small.community_a.pk},
                                                 format="json")
    assert response.status_code == 403
    runs.assess([small.community_a])
    assert client(small.grid_worker_a1).get("/api/assessment-runs/").json()["count"] == 1


def test_staff_b_cannot_see_community_as_runs_and_office_sees_a_and_b_not_c(small):
    made = runs.assess([small.community_a, small.community_b, small.community_c])
    run_a = made[0]
    assert client(small.staff_b).get(f"/api/assessment-runs/{run_a.pk}/").status_code == 404
    assert client(small.staff_b).get("/api/assessment-runs/").json()["count"] == 1
    seen = {r["community"] for r in client(small.office).get("/api/assessment-runs/").json()[
        "results"]}
    assert seen == {small.community_a.pk, small.community_b.pk}
    for name in ("resident_a1", "volunteer_a", "outsider"):
        assert client(small.users[name]).get("/api/assessment-runs/").json()["count"] == 0
    values = client(small.staff_b).get("/api/indicator-values/").json()
    assert {v["community"] for v in values["results"]} == {small.community_b.pk}


def test_an_inconsistent_ahp_index_is_a_400_naming_pairwise(small):
    response = client(small.admin).post("/api/assessment-indices/", {
        "code": "ahp", "name": "AHP", "weighting": Weighting.AHP, "pairwise": {
            "physical/organisational": 9, "organisational/social": 9,
            "social/physical": 9}}, format="json")
    assert response.status_code == 400
    assert "pairwise" in response.json()
    ok = client(small.admin).post("/api/assessment-indices/", {
        "code": "ahp", "name": "AHP", "weighting": Weighting.AHP, "pairwise": {
            "physical/organisational": 2, "physical/social": 4,
            "organisational/social": 2}}, format="json")
    assert ok.status_code == 201, ok.content


def test_only_the_admin_edits_indices(small):
    index = runs.default_index()
    assert client(small.staff_a).get("/api/assessment-indices/").status_code == 200
    response = client(small.staff_a).patch(f"/api/assessment-indices/{index.pk}/",
                                           {"name": "Mine"}, format="json")
    assert response.status_code == 403
    assert client(small.users["resident_a1"]).get("/api/assessment-indices/").status_code == 403


def test_running_with_an_inconsistent_index_is_a_400_and_writes_nothing(small):
    bad = Index.objects.create(code="bad", name="Bad", weighting=Weighting.AHP, pairwise={
        "physical/organisational": 9, "organisational/social": 9, "social/physical": 9})
    response = client(small.staff_a).post("/api/assessment-runs/", {
        "community": small.community_a.pk, "index": bad.pk}, format="json")
    assert response.status_code == 400
    assert "pairwise" in response.json()
    assert not AssessmentRun.objects.exists()


def test_entries_validate_the_indicator(small):
    c = client(small.staff_a)
    ok = c.post("/api/indicator-entries/", {"community": small.community_a.pk,
                                            "indicator": "drills", "value": 3,
                                            "measured_on": "2026-01-05"}, format="json")
    assert ok.status_code == 201, ok.content
    assert IndicatorEntry.objects.get().by == small.staff_a
    for code in ("nope", "p1"):  # unknown, then computed from live data
        bad = c.post("/api/indicator-entries/", {"community": small.community_a.pk,
                                                 "indicator": code, "value": 3,
                                                 "measured_on": "2026-01-05"}, format="json")
        assert bad.status_code == 400
        assert "indicator" in bad.json()
    outside = c.post("/api/indicator-entries/", {"community": small.community_b.pk,
                                                 "indicator": "drills", "value": 3,
                                                 "measured_on": "2026-01-05"}, format="json")
    assert outside.status_code == 400
    assert "community" in outside.json()


def test_csv_export_of_a_run(small):
    run = runs.assess_one(small.community_a)
    response = client(small.staff_a).get(f"/api/assessment-runs/{run.pk}/csv/")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("community,time,indicator")
    assert "p1" in text and "s1" in text


def test_stress_test_runs_and_saves(world):
    response = client(world.staff_a).post("/api/stress-tests/", {
        "community": world.community_a.pk, "kind": "lockdown", "parameters": {"days": 14}},
        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["parameters"]["days"] == 14
    assert "people_affected" in body["result"]
    assert StressTest.objects.filter(community=world.community_a).count() == 1
    again = client(world.staff_a).post("/api/stress-tests/", {
        "community": world.community_a.pk, "kind": "lockdown", "parameters": {"days": 14}},
        format="json").json()
    assert again["comparison"], "a second run compares with the first"


def test_a_bad_stress_parameter_is_a_400_naming_it(world):
    c = client(world.staff_a)
    response = c.post("/api/stress-tests/", {"community": world.community_a.pk,
                                             "kind": "lockdown", "parameters": {"days": -3}},
                      format="json")
    assert response.status_code == 400
    assert "days" in response.json()
    response = c.post("/api/stress-tests/", {"community": world.community_a.pk,
                                             "kind": "meteor", "parameters": {}}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()
    response = c.post("/api/stress-tests/", {"community": world.community_a.pk, "kind": "fire",
                                             "parameters": {"building": world.building_b1.pk}},
                      format="json")
    assert response.status_code == 400
    assert "building" in response.json()
    assert not StressTest.objects.exists()
    scenarios = c.get("/api/stress-tests/scenarios/").json()
    assert {s["kind"] for s in scenarios} >= {"lockdown", "fire", "earthquake"}


def test_self_evaluation_with_an_attested_manual_item(world):
    from resilience.assessment import checklist

    code = checklist.manual_codes()[0]
    c = client(world.staff_a)
    response = c.post("/api/self-evaluations/", {"community": world.community_a.pk,
                                                 "attestations": {code: "Signed 2026-03-01"}},
                      format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    item = next(i for i in body["items"] if i["code"] == code)
    assert item["met"] and body["attestations"] == {code: "Signed 2026-03-01"}
    assert body["total"] == sum(i["points"] for i in body["items"] if i["part"] == "scored")
    bad = c.post("/api/self-evaluations/", {"community": world.community_a.pk,
                                            "attestations": {"nope": "x"}}, format="json")
    assert bad.status_code == 400 and "attestations" in bad.json()
    assert client(world.staff_b).get(f"/api/self-evaluations/{body['id']}/").status_code == 404
