"""Baselines and anomaly scores: planted anomalies score high and normal readings low, by hour
of the day (and of the week for e-bike charging current), stored compactly per sensor."""
import math
import random
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from resilience.monitoring import baseline
from resilience.monitoring.models import Baseline, Observation, Sensor

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
RECENT = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=16, hours=1)


def charging(hour: float, rng) -> float:
    """An e-bike shed's current: high at night, low by day, with noise."""
    night = 1.0 if (hour >= 20 or hour < 6) else 0.0
    return 1.5 + 8.0 * night + rng.gauss(0, 0.4)


def history(days: int, every_minutes: int = 20, seed: int = 3, start: datetime = T0):
    rng = random.Random(seed)
    out = []
    for k in range(days * 24 * 60 // every_minutes):
        t = start + timedelta(minutes=k * every_minutes)
        out.append((t, charging(timezone.localtime(t).hour, rng)))
    return out


def test_normal_readings_score_low_and_planted_anomalies_high():
    readings = history(14)
    data = baseline.compute([t for t, _ in readings], [v for _, v in readings], 24)
    profile = baseline.profile_of("current", **data)
    rng = random.Random(99)
    normal = [(t + timedelta(days=14), charging(timezone.localtime(t).hour, rng))
              for t, _ in readings[:200]]
    scores = [abs(profile.score(t, v)) for t, v in normal]
    assert sorted(scores)[int(0.95 * len(scores))] < 3  # 95 % of normal readings under 3
    # Planted: 9.5 A at 2 p.m. is normal at night but not by day; 1.5 A at 2 a.m. the reverse.
    day = T0.replace(hour=6)    # 14:00 in Shanghai
    night = T0.replace(hour=18)  # 02:00 in Shanghai
    assert profile.score(day, 9.5) > 10
    assert profile.score(night, 1.5) < -10
    assert abs(profile.score(night, 9.5)) < 2


def test_a_constant_sensor_does_not_score_tiny_changes_as_anomalies():
    times = [T0 + timedelta(minutes=10 * k) for k in range(24 * 6 * 3)]
    data = baseline.compute(times, [0.0] * len(times), 24)
    profile = baseline.profile_of("smoke", **data)
    assert abs(profile.score(T0, 0.02)) < 1
    assert profile.score(T0, 5.0) > 30


def test_an_hour_with_too_few_readings_gives_no_score():
    times = [T0 + timedelta(hours=k) for k in range(2)]
    profile = baseline.profile_of("current", **baseline.compute(times, [1.0, 1.0], 24))
    assert profile.score(T0, 50) is None


def test_weekly_buckets_for_charging_current_with_two_weeks_of_history():
    assert baseline.buckets_for("current", T0, T0 + timedelta(days=15)) == 168
    assert baseline.buckets_for("current", T0, T0 + timedelta(days=5)) == 24
    assert baseline.buckets_for("temperature", T0, T0 + timedelta(days=30)) == 24


@pytest.fixture
def shed_current(world):
    sensor = Sensor.objects.create(community=world.community_a, grid=world.grid_a1,
                                   code="shed-current", name="Shed current", kind="current")
    Observation.objects.bulk_create([Observation(sensor=sensor, time=t, value=v)
                                     for t, v in history(16, start=RECENT)])
    return sensor


def test_refresh_stores_one_compact_row_per_sensor(world, shed_current):
    out = StringIO()
    call_command("refresh_baselines", "--days", "28", stdout=out)
    assert "1 baselines written" in out.getvalue()
    row = Baseline.objects.get(sensor=shed_current)
    assert row.buckets == 168 and len(row.median) == len(row.mad) == len(row.counts) == 168
    assert sum(row.counts) == row.readings == 16 * 72
    # Monday 03:00 local: charging at night.
    assert row.median[3] == pytest.approx(9.5, abs=0.5)
    assert row.median[14] == pytest.approx(1.5, abs=0.5)
    # Run again: same row, no duplicate; a sensor without readings loses its baseline.
    call_command("refresh_baselines", stdout=StringIO())
    assert Baseline.objects.filter(sensor=shed_current).count() == 1
    Observation.objects.filter(sensor=shed_current).delete()
    call_command("refresh_baselines", stdout=StringIO())
    assert not Baseline.objects.filter(sensor=shed_current).exists()


def test_score_of_a_reading_reads_the_stored_baseline(world, shed_current):
    baseline.refresh_baselines()
    monday_2pm = datetime(2026, 6, 15, 6, 0, tzinfo=UTC)  # 14:00 on a Monday in Shanghai
    assert baseline.score(shed_current, monday_2pm, 12.0) > 10
    assert math.isfinite(baseline.score(shed_current, monday_2pm, 1.5))
    assert abs(baseline.score(shed_current, monday_2pm, 1.5)) < 3


def test_baselines_are_scoped(world, shed_current):
    baseline.refresh_baselines()
    assert Baseline.objects.visible_to(world.staff_a, "view").count() == 1
    assert Baseline.objects.visible_to(world.staff_b, "view").count() == 0
