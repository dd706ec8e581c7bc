"""The sensor simulator: normal days stay quiet, each scenario trips the rules it is meant to, and
the readings reach the database in process, over HTTP and over the local Mosquitto."""
import datetime as dt
import json
import socket
import threading
import time
import uuid
from types import SimpleNamespace

import pytest

from resilience.monitoring import ingest, rules
from resilience.monitoring.models import Alarm, Observation, Sensor
from resilience.monitoring.simulator import (
    LEAD_IN, SCENARIOS, SimSensor, Simulator, load_sensors, run_simulator,
)
from resilience.monitoring.vocab import KIND_UNIT
from tests.services import require

BROKER = ("127.0.0.1", 1883)
T0 = dt.datetime(2025, 7, 15, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai, a summer morning


def estate() -> list[SimSensor]:
    """Sensors as the demo places them: two power rooms, a garage, an e-bike shed, a gas
    regulator, an elevator, a hydrant, a stairwell and a rain gauge."""
    def s(code, kind, role, facility=None, building=None, grid=1, interval=60):
        return SimSensor(code=code, community="c0001", kind=kind, interval=interval, role=role,
                         grid_id=grid, building_id=building, facility_id=facility)
    return [
        s("pr1-temp", "temperature", "power_room", facility=1),
        s("pr1-current", "current", "power_room", facility=1),
        s("pr1-smoke", "smoke", "power_room", facility=1, interval=120),
        s("pr2-temp", "temperature", "power_room", facility=2, grid=2),
        s("garage-ramp", "water_level", "underground_garage", facility=3),
        s("garage-low", "water_level", "underground_garage", facility=3),
        s("garage-co", "co", "underground_garage", facility=3),
        s("shed-current", "current", "ebike_charging", facility=4, interval=30),
        s("shed-temp", "temperature", "ebike_charging", facility=4),
        s("gas", "gas", "gas", facility=5, grid=2, interval=30),
        s("lift", "elevator", "elevator", facility=6, building=7, interval=30),
        s("hydrant", "water_pressure", "hydrant", facility=8, interval=300),
        s("stairs-smoke", "smoke", "stairwell", building=9, grid=2, interval=120),
        s("stairs-temp", "temperature", "stairwell", building=9, grid=2, interval=120),
        s("rain", "rain", "", grid=None, interval=300),
    ]


def drive(scenario="normal", speed=1.0, seconds=40.0, step=0.1, sensors=None, **kwargs):
    """Run the simulator on a fake clock, without a broker; return [(wall, code, value)]."""
    clock = [0.0]
    sim = Simulator(sensors or estate(), scenario=scenario, speed=speed, clock=lambda: clock[0],
                    now=lambda: T0 + dt.timedelta(seconds=clock[0]), **kwargs)
    out = []
    while clock[0] <= seconds:
        out += [(clock[0], r.sensor.code, r.value) for r in sim.due(clock[0])]
        clock[0] = round(clock[0] + step, 6)
    return out, sim


def series(readings, code):
    return [(t, v) for t, c, v in readings if c == code]


def first_above(points, limit):
    return next((t for t, v in points if v > limit), None)


def applicable(sensor: SimSensor, rule: dict) -> bool:
    return (rule["kind"] == "threshold" and rule["sensor_kind"] == sensor.kind
            and rule["facility_kind"] in ("", sensor.role))


def test_power_room_overheat_crosses_45_then_60_within_the_scenario_window():
    readings, sim = drive("power-room-overheat", seconds=LEAD_IN + 25)
    points = series(readings, "pr1-temp")
    assert points and all(v < 45 for t, v in points if t < LEAD_IN)  # normal before it starts
    past_45, past_60 = first_above(points, 45), first_above(points, 60)
    assert past_45 is not None and past_60 is not None
    assert LEAD_IN < past_45 < past_60 <= LEAD_IN + 20
    assert max(v for _t, v in points) < 80
    # the room's current rises with it; the other power room is left alone
    assert max(v for _t, v in series(readings, "pr1-current")) > \
        series(readings, "pr1-current")[0][1]
    assert all(v < 45 for _t, v in series(readings, "pr2-temp"))
    assert "pr1-temp" in sim.scenario.description


def test_at_speed_five_the_same_scenario_takes_a_fifth_of_the_time():
    readings, _sim = drive("power-room-overheat", speed=5, seconds=(LEAD_IN + 25) / 5, step=0.05)
    points = series(readings, "pr1-temp")
    past_60 = first_above(points, 60)
    assert past_60 is not None and past_60 <= (LEAD_IN + 20) / 5


@pytest.mark.parametrize("scenario,code,limit", [
    ("fire", "stairs-smoke", 10), ("fire", "stairs-temp", 45), ("flood", "garage-ramp", 10),
    ("flood", "garage-low", 10), ("gas-leak", "gas", 10),
])
def test_each_scenario_drives_its_sensors_past_the_platform_threshold(scenario, code, limit):
    readings, _sim = drive(scenario, seconds=LEAD_IN + 80, step=0.25)
    assert first_above(series(readings, code), limit) is not None


def test_offline_silences_one_grid_and_nothing_else():
    readings, sim = drive("offline", seconds=LEAD_IN + 400, step=1)
    after = {c for t, c, _v in readings if t > LEAD_IN + 1}
    grid_one = {s.code for s in estate() if s.grid_id == 1}
    assert sim.silenced and sim.silenced <= grid_one
    assert not after & grid_one
    assert after >= {s.code for s in estate() if s.grid_id == 2}


def test_a_normal_day_stays_inside_every_platform_threshold_and_plausible_range():
    # One wall second is ten minutes: a whole summer day in 144 s of fake time.
    readings, _sim = drive("normal", speed=600, seconds=144, step=0.02)
    by_code = {s.code: s for s in estate()}
    thresholds = [r for r in rules.default_rules() if r["kind"] == "threshold"]
    assert len({c for _t, c, _v in readings}) == len(by_code)
    for _t, code, value in readings:
        sensor = by_code[code]
        _unit, low, high = KIND_UNIT[sensor.kind]
        assert low <= value <= high, (code, value)
        for rule in thresholds:
            if applicable(sensor, rule):
                assert not rules.breaches(rule["params"], value), (code, value, rule["name"])


def test_every_sensor_reports_within_two_seconds_then_at_its_interval():
    readings, _sim = drive("normal", seconds=2.0)
    assert {c for _t, c, _v in readings} == {s.code for s in estate()}
    readings, _sim = drive("normal", seconds=70, interval=5)  # the demo's cadence
    assert 13 <= len(series(readings, "hydrant")) <= 15


def test_the_same_seed_gives_the_same_readings():
    assert drive("fire", seconds=20)[0] == drive("fire", seconds=20)[0]


def test_unknown_scenario_is_refused():
    assert "power-room-overheat" in SCENARIOS
    with pytest.raises(ValueError):
        Simulator(estate(), scenario="earthquake")


def test_the_demo_simulator_leaves_a_sensor_alone_while_another_sender_reports_for_it():
    clock = [0.0]
    sim = Simulator(estate(), clock=lambda: clock[0], interval=1,
                    now=lambda: T0 + dt.timedelta(seconds=clock[0]))
    for step in range(30):
        sim.due(clock[0])
        clock[0] += 0.1
    mine = sim.sent_at["pr1-temp"]
    assert sim.notice_others({"pr1-temp": mine}, clock[0]) == []  # our own reading
    other = mine + dt.timedelta(seconds=1)
    assert sim.notice_others({"pr1-temp": other, "gas": None}, clock[0]) == ["pr1-temp"]
    codes = set()
    for step in range(100):
        codes |= {r.sensor.code for r in sim.due(clock[0])}
        clock[0] += 0.1
    assert "pr1-temp" not in codes and "pr1-current" in codes


# --- with the database ------------------------------------------------------------------------

@pytest.fixture
def power_room(world):
    """A power room in community A with its temperature sensor, as the demo places them."""
    from resilience.places.models import Facility

    room = Facility.objects.create(community=world.community_a, grid=world.grid_a1,
                                   kind="power_room", code="PR1", name="Power room A",
                                   owner=world.property_a, latitude=31.2312, longitude=121.4712)
    sensor = Sensor.objects.create(community=world.community_a, grid=world.grid_a1,
                                   facility=room, owner=world.property_a,
                                   code=f"comm-a-temperature-{uuid.uuid4().hex[:6]}",
                                   name="Power room A temperature", kind="temperature",
                                   interval_seconds=60)
    Sensor.objects.create(community=world.community_b, code=f"comm-b-gas-{uuid.uuid4().hex[:6]}",
                          name="Regulator B", kind="gas", interval_seconds=30)
    ensure_default_rules()
    ingest.directory.clear()
    rules.engine.reset()
    return sensor


def ensure_default_rules() -> None:
    """The platform rules of migration 0003 (a transactional test before this one flushed them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("resilience.monitoring.migrations.0003_default_rules") \
        .create_default_rules(apps, None)


def args(**extra):
    base = dict(transport="direct", host=BROKER[0], port=BROKER[1], prefix=None, url="",
                token=None, community="comm-a", scenario="power-room-overheat", speed=5.0,
                duration=(LEAD_IN + 16) / 5)
    base.update(extra)
    return SimpleNamespace(**base)


def test_load_sensors_reads_the_active_sensors_of_one_community(power_room):
    sensors = load_sensors("comm-a")
    assert [s.code for s in sensors] == [power_room.code]
    assert (sensors[0].role, sensors[0].community, sensors[0].interval) == \
        ("power_room", "comm-a", 60.0)
    assert len(load_sensors()) == 2


def test_in_process_run_stores_readings_and_raises_the_power_room_alarms(power_room, capsys):
    assert run_simulator(args()) == 0
    values = list(Observation.objects.filter(sensor=power_room).values_list("value", flat=True))
    assert max(values) > 60
    power_room.refresh_from_db()
    assert power_room.status == "online" and power_room.last_value > 45
    levels = set(Alarm.objects.filter(sensor=power_room, status="open")
                 .values_list("level", flat=True))
    assert {3, 2} <= levels  # III above 45 °C, II above 60 °C
    out = capsys.readouterr().out
    assert "scenario power-room-overheat begins" in out and "stopped after" in out


def test_with_no_sensors_it_says_so_and_fails(world, capsys):
    assert run_simulator(args(community="nowhere")) == 1
    assert "no active sensors" in capsys.readouterr().out


def broker_up() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=0.5):
            return True
    except OSError:
        return False


def test_a_short_run_publishes_json_lists_on_the_sensor_topics(power_room, capsys):
    require(broker_up(), f"no MQTT broker at {BROKER[0]}:{BROKER[1]}")
    import paho.mqtt.client as mqtt

    prefix = f"test-sim-{uuid.uuid4().hex[:8]}"
    received, subscribed = [], threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(f"{prefix}/#", qos=1)
    client.on_subscribe = lambda *a: subscribed.set()
    client.on_message = lambda c, u, m: received.append((m.topic, m.qos, json.loads(m.payload)))
    client.connect(*BROKER)
    client.loop_start()
    try:
        assert subscribed.wait(5)
        assert run_simulator(args(transport="mqtt", prefix=prefix)) == 0
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
                v["value"] > 60 for _t, _q, p in received for v in p):
            time.sleep(0.1)
    finally:
        client.disconnect()
        client.loop_stop()
    assert received
    topics = {t for t, _q, _p in received}
    assert topics == {f"{prefix}/comm-a/sensors/{power_room.code}"}
    payloads = [p for _t, _q, p in received]
    assert all(isinstance(p, list) and set(p[0]) == {"sensor", "time", "value"} for p in payloads)
    values = [item["value"] for p in payloads for item in p]
    assert any(v > 45 for v in values) and any(v > 60 for v in values)
    assert {q for _t, q, _p in received} == {1}


@pytest.mark.django_db(transaction=True)
def test_http_transport_posts_batches_with_the_token(live_server, world, power_room):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.users["staff_a"]).key
    assert run_simulator(args(transport="http", url=live_server.url, token=token,
                              duration=2.0)) == 0
    assert Observation.objects.filter(sensor=power_room).exists()
    from django.db import connections

    connections.close_all()
