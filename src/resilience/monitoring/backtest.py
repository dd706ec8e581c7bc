"""Backtesting: replay the simulator's scenarios through threshold rules alone and through the
early-warning rules, and measure what the forecasts gain.

``resilience backtest --scenario flood`` (or ``--all``) builds, purely in memory, a small
community's sensors (a power room, an underground garage with two water levels, an e-bike shed,
a gas regulator, two stairwells, a rain gauge), their normal readings for ``--days`` days from
the simulator's behaviour (``monitoring.simulator``), and the scenario's curves on the last
afternoon — made harder than the live demo's, seeded and deterministic:

- **noise** on every scenario reading and a few **spikes** (an outlier of several spreads);
- **gaps**: a share of the readings lost, and one run of consecutive readings lost mid-event;
- a **false start** a few hours earlier: the same sensors begin the same rise, stop at about
  three quarters of the lowest threshold and fall back.

Both rule sets run through the same pure state machines the engine uses (``threshold_step``,
``predictive_step``, ``upstream_step``), reading by reading. An **event** is the clean curve
crossing the limit a forecast rule watches (e.g. 30 cm in the garage); for each rule set:

- **alarms raised** — every alarm opened, true or not;
- **lead time** — the crossing time minus the first alarm of that event (the threshold's own
  alarm or an earlier pre-alarm): median and minimum over events, and the median gained over
  the thresholds alone;
- **false alarms per sensor-day** — alarms opened outside the events (normal days, false start);
- **missed events** — events no alarm of the set saw before the scenario ended.

In the flood scenario a rainstorm warning (as relayed from CAP) is in force from half an hour
before the rain to the end, so the ``upstream`` rule takes part too.
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from resilience.monitoring.rules.logic import threshold_step
from resilience.monitoring.rules.params import THRESHOLD, default_rules
from resilience.monitoring.rules.predictive import (
    PREDICTIVE, UPSTREAM, predictive_step, suggested_rules,
)
from resilience.monitoring.rules.signals import UpstreamAlert, matching_alert, upstream_step
from resilience.monitoring.simulator.behaviour import Behaviour, SimSensor
from resilience.monitoring.simulator.scenarios import EVENT_INTERVAL, SCENARIOS, plan_scenario

ZONE = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 7, 1, tzinfo=ZONE)
EVENT_HOUR = 15                # the scenario begins at 15:00 on the last day
FALSE_START_HOURS = 3          # … and its false start this many hours before
SCENARIO_SECONDS = 75.0        # scenario time replayed at EVENT_INTERVAL
FALSE_START_SHARE = 0.75       # of the lowest threshold, where a false start turns back
LOSS = 0.05                    # share of readings lost at random
GAP = (14.0, 22.0)             # scenario seconds with every reading lost
SPIKE_SHARE = 0.02             # of scenario readings, an outlier
NOISE = {"water_level": 0.3, "temperature": 0.4, "gas": 0.3, "smoke": 0.2, "current": 0.3,
         "rain": 1.0}


def community() -> list[SimSensor]:
    """The backtest's sensors: one of each place the scenarios need."""
    def s(code, kind, interval, role, facility=None, building=None, grid=1):
        return SimSensor(code=code, community="bt", kind=kind, interval=interval, role=role,
                         grid_id=grid, building_id=building, facility_id=facility)

    return [
        s("power-temperature", "temperature", 60, "power_room", 1),
        s("power-current", "current", 60, "power_room", 1),
        s("power-smoke", "smoke", 120, "power_room", 1),
        s("garage-ramp-level", "water_level", 60, "underground_garage", 2, grid=2),
        s("garage-bay-level", "water_level", 60, "underground_garage", 2, grid=2),
        s("garage-co", "co", 60, "underground_garage", 2, grid=2),
        s("garage-smoke", "smoke", 120, "underground_garage", 2, grid=2),
        s("shed-current", "current", 30, "ebike_charging", 3, grid=2),
        s("shed-smoke", "smoke", 60, "ebike_charging", 3, grid=2),
        s("shed-temperature", "temperature", 60, "ebike_charging", 3, grid=2),
        s("gas-regulator", "gas", 30, "gas", 4, grid=2),
        s("stair-1-smoke", "smoke", 120, "stairwell", building=10),
        s("stair-1-temperature", "temperature", 120, "stairwell", building=10),
        s("stair-2-smoke", "smoke", 120, "stairwell", building=11, grid=2),
        s("stair-2-temperature", "temperature", 120, "stairwell", building=11, grid=2),
        s("rain-gauge", "rain", 300, "", grid=2),
    ]


# --- the replayed series --------------------------------------------------------------------------

@dataclass
class Event:
    sensor: str
    target: float
    crossing: dt.datetime


@dataclass
class Replay:
    """A scenario's series: readings by sensor code, its events and when it ran."""

    scenario: str
    sensors: list[SimSensor]
    readings: dict[str, list[tuple[dt.datetime, float]]]
    events: list[Event]
    start: dt.datetime
    end: dt.datetime
    days: float
    alerts: list[UpstreamAlert] = field(default_factory=list)


def _rules(kinds: Sequence[str]) -> list[dict]:
    return [r for r in [*default_rules(), *suggested_rules()] if r["kind"] in kinds]


def applies(rule: dict, sensor: SimSensor) -> bool:
    return rule["sensor_kind"] == sensor.kind and (
        not rule["facility_kind"] or rule["facility_kind"] == sensor.role)


def targets(sensor: SimSensor) -> list[float]:
    """The limits the forecast rules watch on this sensor."""
    return sorted({r["params"]["value"] for r in _rules([PREDICTIVE]) if applies(r, sensor)})


def build(scenario: str, *, days: int = 1, seed: int = 1) -> Replay:
    """The scenario's series, the same for the same seed."""
    sensors = community()
    plan = plan_scenario(scenario, sensors)
    rng = random.Random(f"backtest:{scenario}:{seed}")
    end_normal = START + dt.timedelta(days=days)
    start = START + dt.timedelta(days=days - 1, hours=EVENT_HOUR)
    false_start = start - dt.timedelta(hours=FALSE_START_HOURS)
    scenario_end = start + dt.timedelta(seconds=SCENARIO_SECONDS)
    thresholds = _rules([THRESHOLD])
    readings: dict[str, list] = {}
    events: list[Event] = []
    for sensor in sensors:
        behaviour = Behaviour(sensor, random.Random(f"backtest:{seed}:{sensor.code}"))
        curve = plan.curves.get(sensor.code)
        series: list[tuple[dt.datetime, float]] = []
        t = START
        step = dt.timedelta(seconds=sensor.interval)
        while t < end_normal:
            value = behaviour.value(t, (t - START).total_seconds())
            in_event = curve is not None and start <= t < scenario_end
            in_false = curve is not None and false_start <= t < false_start + dt.timedelta(
                seconds=SCENARIO_SECONDS)
            if not in_event and not in_false and rng.random() >= LOSS:
                series.append((t.astimezone(dt.UTC), value))
            t += step
        if curve is not None:
            limits = [r["params"]["value"] for r in thresholds
                      if applies(r, sensor) and r["params"]["op"] == "above"]
            base = behaviour.value(start, 0)
            series += _event_series(curve, sensor, base, start, rng, None)
            turn = _turning_point(curve, base, min(limits) * FALSE_START_SHARE) if limits else None
            if turn is not None:
                series += _event_series(curve, sensor, base, false_start, rng, turn)
            for target in targets(sensor):
                crossing = _crossing(curve, base, target)
                if crossing is not None:
                    moment = start + dt.timedelta(seconds=crossing)
                    events.append(Event(sensor.code, target, moment.astimezone(dt.UTC)))
        readings[sensor.code] = sorted(series)
    alerts = []
    if scenario == "flood":
        alerts.append(UpstreamAlert(1, "backtest-rainstorm", "Rainstorm orange warning",
                                    "rainstorm", 2, start - dt.timedelta(minutes=30),
                                    scenario_end + dt.timedelta(hours=2)))
    return Replay(scenario, sensors, readings, events, start.astimezone(dt.UTC),
                  scenario_end.astimezone(dt.UTC), float(days), alerts)


def _event_series(curve, sensor: SimSensor, base: float, start: dt.datetime, rng: random.Random,
                  turn: float | None) -> list[tuple[dt.datetime, float]]:
    """Readings every ``EVENT_INTERVAL`` of the curve with noise, spikes and gaps; with
    ``turn``, a false start: the curve up to ``turn`` seconds, then back down the same way."""
    out = []
    sd = NOISE.get(sensor.kind, 0.2)
    s = 0.0
    while s < SCENARIO_SECONDS:
        at = min(s, 2 * turn - s) if turn is not None else s
        if turn is not None and at < 0:
            break
        value = curve(at, base)
        if value is not None and rng.random() >= LOSS and not (GAP[0] <= s < GAP[1]):
            value += rng.gauss(0, sd)
            if rng.random() < SPIKE_SHARE:
                value += rng.choice((-1, 1)) * 6 * sd
            out.append(((start + dt.timedelta(seconds=s)).astimezone(dt.UTC),
                        round(max(0.0, value), 2)))
        s += EVENT_INTERVAL
    return out


def _crossing(curve, base: float, target: float) -> float | None:
    s = 0.0
    while s < SCENARIO_SECONDS:
        value = curve(s, base)
        if value is not None and value > target:
            return s
        s += 0.1
    return None


def _turning_point(curve, base: float, level: float) -> float | None:
    crossing = _crossing(curve, base, level)
    return crossing if crossing and crossing > EVENT_INTERVAL * 3 else None


# --- replaying rules ------------------------------------------------------------------------------

@dataclass
class Opened:
    sensor: str
    rule: str
    kind: str
    at: dt.datetime
    target: float | None


def replay(data: Replay, kinds: Sequence[str]) -> list[Opened]:
    """Run the rules of these kinds over every series; return the alarms they opened."""
    rules = _rules(kinds)
    opened: list[Opened] = []
    for sensor in data.sensors:
        series = data.readings[sensor.code]
        mine = [r for r in rules if applies(r, sensor)]
        for rule in mine:
            is_open, pending = False, None
            p = rule["params"]
            target = p.get("value") if rule["kind"] in (THRESHOLD, PREDICTIVE) else None
            for i, (t, v) in enumerate(series):
                if rule["kind"] == THRESHOLD:
                    event, pending = threshold_step(p, is_open, pending, t, v)
                elif rule["kind"] == PREDICTIVE:
                    event = predictive_step(p, is_open, series[max(0, i - 60):i + 1], t, v).event
                else:  # upstream
                    alert = matching_alert(p, data.alerts, t)
                    event = upstream_step(p, is_open, alert, series[max(0, i - 60):i + 1],
                                          t, v)[0]
                if event == "raise":
                    opened.append(Opened(sensor.code, rule["key"], rule["kind"], t, target))
                    is_open = True
                elif event == "clear":
                    is_open = False
    return opened


@dataclass
class Row:
    rules: str
    alarms: int
    lead_median: float | None
    lead_min: float | None
    gained_median: float | None
    false_per_sensor_day: float
    missed: int
    events: int


def score(data: Replay, alarms: list[Opened], baseline: dict | None = None,
          label: str = "") -> tuple[Row, dict]:
    """The row of one rule set; also each event's lead time (for the gain over ``baseline``)."""
    leads: dict[int, float] = {}
    true_alarms: set[int] = set()
    for n, event in enumerate(data.events):
        seen = [a for a in alarms if a.sensor == event.sensor and data.start <= a.at <= data.end
                and (a.target is None or a.target >= event.target)]
        for a in seen:
            true_alarms.add(id(a))
        if seen:
            leads[n] = (event.crossing - min(a.at for a in seen)).total_seconds()
    scenario_sensors = {e.sensor for e in data.events}
    for a in alarms:  # the scenario's other alarms (e.g. 10 cm before 30 cm) are true as well
        if a.sensor in scenario_sensors and data.start <= a.at <= data.end:
            true_alarms.add(id(a))
    false = sum(1 for a in alarms if id(a) not in true_alarms
                and not (data.start <= a.at <= data.end))
    values = list(leads.values())
    gains = [leads[n] - baseline[n] for n in leads if baseline and n in baseline]
    row = Row(label, len(alarms),
              statistics.median(values) if values else None, min(values) if values else None,
              statistics.median(gains) if gains else None,
              false / (len(data.sensors) * data.days), len(data.events) - len(leads),
              len(data.events))
    return row, leads


def backtest(scenario: str, *, days: int = 1, seed: int = 1) -> tuple[Replay, list[Row]]:
    """The rule sets over one scenario: (the replay, [thresholds alone, with forecasts, and
    with the upstream rule too where a warning is in force])."""
    data = build(scenario, days=days, seed=seed)
    base_row, base_leads = score(data, replay(data, [THRESHOLD]), label="threshold only")
    early_row, _ = score(data, replay(data, [THRESHOLD, PREDICTIVE]), base_leads,
                         label="with forecasts")
    rows = [base_row, early_row]
    if data.alerts:
        rows.append(score(data, replay(data, [THRESHOLD, PREDICTIVE, UPSTREAM]), base_leads,
                          label="+ rain warning")[0])
    return data, rows


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} s"


def table(data: Replay, rows: list[Row]) -> str:
    readings = sum(len(r) for r in data.readings.values())
    head = (f"scenario {data.scenario}: {len(data.sensors)} sensors × {data.days:g} day(s), "
            f"{readings} readings, {rows[0].events} event(s)")
    lines = [head,
             f"{'rules':<16}{'alarms':>7}{'lead median':>13}{'lead min':>10}{'gained':>9}"
             f"{'false/sensor-day':>18}{'missed':>8}"]
    for r in rows:
        lines.append(f"{r.rules:<16}{r.alarms:>7}{_s(r.lead_median):>13}{_s(r.lead_min):>10}"
                     f"{_s(r.gained_median):>9}{r.false_per_sensor_day:>18.3f}{r.missed:>8}")
    return "\n".join(lines)


def run(args) -> int:
    """Entry point of ``resilience backtest``."""
    names = [s for s in SCENARIOS if s != "normal"] if args.all or not args.scenario \
        else [args.scenario]
    for name in names:
        data, rows = backtest(name, days=args.days, seed=args.seed)
        print(table(data, rows))
        print()
    return 0
