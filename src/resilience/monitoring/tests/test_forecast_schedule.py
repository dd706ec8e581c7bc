"""What keeps forecasts cheap without changing them: the fit's shortcuts give the same lines as
the textbook computation, the running trend starts afresh after a long silence, and the engine's
fit schedule (``rules.predictive.next_fit``) skips fits on a far crossing yet raises the
pre-alarm at the same reading as fitting every reading — on a steady climb and on one that
suddenly speeds up."""
import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from resilience.monitoring import forecast as fc
from resilience.monitoring.models import Alarm, Observation, Rule, Sensor
from resilience.monitoring.rules import RuleEngine, predictive
from resilience.monitoring.rules.running import RunningState
from resilience.places.models import Facility

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def textbook_trend(readings):
    """Theil–Sen as written in the books: every pair, ``np.median`` of slopes and residuals."""
    x = np.array([(t - readings[-1][0]).total_seconds() for t, _v in readings])
    y = np.array([v for _t, v in readings])
    slopes = [(y[j] - y[i]) / (x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x))
              if x[j] > x[i]]
    slope = float(np.median(slopes))
    return slope, float(np.median(y - slope * x))


def test_the_fit_gives_the_textbook_line_to_the_bit():
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(3, fc.MAX_POINTS)
        times = sorted(T0 + timedelta(seconds=rng.randint(0, 900)) for _ in range(n))
        readings = [(t, rng.gauss(5, 3) + 0.01 * k) for k, t in enumerate(times)]
        line = fc.trend(readings, 3)
        if len({t for t, _v in readings}) < 2:
            assert line is None
            continue
        assert (line.slope, line.level) == textbook_trend(readings)


def test_recent_readings_by_bisection_are_those_of_the_window():
    rng = random.Random(3)
    for _ in range(500):
        times = sorted({T0 + timedelta(seconds=rng.randint(0, 2000))
                        for _ in range(rng.randint(0, 90))})
        history = [(t, rng.random()) for t in times]
        at = T0 + timedelta(seconds=rng.randint(-10, 2100))
        window = rng.choice([10, 60, 120, 600, 1500])
        assert list(fc.recent(history, at, window)) == fc.window_of(history, at, window)


def test_the_running_trend_starts_afresh_after_a_silence_longer_than_its_window():
    scalar = fc.RunningTrend(window=600)
    state = RunningState(capacity=1)
    i = state.slot(1)
    t = 1_000_000.0
    for k in range(60):  # climbing 0.5 a reading for ten minutes
        t += 10
        scalar.update(t, 20 + 0.5 * k)
        state.step(np.array([i]), np.array([t]), np.array([20 + 0.5 * k]), 0.0)
    assert scalar.slope > 0.03
    t += 3600  # an hour of silence, then steady readings at 20
    scalar.update(t, 20.0)
    state.step(np.array([i]), np.array([t]), np.array([20.0]), 0.0)
    assert (scalar.level, scalar.slope) == (20.0, 0.0)
    assert (state.level[i], state.slope[i]) == (20.0, 0.0)
    assert scalar.seconds_to(80) is None  # not "already past 80" from the old climb


def test_a_far_crossing_schedules_the_next_fit_within_half_its_slack():
    params = {"op": "above", "value": 80, "arm": 0, "horizon": 500}
    far = fc.Forecast(80, "above", T0, 30.0, 0.05, 1000.0, 900.0, 1100.0, 40)
    due = predictive.next_fit(params, 7, T0, predictive.Step("", far))
    slack = 900.0 - 500.0
    assert T0.timestamp() + 0.25 * slack <= due <= T0.timestamp() + 0.5 * slack
    near = fc.Forecast(80, "above", T0, 30.0, 0.05, 600.0, 450.0, 800.0, 40)
    assert predictive.next_fit(params, 7, T0, predictive.Step("", near)) == -math.inf
    assert predictive.next_fit(params, 7, T0, predictive.Step("", None)) == -math.inf
    assert predictive.next_fit(params, 7, T0, predictive.QUIET) == -math.inf


# --- in the engine --------------------------------------------------------------------------------

@pytest.fixture
def room(world):
    facility = Facility.objects.create(community=world.community_a, grid=world.grid_a1,
                                       kind="power_room", code="PR1", name="Power room",
                                       owner=world.property_a)
    Rule.objects.create(community=world.community_a, name="Heading for 80", kind="predictive",
                        sensor_kind="temperature", facility_kind="power_room", level=3,
                        params={"op": "above", "value": 80, "arm": 0, "horizon": 300,
                                "window": 600, "min_points": 5})
    return facility


def climb(speed_up_at=None):
    """Ten-second readings from 20 °C up 0.05 °C/s with a little noise; from reading
    ``speed_up_at`` on, five times as fast."""
    rng = random.Random(11)
    value, out = 20.0, []
    for k in range(160):
        value += 0.5 if speed_up_at is None or k < speed_up_at else 2.5
        out.append((T0 + timedelta(seconds=10 * k), value + rng.gauss(0, 0.05)))
    return out


def replay(world, room, readings, code, share, monkeypatch):
    """The readings through a fresh engine, one batch each; when the pre-alarm opened and how
    many fits the engine made."""
    monkeypatch.setattr(predictive, "REFIT_SHARE", share)
    sensor = Sensor.objects.create(community=world.community_a, grid=world.grid_a1,
                                   facility=room, code=code, name=code, kind="temperature",
                                   interval_seconds=10, owner=world.property_a)
    Observation.objects.bulk_create(Observation(sensor=sensor, time=t, value=v)
                                    for t, v in readings)
    engine = RuleEngine()
    for t, v in readings:
        engine.evaluate({sensor.pk: [(t, v)]}, t)
        if Alarm.objects.filter(sensor=sensor, rule__kind="predictive").exists():
            break
    alarm = Alarm.objects.get(sensor=sensor, rule__kind="predictive")
    return alarm.opened_at, engine._early.fits


@pytest.mark.parametrize("speed_up_at", [None, 60], ids=["steady", "speeding-up"])
def test_the_schedule_skips_fits_but_not_the_moment_of_the_pre_alarm(world, room, monkeypatch,
                                                                      speed_up_at):
    readings, shipped = climb(speed_up_at), predictive.REFIT_SHARE
    every_time, fits_every = replay(world, room, readings, "every", 0.0, monkeypatch)
    scheduled, fits_scheduled = replay(world, room, readings, "scheduled", shipped, monkeypatch)
    assert scheduled == every_time
    assert fits_scheduled < fits_every / 2
