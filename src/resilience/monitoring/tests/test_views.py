"""Monitoring pages: they answer inside the user's scope and 404 outside it, the live endpoint
hands over new readings, and only those who may acknowledge an alarm get the button."""
import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from resilience.monitoring.models import Alarm, DeadLetter, Observation, Rule, Sensor

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def data(world):
    """A power room sensor of property A with readings and an open alarm; one sensor in B."""
    o = world.objects
    o["sensor_a"] = Sensor.objects.create(
        community=world.community_a, grid=world.grid_a1, code="comm-a-temperature-01",
        name="Power room A temperature", kind="temperature", owner=world.property_a,
        latitude=31.2312, longitude=121.4712, status="online", battery=15,
        last_time=NOW, last_value=48.5)
    o["sensor_b"] = Sensor.objects.create(
        community=world.community_b, code="comm-b-smoke-01", name="Stairs B smoke", kind="smoke",
        latitude=31.2312, longitude=121.4812)
    Observation.objects.bulk_create([
        Observation(sensor=o["sensor_a"], time=NOW - dt.timedelta(seconds=10 * k),
                    value=48.5 - k) for k in range(5)])
    o["rule_a"] = Rule.objects.create(community=world.community_a, name="Power room hot",
                                      sensor_kind="temperature", kind="threshold",
                                      params={"op": "above", "value": 45, "clear": 40}, level=3)
    o["rule_b"] = Rule.objects.create(community=world.community_b, name="Smoke B",
                                      sensor_kind="smoke", kind="threshold",
                                      params={"op": "above", "value": 10, "clear": 5}, level=1)
    o["alarm_a"] = Alarm.objects.create(
        community=world.community_a, sensor=o["sensor_a"], rule=o["rule_a"], level=3,
        message="Power room A temperature 48.5 °C above 45 °C", value=48.5,
        opened_at=NOW - dt.timedelta(seconds=30), last_seen_at=NOW)
    o["alarm_b"] = Alarm.objects.create(
        community=world.community_b, sensor=o["sensor_b"], rule=o["rule_b"], level=1,
        message="Stairs B smoke 30 dB/m above 10 dB/m", value=30.0, opened_at=NOW,
        last_seen_at=NOW)
    DeadLetter.objects.create(source="mqtt", topic="resilience/comm-a/sensors/x", payload="{",
                              reason="payload is not valid JSON (A)", community=world.community_a)
    DeadLetter.objects.create(source="http", payload="[]", reason="payload holds no readings (B)",
                              community=world.community_b)
    return world


def login(client, world, name):
    client.force_login(world.users[name])
    return client


# (url name prefix, object of community A, object of community B)
PAGES = [
    ("monitoring:sensor", "sensor_a", "sensor_b"),
    ("monitoring:alarm", "alarm_a", "alarm_b"),
    ("monitoring:rule", "rule_a", "rule_b"),
]


@pytest.mark.parametrize("prefix,mine,theirs", PAGES)
def test_staff_open_their_communitys_pages_and_get_404_for_another(client, data, prefix, mine,
                                                                    theirs):
    staff = login(client, data, "staff_a")
    page = staff.get(reverse(f"{prefix}_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert str(getattr(data, mine)) in text and str(getattr(data, theirs)) not in text
    assert staff.get(getattr(data, mine).get_absolute_url()).status_code == 200
    assert staff.get(getattr(data, theirs).get_absolute_url()).status_code == 404


@pytest.mark.parametrize("name", ["grid_worker_a1", "property_a", "resident_a1", "office"])
def test_other_roles_of_the_community_see_its_sensors(client, data, name):
    user = login(client, data, name)
    assert user.get(reverse("monitoring:sensor_list")).status_code == 200
    assert user.get(data.sensor_a.get_absolute_url()).status_code == 200


def test_an_outsider_sees_no_monitoring_page(client, data):
    outsider = login(client, data, "outsider")
    assert outsider.get(reverse("monitoring:sensor_list")).status_code == 403
    assert outsider.get(data.sensor_a.get_absolute_url()).status_code == 404
    live = reverse("monitoring:sensor_live", args=[data.sensor_a.pk])
    assert outsider.get(live).status_code == 404
    assert outsider.get(reverse("monitoring:dashboard_panel")).status_code == 204


def test_pages_ask_anonymous_visitors_to_sign_in(client, data):
    for url in (reverse("monitoring:sensor_list"), data.sensor_a.get_absolute_url(),
                reverse("monitoring:sensor_live", args=[data.sensor_a.pk])):
        assert client.get(url).status_code == 302


def test_sensor_list_shows_status_last_value_with_unit_and_low_battery(client, data):
    page = login(client, data, "staff_a").get(reverse("monitoring:sensor_list"))
    text = page.content.decode()
    assert 'data-status="online"' in text
    assert "48.5 °C" in text
    assert 'class="battery low"' in text
    assert reverse("monitoring:deadletter_list") in text  # staff look after the dead letters


def test_sensor_list_filters_by_kind_status_and_grid(client, data):
    staff = login(client, data, "staff_a")
    url = reverse("monitoring:sensor_list")
    assert "Power room A" in staff.get(url, {"kind": "temperature"}).content.decode()
    assert "Power room A" not in staff.get(url, {"kind": "smoke"}).content.decode()
    assert "Power room A" not in staff.get(url, {"status": "offline"}).content.decode()
    assert "Power room A" in staff.get(url, {"grid": data.grid_a1.pk}).content.decode()
    assert "Power room A" not in staff.get(url, {"grid": data.grid_a2.pk}).content.decode()
    # a grid of another community is refused, not ignored
    assert "Power room A" not in staff.get(url, {"grid": data.grid_b1.pk}).content.decode()


def test_sensor_page_carries_the_live_chart_with_the_rule_threshold(client, data):
    page = login(client, data, "staff_a").get(data.sensor_a.get_absolute_url())
    chart = page.context["chart"]
    assert chart["url"] == reverse("monitoring:sensor_live", args=[data.sensor_a.pk])
    assert chart["unit"] == "°C"
    assert [t["value"] for t in chart["thresholds"]] == [45]
    assert 'id="live-chart"' in page.content.decode()
    assert [a["id"] for a in page.context["alarms"]] == [data.alarm_a.pk]


def test_live_endpoint_returns_the_latest_readings_then_only_new_ones(client, data):
    staff = login(client, data, "staff_a")
    url = reverse("monitoring:sensor_live", args=[data.sensor_a.pk])
    first = staff.get(url).json()
    assert [r[1] for r in first["readings"]] == [44.5, 45.5, 46.5, 47.5, 48.5]  # oldest first
    assert first["sensor"]["last_text"] == "48.5 °C"
    assert first["alarms"][0]["level"] == 3 and first["alarms"][0]["numeral"] == "III"
    last = first["readings"][-1][0]
    assert staff.get(url, {"after": last}).json()["readings"] == []
    Observation.objects.create(sensor=data.sensor_a, time=NOW + dt.timedelta(seconds=1), value=51)
    newer = staff.get(url, {"after": last})
    assert newer["Cache-Control"] == "no-store"
    assert [r[1] for r in newer.json()["readings"]] == [51.0]
    assert staff.get(url, {"after": "yesterday"}).status_code == 400


def test_live_endpoint_of_another_community_is_404(client, data):
    staff = login(client, data, "staff_a")
    assert staff.get(reverse("monitoring:sensor_live", args=[data.sensor_b.pk])).status_code == 404


def test_alarm_list_puts_open_alarms_first_in_their_level_colour(client, data):
    Alarm.objects.create(community=data.community_a, sensor=data.sensor_a, rule=data.rule_a,
                         level=2, status="cleared", message="old, cleared", value=61,
                         opened_at=NOW - dt.timedelta(hours=2), last_seen_at=NOW,
                         cleared_at=NOW - dt.timedelta(hours=1))
    page = login(client, data, "staff_a").get(reverse("monitoring:alarm_list"))
    objects = [row["object"] for row in page.context["rows"]]
    assert [a.status for a in objects] == ["open", "cleared"]
    text = page.content.decode()
    assert 'data-level="3"' in text and "#e3b341" in text  # III yellow


@pytest.mark.parametrize("name,button", [("staff_a", True), ("property_a", True),
                                         ("grid_worker_a1", False), ("resident_a1", False)])
def test_acknowledge_button_only_for_those_who_may(client, data, name, button):
    user = login(client, data, name)
    page = user.get(reverse("monitoring:alarm_list"))
    assert ("ack-button" in page.content.decode()) is button
    detail = user.get(data.alarm_a.get_absolute_url())
    assert ("ack-button" in detail.content.decode()) is button


def test_staff_acknowledge_an_alarm_with_the_button(client, data):
    staff = login(client, data, "staff_a")
    url = reverse("monitoring:alarm_acknowledge", args=[data.alarm_a.pk])
    response = staff.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "acknowledged" in response.content.decode()
    data.alarm_a.refresh_from_db()
    assert data.alarm_a.acknowledged_by == data.users["staff_a"]
    assert data.alarm_a.status == "open"  # acknowledged, still open until it clears
    # without htmx: back to the page it came from
    response = staff.post(url, {"next": reverse("monitoring:alarm_list")})
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:alarm_list")


def test_acknowledging_is_refused_to_viewers_and_hidden_from_other_communities(client, data):
    url = reverse("monitoring:alarm_acknowledge", args=[data.alarm_a.pk])
    assert login(client, data, "grid_worker_a1").post(url).status_code == 403
    assert login(client, data, "staff_b").post(url).status_code == 404
    assert client.get(url).status_code == 405
    data.alarm_a.refresh_from_db()
    assert data.alarm_a.acknowledged_at is None


def test_dashboard_has_the_monitoring_panel_that_refreshes_itself(client, data):
    staff = login(client, data, "staff_a")
    page = staff.get(reverse("dashboard"))
    text = page.content.decode()
    assert 'class="panel monitoring-panel"' in text
    assert f'hx-get="{reverse("monitoring:dashboard_panel")}"' in text
    assert 'hx-trigger="every 2s"' in text
    body = staff.get(reverse("monitoring:dashboard_panel"))
    assert body.status_code == 200 and body["Cache-Control"] == "no-store"
    levels = {item["level"]: item["count"] for item in body.context["panel"]["levels"]}
    assert levels == {1: 0, 2: 0, 3: 1, 4: 0}  # B's red alarm is not counted
    statuses = {s["status"]: s["count"] for s in body.context["panel"]["statuses"]}
    assert statuses["online"] == 1 and sum(statuses.values()) == 1


def test_rules_list_shows_the_communitys_rules_and_platform_defaults(client, data):
    default = Rule.objects.create(name="Platform smoke", sensor_kind="smoke", kind="threshold",
                                  params={"op": "above", "value": 10, "clear": 5}, level=1)
    staff = login(client, data, "staff_a")
    text = staff.get(reverse("monitoring:rule_list"), {"q": "o"}).content.decode()
    assert "Power room hot" in text and "Platform smoke" in text and "Smoke B" not in text
    assert staff.get(default.get_absolute_url()).status_code == 200
    assert staff.get(reverse("monitoring:rule_edit", args=[default.pk])).status_code == 403
    assert staff.get(reverse("monitoring:rule_edit", args=[data.rule_a.pk])).status_code == 200


def test_staff_edit_a_rule_and_bad_parameters_are_refused_whole(client, data):
    staff = login(client, data, "staff_a")
    url = reverse("monitoring:rule_edit", args=[data.rule_a.pk])
    form = {"community": data.community_a.pk, "name": "Power room hot",
            "sensor_kind": "temperature", "kind": "threshold", "level": 3, "active": "on",
            "params": json.dumps({"op": "above", "value": 50, "clear": 45})}
    assert staff.post(url, form).status_code == 302
    data.rule_a.refresh_from_db()
    assert data.rule_a.params["value"] == 50
    response = staff.post(url, {**form, "params": "not json"})
    assert response.status_code == 400
    data.rule_a.refresh_from_db()
    assert data.rule_a.params["value"] == 50


def test_dead_letters_are_for_staff_of_their_community(client, data):
    staff = login(client, data, "staff_a")
    text = staff.get(reverse("monitoring:deadletter_list")).content.decode()
    assert "(A)" in text and "(B)" not in text
    assert login(client, data, "resident_a1").get(
        reverse("monitoring:deadletter_list")).status_code == 403


def test_sensors_api_gives_codes_community_code_and_latest_reading(client, data):
    staff = login(client, data, "staff_a")
    body = staff.get("/api/sensors/", {"kind": "temperature,smoke"}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["code"], row["community_code"], row["unit"], row["status"], row["last_value"]) \
        == ("comm-a-temperature-01", "comm-a", "°C", "online", 48.5)
    assert row["last_time"] is not None
    assert staff.get("/api/sensors/", {"community_code": "comm-b"}).json()["count"] == 0
    assert staff.get("/api/sensors/", {"alarm": "true"}).json()["count"] == 1


def test_sensor_layer_is_coloured_by_the_open_alarm(client, data):
    staff = login(client, data, "staff_a")
    layer = staff.get("/api/sensors/?format=geojson").json()
    [feature] = layer["features"]
    assert feature["properties"]["alarm_level"] == 3
    assert feature["properties"]["colour_hex"] == "#e3b341"
    page = staff.get(reverse("map"))
    assert page.context["map_config"]["sensors"]["endpoint"].startswith("/api/sensors/")
    assert login(client, data, "outsider").get(reverse("map")).context[
        "map_config"].get("sensors") is None


def test_menu_has_the_monitoring_group(client, data):
    text = login(client, data, "staff_a").get(reverse("dashboard")).content.decode()
    for url_name in ("sensor_list", "alarm_list", "rule_list", "deadletter_list"):
        assert reverse(f"monitoring:{url_name}") in text
