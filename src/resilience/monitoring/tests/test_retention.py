"""Retention: readings older than N days become one per sensor per hour; recent ones stay."""
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from resilience.monitoring.models import Observation, Sensor
from resilience.monitoring.retention import cutoff_for, prune_observations

NOW = datetime(2026, 7, 10, 12, 30, tzinfo=UTC)
OLD = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)     # nine days before NOW


@pytest.fixture
def sensors(world):
    made = [Sensor.objects.create(community=world.community_a, code=f"t-{i}", name=f"T{i}",
                                  kind="temperature") for i in range(2)]
    rows = []
    for n, sensor in enumerate(made):
        # Two old days, a reading every 10 min: 0, 1, 2, 3, 4, 5 in each hour, plus n.
        for k in range(2 * 24 * 6):
            rows.append(Observation(sensor=sensor, time=OLD + timedelta(minutes=10 * k),
                                    value=float(k % 6 + n)))
        # Recent readings (yesterday): kept as they are.
        for k in range(12):
            rows.append(Observation(sensor=sensor, time=NOW - timedelta(days=1, minutes=5 * k),
                                    value=99.0))
    Observation.objects.bulk_create(rows)
    return made


def readings(sensor, before=None):
    queryset = Observation.objects.filter(sensor=sensor)
    if before is not None:
        queryset = queryset.filter(time__lt=before)
    return list(queryset.order_by("time").values_list("time", "value"))


def test_old_readings_become_the_hourly_mean_at_the_hours_start(sensors):
    result = prune_observations(3, now=NOW)
    assert (result.sensors, result.deleted, result.kept) == (2, 2 * 288, 2 * 48)
    for n, sensor in enumerate(sensors):
        old = readings(sensor, before=NOW - timedelta(days=3))
        assert [t for t, _v in old] == [OLD + timedelta(hours=h) for h in range(48)]
        assert {v for _t, v in old} == {2.5 + n}                 # mean of 0…5 (+ n)
        assert readings(sensor)[-12:] == [(NOW - timedelta(days=1, minutes=5 * k), 99.0)
                                          for k in reversed(range(12))]


def test_pruning_again_changes_nothing(sensors):
    prune_observations(3, now=NOW)
    before = readings(sensors[0])
    again = prune_observations(3, now=NOW, batch_hours=5)
    assert (again.sensors, again.deleted, again.kept) == (0, 0, 0)
    assert readings(sensors[0]) == before


def test_small_batches_give_the_same_result(sensors):
    prune_observations(3, now=NOW, batch_hours=1)
    old = readings(sensors[1], before=NOW - timedelta(days=3))
    assert len(old) == 48 and {v for _t, v in old} == {3.5}


def test_the_maximum_keeps_the_peak(sensors):
    prune_observations(3, now=NOW, how="max")
    assert {v for _t, v in readings(sensors[0], before=NOW - timedelta(days=3))} == {5.0}


def test_keep_none_deletes_old_readings(sensors):
    result = prune_observations(3, now=NOW, keep="none")
    assert (result.deleted, result.kept) == (2 * 288, 0)
    assert len(readings(sensors[0])) == 12


def test_the_cutoff_is_a_whole_hour():
    assert cutoff_for(1, NOW) == datetime(2026, 7, 9, 12, 0, tzinfo=UTC)


def test_an_hour_cut_by_a_reading_at_its_start_is_still_merged(world):
    sensor = Sensor.objects.create(community=world.community_a, code="w", name="W",
                                   kind="water_level")
    Observation.objects.bulk_create([
        Observation(sensor=sensor, time=OLD, value=10.0),
        Observation(sensor=sensor, time=OLD + timedelta(minutes=30), value=20.0),
        Observation(sensor=sensor, time=OLD + timedelta(hours=1, minutes=1), value=7.0),
    ])
    prune_observations(1, now=NOW)
    assert readings(sensor) == [(OLD, 15.0), (OLD + timedelta(hours=1), 7.0)]


def test_the_command_prints_progress_and_totals(sensors):
    out = StringIO()
    call_command("prune_observations", "--older-than", "3", "--now", NOW.isoformat(), stdout=out)
    text = out.getvalue()
    assert "t-0: 288 readings → 48 hourly" in text
    assert "2 sensor(s): 576 readings removed, 96 hourly readings written" in text
    with pytest.raises(CommandError):
        call_command("prune_observations", "--older-than", "-1", stdout=StringIO())
