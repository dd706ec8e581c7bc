"""HTTP ingestion and reading: token auth, scope of posting and reading, summaries, dead letters."""
import datetime as dt
import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from resilience.monitoring import ingest, rules
from resilience.monitoring.models import DeadLetter, Observation, Sensor

T0 = dt.datetime(2025, 6, 1, 0, 0, tzinfo=dt.UTC)
URL = "/api/observations/"


@pytest.fixture
def sensors(world, monkeypatch):
    monkeypatch.setattr(rules, "evaluate", lambda readings, now: [], raising=False)
    made = {
        "temp-a1": Sensor.objects.create(community=world.community_a, code="temp-a1",
                                         name="Power room A", kind="temperature",
                                         owner=world.property_a),
        "smoke-a2": Sensor.objects.create(community=world.community_a, code="smoke-a2",
                                          name="Stairs A2", kind="smoke"),
        "temp-b1": Sensor.objects.create(community=world.community_b, code="temp-b1",
                                         name="Power room B", kind="temperature"),
    }
    ingest.directory.clear()
    return made


@pytest.fixture
def api(world):
    def client_for(name):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=world.users[name])
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client
    return client_for


def readings(sensor="temp-a1", n=1, value=21.0, start=T0):
    return [{"sensor": sensor, "time": (start + dt.timedelta(minutes=i)).isoformat(),
             "value": value} for i in range(n)]


def post(client, body):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL, data, content_type="application/json")


def test_a_property_company_posts_readings_of_its_own_sensor(api, sensors):
    response = post(api("property_a"), readings(n=3))
    assert response.status_code == 200, response.json()
    assert response.json() == {"stored": 3, "duplicates": 0, "dead_letters": 0, "errors": []}
    assert Observation.objects.filter(sensor=sensors["temp-a1"]).count() == 3


def test_posting_the_same_readings_again_stores_nothing_new(api, sensors):
    client = api("staff_a")
    post(client, readings(n=2))
    response = post(client, readings(n=2))
    assert response.status_code == 200
    assert response.json()["stored"] == 0 and response.json()["duplicates"] == 2
    assert Observation.objects.count() == 2


def test_a_property_company_cannot_post_for_another_sensor_of_its_community(api, sensors):
    response = post(api("property_a"), readings("temp-a1") + readings("smoke-a2"))
    assert response.status_code == 403
    body = response.json()
    assert body["stored"] == 0 and body["errors"][0]["sensor"] == "smoke-a2"
    assert Observation.objects.count() == 0 and DeadLetter.objects.count() == 0


def test_a_sensor_of_another_community_looks_unknown(api, sensors):
    response = post(api("property_a"), readings("temp-a1") + readings("temp-b1"))
    assert response.status_code == 207
    body = response.json()
    assert (body["stored"], body["dead_letters"]) == (1, 1)
    assert body["errors"] == [{"index": 1, "sensor": "temp-b1", "reason": "unknown sensor temp-b1"}]
    letter = DeadLetter.objects.get()
    assert letter.community is None  # not filed under community B: B's staff did not post it
    assert Observation.objects.filter(sensor=sensors["temp-b1"]).count() == 0


def test_staff_post_for_every_sensor_of_their_community_only(api, sensors):
    client = api("staff_a")
    assert post(client, readings("temp-a1") + readings("smoke-a2", value=1)).status_code == 200
    response = post(client, readings("temp-b1"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"] == "unknown sensor temp-b1"


@pytest.mark.parametrize("name", ["office", "grid_worker_a1", "resident_a1", "volunteer_a",
                                  "outsider"])
def test_who_may_not_ingest_is_refused(api, sensors, name):
    response = post(api(name), readings())
    assert response.status_code == 403
    assert Observation.objects.count() == 0


def test_posting_needs_a_token():
    response = APIClient().post(URL, json.dumps(readings()), content_type="application/json")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("body, reason", [
    (b"{oops", "not valid JSON"),
    (b"12", "not an object or a list"),
    (b"[]", "holds no readings"),
    (b"\xff", "not UTF-8"),
])
def test_a_malformed_body_is_a_400_naming_the_problem(api, sensors, body, reason):
    response = api("staff_a").post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert reason in response.json()["errors"][0]["reason"]
    assert Observation.objects.count() == 0 and DeadLetter.objects.count() == 0


def test_too_many_readings_are_refused_whole(api, sensors, monkeypatch):
    from resilience.monitoring.api import observations

    monkeypatch.setattr(observations, "MAX_READINGS", 5)
    response = post(api("staff_a"), readings(n=6))
    assert response.status_code == 400 and "at most 5" in response.json()["errors"][0]["reason"]
    assert Observation.objects.count() == 0


def test_partly_bad_readings_give_a_207_summary(api, sensors):
    body = readings(n=2) + [{"sensor": "temp-a1", "time": "2025-06-01T05:00:00", "value": 3},
                            {"sensor": "temp-a1", "time": T0.isoformat(), "value": 1e6}]
    response = post(api("staff_a"), body)
    assert response.status_code == 207
    result = response.json()
    assert (result["stored"], result["dead_letters"]) == (2, 2)
    assert [e["index"] for e in result["errors"]] == [2, 3]
    assert "no UTC offset" in result["errors"][0]["reason"]
    assert DeadLetter.objects.filter(source="http", community=sensors["temp-a1"].community).count() == 2


def test_one_object_may_be_posted(api, sensors):
    response = post(api("staff_a"), readings()[0])
    assert response.status_code == 200 and response.json()["stored"] == 1


def test_errors_speak_the_users_language(api, sensors):
    response = api("staff_a").post(URL, b"[1]", content_type="application/json",
                                   HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"]  # translated when the catalogue has it


# --- reading ------------------------------------------------------------------------------------

def test_readings_are_listed_by_sensor_code_newest_first_with_a_count(api, sensors):
    client = api("staff_a")
    post(client, readings("temp-a1", n=5) + readings("smoke-a2", n=2, value=1))
    response = client.get(URL, {"sensor": "temp-a1", "page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]
    assert body["results"][0]["sensor"] == "temp-a1"
    times = [r["time"] for r in body["results"]]
    assert times == sorted(times, reverse=True)


def test_readings_are_filtered_by_time(api, sensors):
    client = api("staff_a")
    post(client, readings(n=10))
    response = client.get(URL, {"sensor": "temp-a1", "since": "2025-06-01T00:03:00Z",
                                "until": "2025-06-01T00:06:00+00:00"})
    assert response.json()["count"] == 3
    assert client.get(URL, {"since": "not a time"}).status_code == 400


def test_readings_of_other_communities_are_not_listed(api, sensors):
    post(api("staff_b"), readings("temp-b1", n=3))
    post(api("staff_a"), readings("temp-a1", n=2))
    assert api("staff_a").get(URL).json()["count"] == 2
    assert api("staff_a").get(URL, {"sensor": "temp-b1"}).json()["count"] == 0
    assert api("office").get(URL).json()["count"] == 5  # the street office sees both
    assert api("outsider").get(URL).json()["count"] == 0


# --- dead letters -------------------------------------------------------------------------------

def test_staff_see_their_communitys_dead_letters(api, sensors):
    ingest.ingest(b'{"sensor": "temp-a1", "time": "x", "value": 1}', source="mqtt",
                  topic="resilience/comm-a/sensors/temp-a1")
    ingest.ingest(b'{"sensor": "temp-b1", "time": "x", "value": 1}', source="mqtt",
                  topic="resilience/comm-b/sensors/temp-b1")
    ingest.ingest(b"garbage", source="mqtt", topic="resilience/nowhere/sensors/x")
    body = api("staff_a").get("/api/dead-letters/").json()
    assert body["count"] == 1
    letter = body["results"][0]
    assert (letter["sensor_code"], letter["community_code"], letter["source"]) == (
        "temp-a1", "comm-a", "mqtt")
    assert "not an ISO 8601" in letter["reason"] and letter["payload"]
    assert api("admin").get("/api/dead-letters/").json()["count"] == 3
    assert api("admin").get("/api/dead-letters/", {"sensor": "temp-b1"}).json()["count"] == 1
    for name in ("property_a", "resident_a1", "grid_worker_a1"):
        assert api(name).get("/api/dead-letters/").json()["count"] == 0
