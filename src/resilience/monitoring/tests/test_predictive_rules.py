"""The early-warning rule types in the engine: the forecast pre-alarm (raised before the
threshold alarm on a replayed flood, cleared with hysteresis), the anomaly rule against a
baseline, and the upstream rule that needs both a relayed CAP warning and a local sign."""
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.alerts.models import Alert
from resilience.demo.sensors import early_warning_rules
from resilience.monitoring import backtest, baseline, rules
from resilience.monitoring.models import Alarm, Baseline, Observation, Rule, Sensor
from resilience.monitoring.rules import RuleEngine
from resilience.places.models import Facility

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def engine():
    clock = Clock()
    each = RuleEngine(clock=clock)
    each.clock = clock
    return each


@pytest.fixture
def garage(world):
    return Facility.objects.create(community=world.community_a, grid=world.grid_a1,
                                   kind="underground_garage", code="G1", name="Garage",
                                   owner=world.property_a)


def level_sensor(world, garage, code="g-ramp") -> Sensor:
    return Sensor.objects.create(community=world.community_a, grid=world.grid_a1, facility=garage,
                                 code=code, name="Garage ramp water level", kind="water_level",
                                 owner=world.property_a)


def feed(engine, sensor, series):
    """Store and evaluate the readings one at a time, as a sensor sends them."""
    Observation.objects.bulk_create([Observation(sensor=sensor, time=t, value=v)
                                     for t, v in series])
    for t, v in series:
        engine.evaluate({sensor.pk: [(t, v)]}, t)


def ramp(values, start=T0, every=2):
    return [(start + timedelta(seconds=every * k), float(v)) for k, v in enumerate(values)]


# --- the forecast pre-alarm ---------------------------------------------------------------------

def test_params_of_the_new_types_are_checked():
    good = [("predictive", {"op": "above", "value": 30, "arm": 5, "horizon": 900}),
            ("anomaly", {"z": 6, "clear": 3, "direction": "above"}),
            ("upstream", {"events": ["rainstorm"], "op": "above", "value": 3, "rise": 0.2})]
    for kind, params in good:
        rules.validate_params(kind, params)
    bad = [("predictive", {"op": "above", "value": 30, "arm": 35, "horizon": 900}),
           ("predictive", {"op": "above", "value": 30, "arm": 5, "horizon": 0}),
           ("predictive", {"op": "above", "value": 30, "arm": 5, "clear": 8, "horizon": 60}),
           ("predictive", {"op": "above", "value": 30, "arm": 5, "horizon": 60, "min_points": 1}),
           ("anomaly", {"z": 3, "clear": 4}), ("anomaly", {"z": 0}),
           ("anomaly", {"z": 5, "direction": "up"}),
           ("upstream", {"events": [], "op": "above", "value": 3}),
           ("upstream", {"events": ["meteor"], "op": "above", "value": 3}),
           ("upstream", {"events": ["rainstorm"], "op": "above", "value": 3, "min_level": 7})]
    for kind, params in bad:
        with pytest.raises(ValidationError) as caught:
            rules.validate_params(kind, params)
        assert list(caught.value.message_dict) == ["params"], (kind, params)


def test_the_api_refuses_a_bad_forecast_rule_naming_params(world):
    api = APIClient()
    api.force_authenticate(world.staff_a)
    response = api.post("/api/rules/", {
        "community": world.community_a.pk, "name": "Forecast", "kind": "predictive",
        "sensor_kind": "water_level", "level": 3,
        "params": {"op": "above", "value": 30, "arm": 40, "horizon": 600}}, format="json")
    assert response.status_code == 400 and "params" in response.json()
    assert not Rule.objects.filter(name="Forecast").exists()


def test_the_pre_alarm_opens_before_the_threshold_alarm_in_a_replayed_flood(world, garage, engine):
    early_warning_rules(world.community_a)  # as the demo seeds them
    sensor = level_sensor(world, garage)
    data = backtest.build("flood")
    series = [(t, v) for t, v in data.readings["garage-ramp-level"]
              if data.start - timedelta(minutes=10) <= t <= data.end]
    feed(engine, sensor, series)
    alarms = {a.rule.name: a for a in Alarm.objects.filter(sensor=sensor).select_related("rule")}
    pre, flooding = alarms["Garage flooding forecast"], alarms["Underground garage flooding"]
    assert pre.level == 3 and flooding.level == 2
    assert pre.opened_at < flooding.opened_at - timedelta(seconds=10)
    assert "forecast to reach 30 cm in about" in pre.message
    assert "Garage ramp water level (g-ramp)" in pre.message
    # No rainstorm warning is in force: the upstream rule stays quiet.
    assert "Rainstorm warning with water rising in the garage" not in alarms


def test_the_pre_alarm_clears_when_the_water_falls_back_and_does_not_flap(world, garage, engine):
    Rule.objects.create(community=world.community_a, sensor_kind="water_level", name="Forecast",
                        kind="predictive", level=3, params={
                            "op": "above", "value": 30, "arm": 5, "clear": 3, "horizon": 600,
                            "window": 60, "min_points": 4})
    sensor = level_sensor(world, garage)
    rise = [0.2, 0.3, 2, 4, 6, 8, 10, 11.5, 12.2, 12.8]
    feed(engine, sensor, ramp(rise))
    pre = Alarm.objects.get(sensor=sensor, rule__name="Forecast")
    assert pre.status == "open"
    # Hovering between clear and arm with noise: the trend still rises, so it holds.
    feed(engine, sensor, ramp([13.5, 13.1, 14.2], start=T0 + timedelta(seconds=20)))
    assert Alarm.objects.get(pk=pre.pk).status == "open"
    feed(engine, sensor, ramp([6, 2.5], start=T0 + timedelta(seconds=26)))
    assert Alarm.objects.get(pk=pre.pk).status == "cleared"
    assert Alarm.objects.filter(sensor=sensor, rule__name="Forecast").count() == 1


def test_a_plateau_clears_the_pre_alarm_without_the_water_falling(world, garage, engine):
    Rule.objects.create(community=world.community_a, sensor_kind="water_level", name="Forecast",
                        kind="predictive", level=3, params={
                            "op": "above", "value": 30, "arm": 5, "horizon": 120,
                            "window": 30, "min_points": 4})
    sensor = level_sensor(world, garage)
    feed(engine, sensor, ramp([1, 3, 5, 7, 9, 11]))
    assert Alarm.objects.get(sensor=sensor, rule__name="Forecast").status == "open"
    feed(engine, sensor, ramp([11.1, 10.9, 11, 11.05, 10.95, 11, 10.9, 11.1, 11, 10.9, 11, 11,
                               10.9, 11.1, 11],
                              start=T0 + timedelta(seconds=12)))
    assert Alarm.objects.get(sensor=sensor, rule__name="Forecast").status == "cleared"


def test_a_flat_sensor_never_raises_a_pre_alarm(world, garage, engine):
    Rule.objects.create(community=world.community_a, sensor_kind="water_level", name="Forecast",
                        kind="predictive", level=3, params={
                            "op": "above", "value": 30, "arm": 5, "horizon": 900})
    sensor = level_sensor(world, garage)
    feed(engine, sensor, ramp([6 + 0.3 * ((-1) ** k) for k in range(30)]))
    assert not Alarm.objects.filter(sensor=sensor, rule__name="Forecast").exists()


# --- anomalies ----------------------------------------------------------------------------------

def test_the_anomaly_rule_opens_on_a_planted_reading_and_closes_when_normal(world, engine):
    sensor = Sensor.objects.create(community=world.community_a, grid=world.grid_a1,
                                   code="shed-i", name="Shed current", kind="current")
    times = [T0 + timedelta(minutes=15 * k) for k in range(4 * 24 * 7)]
    data = baseline.compute(times, [2.0 + 0.2 * (k % 3) for k in range(len(times))], 24)
    Baseline.objects.create(community=world.community_a, sensor=sensor, since=times[0],
                            until=times[-1], readings=len(times), **data)
    Rule.objects.create(community=world.community_a, sensor=sensor, name="Unusual current",
                        kind="anomaly", level=3, params={"z": 6, "clear": 3, "direction": "above"})
    t = T0 + timedelta(days=8)
    feed(engine, sensor, [(t, 2.2)])
    assert not Alarm.objects.filter(sensor=sensor).exists()
    feed(engine, sensor, [(t + timedelta(minutes=1), 9.0)])
    alarm = Alarm.objects.get(sensor=sensor)
    assert alarm.status == "open" and "usual spreads above normal for this hour" in alarm.message
    feed(engine, sensor, [(t + timedelta(minutes=2), 3.0)])  # still unusual (z ≈ 3.4): holds
    assert Alarm.objects.get(pk=alarm.pk).status == "open"
    feed(engine, sensor, [(t + timedelta(minutes=3), 2.1)])
    assert Alarm.objects.get(pk=alarm.pk).status == "cleared"
    # Lower than normal does not count for an "above" rule.
    feed(engine, sensor, [(t + timedelta(minutes=4), 0.0)])
    assert Alarm.objects.filter(sensor=sensor, status="open").count() == 0


def test_a_sensor_without_baseline_is_left_alone_by_anomaly_rules(world, engine):
    sensor = Sensor.objects.create(community=world.community_a, code="x", name="x", kind="current")
    Rule.objects.create(community=world.community_a, sensor=sensor, name="Unusual",
                        kind="anomaly", level=3, params={"z": 6})
    feed(engine, sensor, [(T0, 500.0)])
    assert not Alarm.objects.filter(sensor=sensor).exists()


# --- upstream warning with local signs ----------------------------------------------------------

def relay_rainstorm(community, **fields) -> Alert:
    values = {"community": community, "identifier": f"cap-{community.code}-1",
              "sender": "weather@example.gov.cn", "source": "cap", "state": "issued",
              "level": 2, "event_type": "rainstorm", "headline": "暴雨橙色预警",
              "description": "Heavy rain", "effective": T0 - timedelta(hours=1),
              "expires": timezone.now() + timedelta(days=3650)}
    values.update(fields)
    return Alert.objects.create(**values)


UPSTREAM = {"events": ["rainstorm", "flood"], "op": "above", "value": 3, "clear": 1.5,
            "rise": 0.2, "window": 60, "min_points": 4}


def test_the_upstream_rule_needs_both_the_warning_and_the_local_rise(world, garage, engine):
    Rule.objects.create(community=world.community_a, sensor_kind="water_level", name="Rain+water",
                        kind="upstream", level=2, params=UPSTREAM)
    sensor = level_sensor(world, garage)
    # Water rising, no warning: nothing.
    feed(engine, sensor, ramp([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]))
    assert not Alarm.objects.filter(sensor=sensor, rule__name="Rain+water").exists()
    # A warning, but the water steady: nothing either.
    relay_rainstorm(world.community_a)
    engine.clock.now += 60
    other = level_sensor(world, garage, "g-bay")
    feed(engine, other, ramp([4, 4.1, 3.9, 4, 4.05, 3.95, 4]))
    assert not Alarm.objects.filter(sensor=other, rule__name="Rain+water").exists()
    # Both: raised, and the reason names both signals.
    feed(engine, sensor, ramp([6.5, 7.5], start=T0 + timedelta(seconds=12)))
    alarm = Alarm.objects.get(sensor=sensor, rule__name="Rain+water")
    assert alarm.level == 2
    assert "暴雨橙色预警" in alarm.message and "level II" in alarm.message
    assert "Garage ramp water level (g-ramp)" in alarm.message and "rising" in alarm.message


def test_the_upstream_alarm_clears_when_the_warning_is_cancelled(world, garage, engine):
    Rule.objects.create(community=world.community_a, sensor_kind="water_level", name="Rain+water",
                        kind="upstream", level=2, params=UPSTREAM)
    alert = relay_rainstorm(world.community_a)
    sensor = level_sensor(world, garage)
    feed(engine, sensor, ramp([1, 2, 3, 4, 5, 6]))
    alarm = Alarm.objects.get(sensor=sensor, rule__name="Rain+water")
    Alert.objects.filter(pk=alert.pk).update(state="cancelled")
    engine.clock.now += 60
    feed(engine, sensor, ramp([6.5], start=T0 + timedelta(seconds=12)))
    assert Alarm.objects.get(pk=alarm.pk).status == "cleared"


def test_other_communities_warnings_and_exercises_do_not_count(world, garage, engine):
    Rule.objects.create(community=world.community_a, sensor_kind="water_level", name="Rain+water",
                        kind="upstream", level=2, params=UPSTREAM)
    relay_rainstorm(world.community_b)
    relay_rainstorm(world.community_a, identifier="drill", exercise=True)
    relay_rainstorm(world.community_a, identifier="typhoon", event_type="typhoon")
    sensor = level_sensor(world, garage)
    feed(engine, sensor, ramp([1, 2, 3, 4, 5, 6]))
    assert not Alarm.objects.filter(sensor=sensor, rule__name="Rain+water").exists()


def test_staff_add_a_forecast_rule_through_the_api(world):
    api = APIClient()
    api.force_authenticate(world.staff_a)
    response = api.post("/api/rules/", {
        "community": world.community_a.pk, "name": "Garage forecast", "kind": "predictive",
        "sensor_kind": "water_level", "facility_kind": "underground_garage", "level": 3,
        "params": {"op": "above", "value": 30, "arm": 5, "horizon": 900}}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["kind_label"] == "forecast (pre-alarm)"
