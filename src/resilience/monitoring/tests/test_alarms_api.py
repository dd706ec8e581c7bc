"""The API of rules and alarms: scope, validation of params (400 naming params, nothing written),
filters, and acknowledgement."""
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from resilience.monitoring import rules
from resilience.monitoring.models import Alarm, Rule, Sensor

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
GOOD = {"op": "above", "value": 40, "clear": 35}


@pytest.fixture(autouse=True)
def fresh_engine():
    rules.engine.reset()
    yield
    rules.engine.reset()


@pytest.fixture
def api(world):
    def client_for(name):
        client = APIClient()
        client.force_authenticate(world.users[name])
        return client
    return client_for


@pytest.fixture
def gas_a(world):
    return Sensor.objects.create(community=world.community_a, grid=world.grid_a1, code="gas-a",
                                 name="Kitchen gas", kind="gas", owner=world.property_a)


@pytest.fixture
def gas_b(world):
    return Sensor.objects.create(community=world.community_b, code="gas-b", name="Gas B",
                                 kind="gas")


@pytest.fixture
def alarms(gas_a, gas_b):
    """Gas leaks in both communities: each raises the platform's level II rule."""
    rules.evaluate({gas_a.pk: [(T0, 12.0)], gas_b.pk: [(T0, 30.0)]}, T0)
    return {a.sensor.code + "/" + str(a.level): a for a in Alarm.objects.all()}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- rules --------------------------------------------------------------------------------------

def test_staff_see_their_rules_and_the_platform_rules(world, api):
    mine = Rule.objects.create(community=world.community_a, sensor_kind="gas", name="A",
                               kind="threshold", params=GOOD)
    theirs = Rule.objects.create(community=world.community_b, sensor_kind="gas", name="B",
                                 kind="threshold", params=GOOD)
    platform = set(Rule.objects.filter(community=None).values_list("pk", flat=True))
    seen = ids(api("staff_a").get("/api/rules/?page_size=100"))
    assert mine.pk in seen and theirs.pk not in seen and platform <= seen
    shared = ids(api("staff_a").get("/api/rules/?platform=true&page_size=100"))
    assert shared == platform
    row = api("staff_a").get(f"/api/rules/{mine.pk}/").json()
    assert row["shared"] is False and row["params"] == GOOD
    assert ids(api("outsider").get("/api/rules/")) == set()


def test_staff_create_a_rule_for_their_sensor(world, api, gas_a):
    response = api("staff_a").post("/api/rules/", {
        "sensor": gas_a.pk, "name": "Kitchen gas", "kind": "threshold", "level": 2,
        "params": {"op": "above", "value": 8, "clear": 4, "for_seconds": 30}}, format="json")
    assert response.status_code == 201, response.content
    rule = Rule.objects.get(pk=response.json()["id"])
    assert rule.community == world.community_a and rule.params["for_seconds"] == 30


@pytest.mark.parametrize("kind, params", [
    ("threshold", {"op": "above", "value": 40, "clear": 45}),
    ("threshold", {"op": "sideways", "value": 40, "clear": 35}),
    ("threshold", "above 40"),
    ("rate", {"delta": 0, "seconds": 60}),
    ("stale", {"intervals": -1}),
    ("combination", {"all": [1]}),
])
def test_bad_params_answer_400_naming_params_and_write_nothing(world, api, kind, params):
    before = Rule.objects.count()
    response = api("staff_a").post("/api/rules/", {
        "community": world.community_a.pk, "sensor_kind": "gas", "name": "bad", "kind": kind,
        "params": params}, format="json")
    assert response.status_code == 400, response.content
    assert "params" in response.json()
    assert Rule.objects.count() == before


def test_a_combination_may_not_name_another_communitys_rule(world, api):
    theirs = Rule.objects.create(community=world.community_b, sensor_kind="gas", name="B",
                                 kind="threshold", params=GOOD)
    smoke = Rule.objects.get(community=None, name="Smoke detected")
    response = api("staff_a").post("/api/rules/", {
        "community": world.community_a.pk, "sensor_kind": "smoke", "name": "both",
        "kind": "combination", "params": {"all": [smoke.pk, theirs.pk]}}, format="json")
    assert response.status_code == 400 and "params" in response.json()


def test_a_bad_change_to_params_writes_nothing(world, api):
    rule = Rule.objects.create(community=world.community_a, sensor_kind="gas", name="A",
                               kind="threshold", params=GOOD)
    response = api("staff_a").patch(f"/api/rules/{rule.pk}/", {
        "params": {"op": "above", "value": 40, "clear": 40}}, format="json")
    assert response.status_code == 400 and "params" in response.json()
    rule.refresh_from_db()
    assert rule.params == GOOD


def test_platform_rules_are_read_only_for_staff(world, api):
    platform = Rule.objects.get(community=None, name="Smoke detected")
    response = api("staff_a").patch(f"/api/rules/{platform.pk}/", {"level": 4}, format="json")
    assert response.status_code == 403
    response = api("staff_a").post("/api/rules/", {
        "sensor_kind": "gas", "name": "everyone", "kind": "threshold", "params": GOOD},
        format="json")
    assert response.status_code == 400 and "community" in response.json()
    response = api("admin").post("/api/rules/", {
        "sensor_kind": "gas", "name": "everyone", "kind": "threshold", "params": GOOD},
        format="json")
    assert response.status_code == 201 and response.json()["shared"] is True


def test_grid_workers_and_other_communities_may_not_write_rules(world, api, gas_a):
    payload = {"community": world.community_a.pk, "sensor_kind": "gas", "name": "x",
               "kind": "threshold", "params": GOOD}
    assert api("grid_worker_a1").post("/api/rules/", payload, format="json").status_code == 403
    assert api("staff_b").post("/api/rules/", payload, format="json").status_code == 400  # unseen


# --- alarms -------------------------------------------------------------------------------------

def test_alarms_are_listed_in_scope_with_their_sensor_and_rule(world, api, alarms):
    mine = alarms["gas-a/2"]
    seen = ids(api("staff_a").get("/api/alarms/"))
    assert seen == {mine.pk}
    row = api("staff_a").get(f"/api/alarms/{mine.pk}/").json()
    assert (row["sensor_code"], row["community_code"], row["status"], row["level"], row["colour"],
            row["unit"], row["rule_name"]) == (
        "gas-a", "comm-a", "open", 2, "orange", "%LEL", "Combustible gas leak")
    assert "12 %LEL" in row["message"]
    assert ids(api("grid_worker_a1").get("/api/alarms/")) == {mine.pk}
    assert ids(api("outsider").get("/api/alarms/")) == set()
    assert len(ids(api("admin").get("/api/alarms/"))) == 3


def test_alarm_filters(world, api, alarms, gas_b):
    admin = api("admin")
    assert ids(admin.get("/api/alarms/?sensor_code=gas-b")) == {
        alarms["gas-b/2"].pk, alarms["gas-b/1"].pk}
    assert ids(admin.get("/api/alarms/?level=1")) == {alarms["gas-b/1"].pk}
    assert len(ids(admin.get("/api/alarms/?level=1,2"))) == 3
    assert ids(admin.get(f"/api/alarms/?community={world.community_a.pk}")) == {alarms["gas-a/2"].pk}
    assert ids(admin.get("/api/alarms/?community_code=comm-a")) == {alarms["gas-a/2"].pk}
    rules.evaluate({gas_b.pk: [(T0.replace(minute=5), 1.0)]}, T0)   # gas B clears
    assert ids(admin.get("/api/alarms/?open=true")) == {alarms["gas-a/2"].pk}
    assert len(ids(admin.get("/api/alarms/?status=cleared"))) == 2
    assert len(ids(admin.get("/api/alarms/?open=false"))) == 2
    assert admin.get("/api/alarms/?level=7").status_code == 400


def test_staff_acknowledge_an_alarm_a_grid_worker_may_not(world, api, alarms):
    alarm = alarms["gas-a/2"]
    url = f"/api/alarms/{alarm.pk}/acknowledge/"
    assert api("grid_worker_a1").post(url).status_code == 403
    assert api("staff_b").post(url).status_code == 404
    response = api("staff_a").post(url)
    assert response.status_code == 200, response.content
    assert response.json()["acknowledged_by"] == world.users["staff_a"].pk
    assert response.json()["acknowledged_at"]
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == world.users["staff_a"]


def test_alarms_are_not_made_or_edited_by_hand(world, api, alarms):
    alarm = alarms["gas-a/2"]
    admin = api("admin")
    assert admin.post("/api/alarms/", {"sensor": 1}, format="json").status_code == 405
    assert admin.patch(f"/api/alarms/{alarm.pk}/", {"status": "cleared"},
                       format="json").status_code == 405
    assert admin.delete(f"/api/alarms/{alarm.pk}/").status_code == 405
    alarm.refresh_from_db()
    assert alarm.status == "open"
