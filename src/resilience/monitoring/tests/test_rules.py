"""The rules engine: each rule type, hysteresis without flapping, memory after a restart,
stale/offline sensors, combinations, no duplicate alarms, signals after commit, acknowledgement."""
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from resilience.core.models import ChangeLogEntry
from resilience.monitoring import alarms as services
from resilience.monitoring import rules
from resilience.monitoring.models import Alarm, Observation, Rule, Sensor
from resilience.monitoring.rules import RuleEngine
from resilience.monitoring.signals import alarm_cleared, alarm_raised
from resilience.places.models import Facility

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def fresh_engine():
    rules.engine.reset()
    yield
    rules.engine.reset()


@pytest.fixture
def power_room(world):
    return Facility.objects.create(community=world.community_a, grid=world.grid_a1,
                                   building=world.building_a1, kind="power_room", code="PR1",
                                   name="Power room 1", owner=world.property_a)


def make_sensor(world, code, kind, community="community_a", **fields) -> Sensor:
    fields.setdefault("grid", world.grid_a1 if community == "community_a" else None)
    return Sensor.objects.create(community=getattr(world, community), code=code, name=code,
                                 kind=kind, **fields)


def feed(sensor, readings, engine=None, now=None):
    """Store the readings as the ingester does, then evaluate them; ``readings`` are
    (seconds after T0, value)."""
    series = [(at(s), float(v)) for s, v in readings]
    Observation.objects.bulk_create([Observation(sensor=sensor, time=t, value=v) for t, v in series])
    return (engine or rules.engine).evaluate({sensor.pk: series}, now or series[-1][0])


def threshold(sensor, op="above", value=50.0, clear=45.0, level=3, **extra) -> Rule:
    return Rule.objects.create(community=sensor.community, sensor=sensor, name=f"{op} {value}",
                               kind="threshold", level=level,
                               params={"op": op, "value": value, "clear": clear, **extra})


def alarms_of(sensor, **filters):
    return list(Alarm.objects.filter(sensor=sensor, **filters).order_by("opened_at", "pk"))


# --- defaults and visibility --------------------------------------------------------------------

def test_default_rules_are_present_after_migrate(db):
    defaults = rules.default_rules()
    platform = {r.name: r for r in Rule.objects.filter(community=None)}
    assert {d["name"] for d in defaults} <= set(platform)
    hot = platform["Power room hot"]
    assert (hot.kind, hot.sensor_kind, hot.facility_kind, hot.level) == (
        "threshold", "temperature", "power_room", 3)
    assert hot.params == {"op": "above", "value": 45, "clear": 40}
    combined = platform["Smoke with rising temperature"]
    assert combined.params == {"all": [platform["Smoke detected"].pk,
                                       platform["Temperature rising fast"].pk]}
    for rule in platform.values():
        rule.full_clean()  # every default passes the model's own validation


def test_platform_rules_are_visible_to_members_but_changed_only_by_the_admin(world):
    mine = Rule.objects.create(community=world.community_a, sensor_kind="gas", name="Gas A",
                               kind="threshold", params={"op": "above", "value": 5, "clear": 3})
    platform = Rule.objects.filter(community=None)
    staff_a, staff_b = world.users["staff_a"], world.users["staff_b"]
    assert set(platform) <= set(Rule.objects.visible_to(staff_a, "view"))
    assert set(platform) <= set(Rule.objects.visible_to(world.users["resident_a1"], "view"))
    assert mine in Rule.objects.visible_to(staff_a, "change")
    assert not Rule.objects.visible_to(staff_a, "change").filter(community=None).exists()
    assert mine not in Rule.objects.visible_to(staff_b, "view")
    assert not Rule.objects.visible_to(world.users["outsider"], "view").exists()
    assert Rule.objects.visible_to(world.users["admin"], "change").filter(community=None).exists()


# --- parameters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, params", [
    ("threshold", {"op": "above", "value": 50, "clear": 50}),
    ("threshold", {"op": "below", "value": 5, "clear": 4}),
    ("threshold", {"op": "over", "value": 50, "clear": 40}),
    ("threshold", {"op": "above", "value": "50", "clear": 40}),
    ("threshold", {"op": "above", "value": 50}),
    ("threshold", {"op": "above", "value": 50, "clear": 40, "for_seconds": -1}),
    ("threshold", {"op": "above", "value": 50, "clear": 40, "colour": "red"}),
    ("threshold", {"op": "above", "value": True, "clear": 40}),
    ("rate", {"delta": 0, "seconds": 60}),
    ("rate", {"delta": 5, "seconds": 0}),
    ("rate", {"delta": 5, "seconds": 10 ** 9}),
    ("stale", {"intervals": 0}),
    ("stale", {}),
    ("combination", {"all": [1]}),
    ("combination", {"all": [1, 1]}),
    ("combination", {"all": [1, 2], "any": [3, 4]}),
    ("combination", {"any": ["a", "b"]}),
    ("threshold", [50, 45]),
    ("nonsense", {}),
])
def test_bad_params_are_refused_naming_params(kind, params):
    with pytest.raises(ValidationError) as caught:
        rules.validate_params(kind, params)
    assert list(caught.value.message_dict) == ["params"]


@pytest.mark.parametrize("kind, params", [
    ("threshold", {"op": "above", "value": 50, "clear": 45.5}),
    ("threshold", {"op": "below", "value": 0.1, "clear": 0.15, "for_seconds": 60}),
    ("rate", {"delta": -5, "seconds": 120}),
    ("stale", {"intervals": 2.5}),
    ("combination", {"any": [1, 2, 3]}),
])
def test_good_params_pass(kind, params):
    rules.validate_params(kind, params)


def test_a_combination_names_only_rules_of_its_community_or_the_platform(world):
    other = Rule.objects.create(community=world.community_b, sensor_kind="gas", name="Gas B",
                                kind="threshold", params={"op": "above", "value": 5, "clear": 3})
    smoke = Rule.objects.get(community=None, name="Smoke detected")
    combined = Rule.objects.get(community=None, name="Smoke with rising temperature")
    rule = Rule(community=world.community_a, sensor_kind="smoke", name="x", kind="combination",
                params={"all": [smoke.pk, other.pk]})
    with pytest.raises(ValidationError) as caught:
        rule.clean()
    assert str(other.pk) in caught.value.message_dict["params"][0]
    rule.params = {"any": [smoke.pk, combined.pk]}
    with pytest.raises(ValidationError):
        rule.clean()
    rule.params = {"any": [smoke.pk, 10 ** 9]}
    with pytest.raises(ValidationError):
        rule.clean()


# --- threshold ----------------------------------------------------------------------------------

def test_threshold_raises_beyond_value_and_clears_only_past_clear(world):
    sensor = make_sensor(world, "hum-1", "humidity")
    rule = threshold(sensor, value=80, clear=70, level=3)
    assert feed(sensor, [(0, 75), (60, 80)]) == []       # at the limit is not beyond it
    raised = feed(sensor, [(120, 83.5)])
    assert [a.status for a in raised] == ["open"]
    alarm = raised[0]
    assert (alarm.level, alarm.value, alarm.opened_at, alarm.rule_id) == (3, 83.5, at(120), rule.pk)
    assert "83.5 %" in alarm.message and "above 80 %" in alarm.message
    assert feed(sensor, [(180, 72), (240, 79), (300, 70)]) == []   # inside the band: holds
    alarm.refresh_from_db()
    assert (alarm.status, alarm.value, alarm.last_seen_at) == ("open", 70, at(300))
    cleared = feed(sensor, [(360, 69.9)])
    assert cleared == [alarm]
    alarm.refresh_from_db()
    assert (alarm.status, alarm.cleared_at, alarm.value) == ("cleared", at(360), 69.9)
    assert len(alarms_of(sensor)) == 1


def test_threshold_below_for_falling_values(world):
    sensor = make_sensor(world, "hyd-1", "water_pressure")
    threshold(sensor, op="below", value=0.1, clear=0.15, level=4)
    feed(sensor, [(0, 0.2), (60, 0.08)])
    assert [a.status for a in alarms_of(sensor)] == ["open"]
    assert "below 0.1 MPa" in alarms_of(sensor)[0].message
    feed(sensor, [(120, 0.12), (180, 0.16)])
    assert [a.status for a in alarms_of(sensor)] == ["cleared"]


def test_a_spike_inside_one_batch_is_recorded_raised_and_cleared(world):
    sensor = make_sensor(world, "hum-2", "humidity")
    threshold(sensor, value=80, clear=70)
    changed = feed(sensor, [(0, 60), (10, 95), (20, 60)])
    assert [(a.status, a.opened_at, a.cleared_at) for a in alarms_of(sensor)] == [
        ("cleared", at(10), at(20))]
    assert len(changed) == 2  # raised, then cleared


def test_for_seconds_needs_the_breach_to_last(world):
    sensor = make_sensor(world, "cur-1", "current", interval_seconds=20)
    threshold(sensor, value=16, clear=14, for_seconds=40)
    feed(sensor, [(0, 17), (20, 17)])
    feed(sensor, [(30, 15)])                # back below the limit: the clock starts again
    feed(sensor, [(40, 17), (60, 18)])
    assert alarms_of(sensor) == []
    feed(sensor, [(80, 17)])                # 40 s above since 40
    assert [(a.status, a.opened_at) for a in alarms_of(sensor)] == [("open", at(80))]
    assert "for 40 s" in alarms_of(sensor)[0].message


def test_for_seconds_is_read_back_from_the_readings_after_a_restart(world):
    sensor = make_sensor(world, "cur-2", "current", interval_seconds=20)
    threshold(sensor, value=16, clear=14, for_seconds=40)
    feed(sensor, [(0, 15), (20, 17), (40, 17)])
    assert alarms_of(sensor) == []
    restarted = RuleEngine()
    feed(sensor, [(60, 17)], engine=restarted)
    assert [a.opened_at for a in alarms_of(sensor)] == [at(60)]


def test_a_higher_level_on_the_rule_raises_the_open_alarm(world):
    sensor = make_sensor(world, "hum-3", "humidity")
    rule = threshold(sensor, value=80, clear=70, level=3)
    feed(sensor, [(0, 90)])
    rule.level = 1
    rule.save()
    escalated = feed(sensor, [(60, 91)])
    assert [(a.level, a.status) for a in escalated] == [(1, "open")]
    assert Alarm.objects.get(sensor=sensor).level == 1


def test_late_readings_do_not_clear_an_alarm_seen_since(world):
    sensor = make_sensor(world, "hum-4", "humidity")
    threshold(sensor, value=80, clear=70)
    feed(sensor, [(600, 90)])
    feed(sensor, [(300, 50)])               # older than the reading that raised it
    assert [a.status for a in alarms_of(sensor)] == ["open"]


# --- hysteresis, property-based -----------------------------------------------------------------

VALUE, CLEAR = 50.0, 45.0
near = st.sampled_from([44.9, 45.0, 45.1, 47.5, 49.9, 50.0, 50.1])


def oracle(values):
    """The hysteresis state machine, written again plainly: states after each value, raises."""
    is_open, states, raises = False, [], 0
    for v in values:
        if not is_open and v > VALUE:
            is_open, raises = True, raises + 1
        elif is_open and v < CLEAR:
            is_open = False
        states.append(is_open)
    return states, raises


@hsettings(max_examples=60, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.floats(30, 70), near), min_size=1, max_size=30),
       cuts=st.lists(st.integers(1, 6), max_size=30))
def test_alarm_is_open_exactly_when_the_hysteresis_machine_says_and_never_flaps(world, values,
                                                                                  cuts):
    n = Sensor.objects.count()
    sensor = make_sensor(world, f"prop-{n}", "humidity")
    threshold(sensor, value=VALUE, clear=CLEAR)
    states, raises = oracle(values)
    readings = [(60 * i, v) for i, v in enumerate(values)]
    start = 0
    for size in [*cuts, len(values)]:
        batch = readings[start:start + size]
        if not batch:
            break
        feed(sensor, batch)
        start += len(batch)
        is_open = Alarm.objects.filter(sensor=sensor, status="open").exists()
        assert is_open == states[start - 1]
    crossings = sum(1 for i, v in enumerate(values)
                    if v > VALUE and (i == 0 or values[i - 1] <= VALUE))
    assert Alarm.objects.filter(sensor=sensor).count() == raises <= crossings
    assert Alarm.objects.filter(sensor=sensor, status="open").count() <= 1


# --- rate of change -----------------------------------------------------------------------------

def test_temperature_rising_fast_raises_level_II_and_clears_when_the_rise_stops(world):
    sensor = make_sensor(world, "temp-1", "temperature")   # the platform rate rule: 10 °C / 300 s
    assert feed(sensor, [(0, 20), (60, 21), (120, 25)]) == []
    raised = feed(sensor, [(180, 32)])
    assert [(a.level, a.rule.name) for a in raised] == [(2, "Temperature rising fast")]
    assert "rose 12 °C within 300 s, to 32 °C" in raised[0].message
    feed(sensor, [(240, 33), (360, 33)])                  # still 12 above the window's lowest
    assert [a.status for a in alarms_of(sensor)] == ["open"]
    feed(sensor, [(420, 33)])                             # lowest of the last 300 s now 25
    assert [a.status for a in alarms_of(sensor)] == ["cleared"]


def test_a_falling_rate_rule(world):
    sensor = make_sensor(world, "hyd-2", "water_pressure")
    Rule.objects.create(community=world.community_a, sensor=sensor, name="pressure drop",
                        kind="rate", params={"delta": -0.2, "seconds": 120}, level=3)
    feed(sensor, [(0, 0.5), (60, 0.45)])
    assert alarms_of(sensor) == []
    feed(sensor, [(120, 0.25)])
    assert "fell 0.25 MPa" in alarms_of(sensor)[0].message


def test_the_rate_window_is_read_back_after_a_restart(world):
    sensor = make_sensor(world, "temp-2", "temperature")
    feed(sensor, [(0, 20), (60, 22), (120, 25)])
    feed(sensor, [(180, 31)], engine=RuleEngine())        # a new process: no memory
    assert [a.status for a in alarms_of(sensor)] == ["open"]


def test_readings_taken_by_another_ingester_fill_the_gap(world):
    sensor = make_sensor(world, "temp-3", "temperature")
    feed(sensor, [(0, 20), (60, 21)])
    other = RuleEngine()
    feed(sensor, [(120, 24), (180, 27)], engine=other)
    feed(sensor, [(240, 31)])                             # 10 above the reading at 60 s
    assert [a.status for a in alarms_of(sensor)] == ["open"]


def test_a_retried_batch_gives_the_same_outcome(world):
    sensor = make_sensor(world, "temp-4", "temperature")
    feed(sensor, [(0, 20)])
    series = [(at(60), 26.0), (at(120), 31.0)]
    Observation.objects.bulk_create([Observation(sensor=sensor, time=t, value=v) for t, v in series])
    with pytest.raises(RuntimeError), transaction.atomic():
        rules.evaluate({sensor.pk: series}, at(120))
        raise RuntimeError("database went away")         # the ingester's transaction fails
    assert alarms_of(sensor) == []
    rules.evaluate({sensor.pk: series}, at(120))          # the ingester retries the batch
    assert [(a.status, a.opened_at) for a in alarms_of(sensor)] == [("open", at(120))]


# --- stale and offline --------------------------------------------------------------------------

def test_silent_sensor_goes_stale_then_offline_and_its_next_reading_clears_the_alarm(world):
    sensor = make_sensor(world, "smk-1", "smoke", interval_seconds=60)
    Sensor.objects.filter(pk=sensor.pk).update(last_time=T0, last_value=0, status="online")
    assert rules.check_stale(at(170)) == []
    sensor.refresh_from_db()
    assert sensor.status == "online"
    raised = rules.check_stale(at(180))                    # 3 intervals of the default rule
    assert [(a.level, a.rule.name, a.status) for a in raised] == [(4, "Sensor silent", "open")]
    assert "no reading for 3 min (expected every 60 s)" in raised[0].message
    sensor.refresh_from_db()
    assert sensor.status == "stale"
    assert rules.check_stale(at(539)) == []
    assert rules.check_stale(at(540)) == []                # offline after 3 × 3 intervals
    sensor.refresh_from_db()
    assert sensor.status == "offline"
    assert Alarm.objects.filter(sensor=sensor, status="open").count() == 1
    cleared = feed(sensor, [(600, 0)])
    assert [(a.status, a.cleared_at) for a in cleared] == [("cleared", at(600))]
    Sensor.objects.filter(pk=sensor.pk).update(last_time=at(600))
    rules.check_stale(at(630))
    sensor.refresh_from_db()
    assert sensor.status == "online"


def test_a_community_stale_rule_replaces_the_default(world):
    sensor = make_sensor(world, "smk-2", "smoke", interval_seconds=60)
    Sensor.objects.filter(pk=sensor.pk).update(last_time=T0, status="online")
    Rule.objects.create(community=world.community_a, name="quiet 10", kind="stale",
                        params={"intervals": 10}, level=3)
    assert rules.check_stale(at(590)) == []
    sensor.refresh_from_db()
    assert sensor.status == "online"
    assert [a.level for a in rules.check_stale(at(600))] == [3]


def test_stale_check_leaves_faulty_and_inactive_sensors_alone(world):
    faulty = make_sensor(world, "smk-3", "smoke")
    inactive = make_sensor(world, "smk-4", "smoke", active=False)
    Sensor.objects.filter(pk__in=[faulty.pk, inactive.pk]).update(last_time=T0)
    Sensor.objects.filter(pk=faulty.pk).update(status="fault")
    changed = rules.check_stale(at(3600))
    assert [a.sensor_id for a in changed] == [faulty.pk]
    faulty.refresh_from_db()
    assert faulty.status == "fault"


def test_a_sensor_that_never_reported_gets_its_intervals_of_grace(world):
    sensor = make_sensor(world, "smk-5", "smoke", interval_seconds=60)
    assert rules.check_stale(sensor.created + timedelta(seconds=100)) == []
    raised = rules.check_stale(sensor.created + timedelta(seconds=200))
    assert "since it was added" in raised[0].message


def test_switching_a_rule_off_clears_its_open_alarms(world):
    sensor = make_sensor(world, "hum-5", "humidity")
    rule = threshold(sensor, value=80, clear=70)
    feed(sensor, [(0, 90)])
    rule.active = False
    rule.save()
    Sensor.objects.filter(pk=sensor.pk).update(last_time=at(0))
    rules.check_stale(at(30))
    assert [a.status for a in alarms_of(sensor)] == ["cleared"]


# --- combination --------------------------------------------------------------------------------

def test_smoke_and_rising_temperature_in_the_same_power_room_raise_level_I(world, power_room):
    smoke = make_sensor(world, "pr-smoke", "smoke", facility=power_room)
    temp = make_sensor(world, "pr-temp", "temperature", facility=power_room)
    elsewhere = make_sensor(world, "b2-smoke", "smoke", building=world.building_a2)
    feed(temp, [(0, 20), (60, 26), (120, 31)])                 # temperature rising fast
    feed(elsewhere, [(120, 12)])                                # smoke, but somewhere else
    assert not Alarm.objects.filter(rule__kind="combination").exists()
    changed = feed(smoke, [(130, 12)])
    combined = [a for a in changed if a.rule.kind == "combination"]
    assert [(a.sensor_id, a.level, a.status) for a in combined] == [(smoke.pk, 1, "open")]
    assert combined[0].message == ("Smoke with rising temperature at Power room 1: all of "
                                   "Smoke detected; Temperature rising fast")
    feed(smoke, [(190, 3)])                                     # the smoke clears
    combined[0].refresh_from_db()
    assert combined[0].status == "cleared"
    assert not Alarm.objects.filter(sensor=elsewhere, rule__kind="combination").exists()


def test_an_any_combination_on_one_sensor(world):
    sensor = make_sensor(world, "gas-1", "gas")
    leak = Rule.objects.get(community=None, name="Combustible gas leak")
    danger = Rule.objects.get(community=None, name="Combustible gas near the explosive limit")
    Rule.objects.create(community=world.community_a, sensor_kind="gas", name="Any gas",
                        kind="combination", params={"any": [leak.pk, danger.pk]}, level=2)
    feed(sensor, [(0, 12)])
    assert {a.rule.name for a in alarms_of(sensor, status="open")} == {
        "Combustible gas leak", "Any gas"}
    feed(sensor, [(60, 4)])
    assert not Alarm.objects.filter(sensor=sensor, status="open").exists()


# --- which rules apply --------------------------------------------------------------------------

def test_a_community_rule_replaces_the_platform_thresholds_for_its_sensors(world, power_room):
    room_b = Facility.objects.create(community=world.community_b, kind="power_room", code="PR",
                                     name="Power room B")
    in_a = make_sensor(world, "pr-a", "temperature", facility=power_room)
    in_b = make_sensor(world, "pr-b", "temperature", community="community_b", facility=room_b)
    Rule.objects.create(community=world.community_a, sensor_kind="temperature",
                        facility_kind="power_room", name="Hot room A", kind="threshold",
                        params={"op": "above", "value": 50, "clear": 45}, level=3)
    feed(in_a, [(0, 47)])
    feed(in_b, [(0, 47)])
    assert alarms_of(in_a) == []
    assert [a.rule.name for a in alarms_of(in_b)] == ["Power room hot"]


def test_power_room_thresholds_do_not_watch_other_temperature_sensors(world):
    outdoor = make_sensor(world, "out-temp", "temperature")
    feed(outdoor, [(0, 47), (600, 47)])
    assert alarms_of(outdoor) == []


# --- no duplicates ------------------------------------------------------------------------------

def test_one_open_alarm_across_batches(world):
    sensor = make_sensor(world, "gas-2", "gas")
    for n in range(4):
        feed(sensor, [(60 * n, 12 + n)])
    open_alarms = alarms_of(sensor, status="open")
    assert len(open_alarms) == 1
    assert (open_alarms[0].value, open_alarms[0].last_seen_at) == (15, at(180))


def test_a_second_ingester_with_a_stale_view_updates_instead_of_duplicating(world, monkeypatch):
    sensor = make_sensor(world, "gas-3", "gas")
    first, second = RuleEngine(), RuleEngine()
    assert len(feed(sensor, [(0, 12)], engine=first)) == 1
    # The second read the open alarms before the first committed: it sees none.
    monkeypatch.setattr(second, "_open_alarms", lambda *args, **kwargs: {})
    assert feed(sensor, [(60, 13)], engine=second) == []
    alarm = Alarm.objects.get(sensor=sensor)
    assert (alarm.status, alarm.value, alarm.last_seen_at) == ("open", 13, at(60))


@pytest.mark.django_db(transaction=True)
def test_two_ingesters_at_once_open_one_alarm():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite takes one writer at a time")
    from resilience.core.testing import build_world

    world = build_world()
    sensor = make_sensor(world, "gas-4", "gas")
    threshold(sensor, value=10, clear=5, level=2)   # a flushed database has no default rules
    threshold(sensor, value=25, clear=20, level=1)
    series = [(at(0), 30.0)]
    Observation.objects.create(sensor=sensor, time=at(0), value=30.0)
    barrier, results, errors = threading.Barrier(2), [], []

    def ingest():
        engine = RuleEngine()
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                results.append(engine.evaluate({sensor.pk: series}, at(0)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Alarm.objects.filter(sensor=sensor, status="open").count() == 2  # both rules
    assert Alarm.objects.filter(sensor=sensor).count() == 2
    assert sorted(len(r) for r in results) == [0, 2]


# --- signals, change log, cost ------------------------------------------------------------------

def test_signals_go_out_after_commit(world, django_capture_on_commit_callbacks):
    sensor = make_sensor(world, "hum-6", "humidity")
    threshold(sensor, value=80, clear=70)
    seen = []

    def raised(sender, alarm, **kwargs):
        seen.append(("raised", alarm.pk))

    def cleared(sender, alarm, **kwargs):
        seen.append(("cleared", alarm.pk))

    alarm_raised.connect(raised)
    alarm_cleared.connect(cleared)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            feed(sensor, [(0, 90), (60, 91)])
            assert seen == []                      # nothing before the commit
        assert len(callbacks) == 1
        alarm = Alarm.objects.get(sensor=sensor)
        assert seen == [("raised", alarm.pk)]
        with django_capture_on_commit_callbacks(execute=True):
            feed(sensor, [(120, 60)])
        assert seen == [("raised", alarm.pk), ("cleared", alarm.pk)]
    finally:
        alarm_raised.disconnect(raised)
        alarm_cleared.disconnect(cleared)


def test_a_failing_receiver_does_not_break_evaluation(world, django_capture_on_commit_callbacks):
    sensor = make_sensor(world, "hum-7", "humidity")
    threshold(sensor, value=80, clear=70)

    def broken(sender, alarm, **kwargs):
        raise RuntimeError("webhook down")

    alarm_raised.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            feed(sensor, [(0, 90)])
    finally:
        alarm_raised.disconnect(broken)
    assert Alarm.objects.filter(sensor=sensor, status="open").count() == 1


def test_raising_and_clearing_are_change_logged(world):
    sensor = make_sensor(world, "hum-8", "humidity")
    threshold(sensor, value=80, clear=70)
    feed(sensor, [(0, 90), (60, 60)])
    alarm = Alarm.objects.get(sensor=sensor)
    entries = ChangeLogEntry.objects.filter(content_type__model="alarm", object_id=alarm.pk)
    assert sorted(e.action for e in entries) == ["create", "update"]
    update = entries.get(action="update")
    assert (update.before["status"], update.after["status"]) == ("open", "cleared")


def test_a_quiet_batch_costs_a_fixed_number_of_queries(world, power_room,
                                                       django_assert_max_num_queries):
    sensors = [make_sensor(world, f"many-{i}", "temperature", facility=power_room)
               for i in range(50)]
    batch = {s.pk: [(at(60 * k), 20.0 + k % 3) for k in range(20)] for s in sensors}
    rules.evaluate(batch, at(1200))                      # warm: rules, sensors, history
    later = {s.pk: [(at(1200 + 60 * k), 21.0) for k in range(1, 21)] for s in sensors}
    with django_assert_max_num_queries(2):               # rules fingerprint, open alarms
        assert rules.evaluate(later, at(2400)) == []


# --- acknowledgement ----------------------------------------------------------------------------

def test_staff_and_the_owner_acknowledge_a_grid_worker_may_not(world):
    sensor = make_sensor(world, "gas-5", "gas", owner=world.property_a)
    feed(sensor, [(0, 12)])
    alarm = Alarm.objects.get(sensor=sensor)
    with pytest.raises(PermissionDenied):
        services.acknowledge(alarm, world.users["grid_worker_a1"])
    with pytest.raises(PermissionDenied):
        services.acknowledge(alarm, world.users["staff_b"])
    services.acknowledge(alarm, world.users["staff_a"])
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == world.users["staff_a"] and alarm.acknowledged_at
    first = alarm.acknowledged_at
    services.acknowledge(alarm, world.users["property_a"])   # the first acknowledgement stays
    alarm.refresh_from_db()
    assert (alarm.acknowledged_by, alarm.acknowledged_at) == (world.users["staff_a"], first)
    entry = ChangeLogEntry.objects.filter(content_type__model="alarm", object_id=alarm.pk,
                                          action="update").latest("id")
    assert entry.user == world.users["staff_a"]


# --- the periodic command -----------------------------------------------------------------------

def test_check_sensors_once(world):
    sensor = make_sensor(world, "smk-9", "smoke")
    Sensor.objects.filter(pk=sensor.pk).update(last_time=T0, status="online")
    out = StringIO()
    call_command("check_sensors", "--now", at(600).isoformat(), stdout=out)
    assert "1 alarm(s) changed" in out.getvalue() and "no reading for 10 min" in out.getvalue()


def test_check_sensors_loop_stops_cleanly_on_sigterm(world, monkeypatch):
    from resilience.monitoring.management.commands import check_sensors

    calls = []

    def check_then_terminate(now=None):
        calls.append(now)
        os.kill(os.getpid(), signal.SIGTERM)      # the handler is in place by the first check
        return []

    monkeypatch.setattr(check_sensors, "check_stale", check_then_terminate)
    monkeypatch.setattr(check_sensors, "close_old_connections", lambda: None)  # test transaction
    previous = signal.getsignal(signal.SIGTERM)
    out = StringIO()
    call_command("check_sensors", "--loop", "30", stdout=out)
    assert len(calls) == 1 and "stopped" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) is previous
