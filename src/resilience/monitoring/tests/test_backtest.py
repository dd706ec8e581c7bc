"""Backtesting: the table's numbers on a tiny fixed scenario, determinism, and the command."""
import os
from datetime import UTC, datetime, timedelta

import pytest

from resilience.cli import main
from resilience.monitoring import backtest
from resilience.monitoring.simulator.behaviour import SimSensor

T0 = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def tiny() -> backtest.Replay:
    """One garage sensor for a day: flat, a false start to 8 cm at 04:00, and a flood at 07:00
    rising 1 cm every 2 s from 0 to 40 cm (past 30 cm at 60 s)."""
    sensor = SimSensor(code="ramp", community="t", kind="water_level", interval=60,
                       role="underground_garage", facility_id=1)
    readings = [(T0 - timedelta(hours=7) + timedelta(minutes=k), 0.2) for k in range(7 * 60)]
    false_start = T0 - timedelta(hours=3)
    readings = [r for r in readings if not false_start <= r[0] < false_start + timedelta(minutes=1)]
    readings += [(false_start + timedelta(seconds=2 * k), float(v))
                 for k, v in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 5, 3, 1, 0.5])]
    readings += [(T0 + timedelta(seconds=2 * k), float(k)) for k in range(41)]
    readings += [(T0 + timedelta(minutes=2 + k), 0.2) for k in range(17 * 60 - 2)]
    event = backtest.Event("ramp", 30, T0 + timedelta(seconds=60))
    return backtest.Replay("tiny", [sensor], {"ramp": sorted(readings)}, [event], T0,
                           T0 + timedelta(seconds=90), 1.0)


def test_the_table_numbers_of_a_tiny_fixed_scenario():
    data = tiny()
    base, leads = backtest.score(data, backtest.replay(data, ["threshold"]), label="thresholds")
    # 10 cm and 30 cm thresholds: two alarms; 30 cm seen by the reading of 31 cm, 2 s late.
    assert (base.alarms, base.missed, base.events) == (2, 0, 1)
    assert base.lead_median == base.lead_min == -2
    assert base.false_per_sensor_day == 0
    early, _ = backtest.score(data, backtest.replay(data, ["threshold", "predictive"]), leads,
                              label="forecasts")
    # The pre-alarm: armed past 5 cm (at 12 s), four readings in its window: raised at 12 s,
    # 48 s before the crossing; the false start also raised it once (8 cm rising fast).
    assert early.alarms == 4
    assert early.lead_median == early.lead_min == 48
    assert early.gained_median == 50
    assert early.false_per_sensor_day == 1.0
    assert early.missed == 0


def test_a_scenario_replays_the_same_for_the_same_seed_and_has_noise_gaps_and_a_false_start():
    one, two = backtest.build("flood", seed=4), backtest.build("flood", seed=4)
    assert one.readings == two.readings
    assert backtest.build("flood", seed=5).readings != one.readings
    ramp = one.readings["garage-ramp-level"]
    during = [(t, v) for t, v in ramp if one.start <= t <= one.end]
    gaps = [(b[0] - a[0]).total_seconds() for a, b in zip(during, during[1:])]
    assert max(gaps) >= 8  # the run of lost readings mid-event
    assert len({round(b[1] - a[1], 2) for a, b in zip(during, during[1:])}) > 10  # noisy steps
    before = [v for t, v in ramp
              if one.start - timedelta(hours=4) <= t < one.start - timedelta(hours=2)]
    assert 5 < max(before) < 10  # the false start turns back below the 10 cm threshold


def test_forecasts_gain_lead_time_on_the_flood_with_few_false_alarms():
    data, (base, early, warned) = backtest.backtest("flood")
    assert early.missed == 0 and base.missed == 0
    assert early.lead_min > 5 and base.lead_median <= 0
    assert warned.lead_min >= early.lead_min
    assert early.false_per_sensor_day <= 0.1


def test_the_command_prints_a_table_for_each_scenario(capsys, monkeypatch):
    # The command may ask for keys beside its SQLite file; keep that out of other tests.
    monkeypatch.setenv("RESILIENCE_CREATE_KEYS", os.environ.get("RESILIENCE_CREATE_KEYS", "0"))
    assert main(["backtest", "--all"]) == 0
    out = capsys.readouterr().out
    for name in ("fire", "flood", "gas-leak", "power-room-overheat", "offline"):
        assert f"scenario {name}:" in out
    assert out.count("threshold only") == 5 and out.count("with forecasts") == 5


def test_the_command_refuses_an_unknown_scenario(capsys):
    with pytest.raises(SystemExit):
        main(["backtest", "--scenario", "meteor"])
