"""Time-to-threshold forecasts: known crossing times on synthetic series (with noise, spikes and
a gap), nothing on flat or falling series, and the sensor page / API that show them."""
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from resilience.core.testing import PASSWORD
from resilience.monitoring import forecast as fc
from resilience.monitoring import rules
from resilience.monitoring.models import Observation, Sensor
from resilience.places.models import Facility

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def series(slope_per_min: float, *, minutes: int = 10, every: int = 30, start: float = 2.0,
           noise: float = 0.0, seed: int = 1, drop=()):
    rng = random.Random(seed)
    out = []
    for k in range(minutes * 60 // every + 1):
        if k in drop:
            continue
        s = k * every
        value = start + slope_per_min * s / 60 + rng.gauss(0, noise)
        out.append((T0 + timedelta(seconds=s), value))
    return out


def true_eta(readings, slope_per_min, target, start=2.0):
    last = (readings[-1][0] - T0).total_seconds()
    return (target - start) / (slope_per_min / 60) - last


def test_a_clean_rise_reaches_the_target_when_the_line_says():
    readings = series(1.0)  # 1 cm a minute from 2 cm: 30 cm at 28 min, 18 min after the last
    found = fc.forecast(readings, 30, window=900)
    assert found is not None
    assert found.seconds == pytest.approx(true_eta(readings, 1.0, 30), rel=0.01)
    assert found.earliest <= found.seconds <= found.latest


def test_noise_spikes_and_a_gap_keep_the_crossing_time_within_a_tenth():
    readings = series(1.0, noise=0.4, seed=7, drop=range(6, 12))  # three minutes lost
    readings[4] = (readings[4][0], readings[4][1] + 15)  # a spike
    readings[-3] = (readings[-3][0], readings[-3][1] - 10)  # and a dip
    found = fc.forecast(readings, 30, window=900)
    expected = true_eta(readings, 1.0, 30)
    assert found is not None
    assert abs(found.seconds - expected) < 0.1 * expected
    assert found.earliest < expected < found.latest


@pytest.mark.parametrize("slope", [0.0, -0.5])
def test_flat_or_falling_series_give_no_forecast(slope):
    for seed in range(5):
        assert fc.forecast(series(slope, noise=0.3, seed=seed), 30, window=900) is None


def test_too_few_readings_give_no_forecast():
    assert fc.forecast(series(1.0, minutes=1), 30, window=900, min_points=5) is None


def test_a_falling_series_reaches_a_below_limit():
    readings = series(-0.01, start=0.35, every=60, minutes=10)  # pressure falling 0.01 a minute
    found = fc.forecast(readings, 0.2, "below", window=900)
    assert found is not None and found.seconds == pytest.approx(5 * 60, rel=0.02)


def test_a_reading_already_past_the_target_forecasts_zero():
    found = fc.forecast(series(1.0, start=40), 30, window=900)
    assert found is not None and found.seconds == 0


def test_the_sentence_names_sensor_limit_and_time():
    found = fc.forecast(series(1.0), 30, window=900)
    text = fc.forecast_text("Garage water level", "cm", found)
    assert text.startswith("Garage water level reaches 30 cm in about 18 minutes")


@pytest.fixture
def garage_sensor(world):
    rules.engine.reset()
    garage = Facility.objects.create(community=world.community_a, grid=world.grid_a1,
                                     kind="underground_garage", code="G1", name="Garage",
                                     owner=world.property_a)
    sensor = Sensor.objects.create(community=world.community_a, grid=world.grid_a1,
                                   facility=garage, code="g-level", name="Garage water level",
                                   kind="water_level", owner=world.property_a)
    readings = series(1.0, minutes=8)
    Observation.objects.bulk_create([Observation(sensor=sensor, time=t, value=v)
                                     for t, v in readings])
    sensor.last_time, sensor.last_value = readings[-1]
    sensor.save()
    yield sensor
    rules.engine.reset()


def test_the_sensor_page_shows_the_forecast_to_the_flooding_threshold(world, client, garage_sensor):
    client.login(username="staff_a", password=PASSWORD)
    page = client.get(garage_sensor.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    # The platform thresholds watch it: 10 cm in 0 (passed) … 30 cm in about 20 minutes.
    assert "Garage water level reaches 30 cm in about 20 minutes" in body
    panel = client.get(reverse("monitoring:sensor_outlook", args=[garage_sensor.pk]))
    assert "reaches 30 cm" in panel.content.decode()


def test_the_api_gives_the_forecast_and_hides_other_communities(world, garage_sensor):
    api = APIClient()
    api.force_authenticate(world.staff_a)
    data = api.get(f"/api/sensors/{garage_sensor.pk}/forecast/").json()
    first = data["forecasts"][0]
    assert first["target"] == 30 and first["seconds"] == pytest.approx(20 * 60, rel=0.02)
    assert first["earliest_seconds"] <= first["seconds"] <= first["latest_seconds"]
    api.force_authenticate(world.staff_b)
    assert api.get(f"/api/sensors/{garage_sensor.pk}/forecast/").status_code == 404


def test_the_forecast_action_is_in_the_schema(world):
    api = APIClient()
    api.force_authenticate(world.admin)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "/api/sensors/{id}/forecast/" in schema["paths"]


def test_the_engines_vectorised_running_trend_matches_the_scalar_one():
    import numpy as np

    from resilience.monitoring.rules.running import RunningState

    state = RunningState(capacity=2)  # grows as sensors come
    scalars = {}
    rng = random.Random(5)
    clock = {s: 1_000_000.0 for s in range(5)}
    for _ in range(40):
        ids = sorted(rng.sample(range(5), 3))
        at, values = [], []
        for s in ids:
            clock[s] += rng.choice([10, 10, 10, 60])  # with gaps
            at.append(clock[s])
            values.append(20 + 0.01 * clock[s] % 7 + rng.gauss(0, 0.3))
            scalars.setdefault(s, fc.RunningTrend()).update(clock[s], values[-1])
        slots = np.array([state.slot(s) for s in ids])
        state.step(slots, np.array(at), np.array(values), 0.0)
    for s, trend in scalars.items():
        i = state.slots[s]
        assert state.level[i] == pytest.approx(trend.level)
        assert state.slope[i] == pytest.approx(trend.slope)


def test_a_running_trend_shrugs_off_a_spike():
    trend = fc.RunningTrend(window=120)
    for k in range(30):
        trend.update(k * 2.0, 0.5 * k * 2.0)  # 0.5 per second
    before = trend.seconds_to(60)
    trend.update(60.0, 500.0)  # one absurd reading
    trend.update(62.0, 31.0)
    assert trend.seconds_to(60) == pytest.approx(before - 2, rel=0.35)
    assert trend.seconds_to(-5, "below") is None  # rising: never falls to it


def test_past_the_limit_the_panel_says_so_rather_than_no_limit_in_sight(world, garage_sensor):
    # Still rising, now at 32–40 cm: past both thresholds (10 and 30 cm).
    readings = series(1.0, start=32, minutes=8)
    Observation.objects.filter(sensor=garage_sensor).delete()
    Observation.objects.bulk_create([Observation(sensor=garage_sensor, time=t, value=v)
                                     for t, v in readings])
    garage_sensor.last_time, garage_sensor.last_value = readings[-1]
    garage_sensor.save()
    outlook = fc.sensor_outlook(garage_sensor)
    assert outlook["text"] == "Garage water level is above 30 cm"
    assert [f["target"] for f in outlook["forecasts"]] == [30, 10]
    assert all(f["seconds"] == 0 for f in outlook["forecasts"])
