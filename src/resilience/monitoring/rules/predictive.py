"""Early-warning rule types: a forecast crossing (``predictive``), a reading far from its baseline
(``anomaly``, in ``rules.anomaly``) and an upstream warning joined with local signs
(``upstream``, in ``rules.signals``) — their parameters, their pure state machines and the step
the engine runs for them (``run_early_warning``, called from ``RuleEngine._run``).

``predictive`` ``{"op": "above"|"below", "value": limit, "arm": a, "horizon": s,
"clear": c?, "window": s?, "min_points": n?}``
    A **pre-alarm**: raised when the reading is past ``arm`` (on the way to ``value``) and the
    robust trend of the last ``window`` seconds (default 600, at least ``min_points`` readings,
    default 5; ``monitoring.forecast``) reaches ``value`` within ``horizon`` seconds. Give it a
    lower level than the threshold alarm of ``value`` (e.g. III before II). Cleared when the
    reading falls back past ``clear`` (default ``arm``), or when the trend no longer reaches
    ``value`` within twice the horizon — the hysteresis that keeps a noisy slope from flapping.
    It stays open while the reading is past ``value`` (the threshold alarm is then open too).
    The alarm's message states the forecast.

The engine keeps what these need in memory, keyed by sensor: the recent readings (the same
window the rate rules use, read back from the observations after a gap), each sensor's running
trend and baseline (numpy arrays, ``rules.running``; baselines reloaded every
``PROFILE_SECONDS``) and the active upstream alerts of each community (reloaded every
``ALERT_SECONDS``). Once per batch, ``prepare`` updates every watched sensor's running trend and
scores every reading in one vectorised pass; the Theil–Sen forecast then runs only for a sensor
past ``arm`` whose running trend puts the limit within three horizons, once per batch at its
latest reading — so 10,000 sensors cost a few milliseconds a batch (``benchmarks/README.md``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.monitoring import forecast as fc
from resilience.monitoring.rules.logic import CachedRule, SensorInfo, _fmt
from resilience.monitoring.rules.running import RunningState
from resilience.monitoring.vocab import RuleKind

PREDICTIVE, ANOMALY, UPSTREAM = (RuleKind.PREDICTIVE.value, RuleKind.ANOMALY.value,
                                 RuleKind.UPSTREAM.value)
EARLY_KINDS = (PREDICTIVE, ANOMALY, UPSTREAM)
PARAM_KEYS = {
    PREDICTIVE: {"op", "value", "arm", "clear", "horizon", "window", "min_points"},
    ANOMALY: {"z", "clear", "direction"},
    UPSTREAM: {"events", "min_level", "op", "value", "clear", "rise", "window", "min_points"},
}
MAX_SECONDS = 86_400
PROFILE_SECONDS = 600.0     # how long the engine trusts a sensor's baseline in memory
ALERT_SECONDS = 10.0        # how long it trusts its list of active upstream alerts
CLEAR_HORIZON_FACTOR = 2.0  # a pre-alarm clears when the crossing is further than this × horizon
GATE_FACTOR = 3.0           # the running trend must put the limit within this × horizon
REFIT_SHARE = 0.5           # of a far forecast's slack before the next fit (0: every reading)


def number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def beyond(op: str, value: float, limit: float) -> bool:
    return value > limit if op == "above" else value < limit


def window_seconds(rule: CachedRule) -> float:
    """Seconds of recent readings a rule of these types needs in memory (0: none)."""
    if rule.kind == PREDICTIVE or (rule.kind == UPSTREAM and "rise" in rule.params):
        return float(rule.params.get("window", fc.DEFAULT_WINDOW))
    return 0.0


# --- parameters -----------------------------------------------------------------------------------

def _op_reasons(p: dict) -> list[str]:
    return [] if p.get("op") in ("above", "below") else [_('"op" must be "above" or "below".')]


def _window_reasons(p: dict) -> list[str]:
    reasons = []
    if "window" in p and not (number(p["window"]) and 10 <= p["window"] <= MAX_SECONDS):
        reasons.append(_('"window" must be a number of seconds from 10 to %(max)s.')
                       % {"max": MAX_SECONDS})
    if "min_points" in p and not (isinstance(p["min_points"], int)
                                  and not isinstance(p["min_points"], bool)
                                  and 3 <= p["min_points"] <= fc.MAX_POINTS):
        reasons.append(_('"min_points" must be a whole number from 3 to %(max)s.')
                       % {"max": fc.MAX_POINTS})
    return reasons


def predictive_reasons(p: dict) -> list[str]:
    reasons = _op_reasons(p)
    for key, what in (("value", _("the limit the forecast is about")),
                      ("arm", _("the reading past which forecasts may raise the pre-alarm"))):
        if not number(p.get(key)):
            reasons.append(_('"%(key)s" must be a number: %(what)s.') % {"key": key, "what": what})
    if "clear" in p and not number(p["clear"]):
        reasons.append(_('"clear" must be a number: the reading past which the pre-alarm clears.'))
    if not (number(p.get("horizon")) and 0 < p["horizon"] <= MAX_SECONDS):
        reasons.append(_('"horizon" must be a number of seconds above 0 and at most %(max)s: '
                         'how far ahead a forecast crossing raises the pre-alarm.')
                       % {"max": MAX_SECONDS})
    reasons += _window_reasons(p)
    if not reasons:
        if not beyond(p["op"], p["value"], p["arm"]):
            reasons.append(_('"arm" must be on the safe side of "value" (below it for "above", '
                             'above it for "below").'))
        elif "clear" in p and beyond(p["op"], p["clear"], p["arm"]):
            reasons.append(_('"clear" must not be past "arm", so that the pre-alarm does not '
                             'flap.'))
    return reasons


def rule_reasons(kind: str, params: dict) -> list[str]:
    """The reasons ``params`` do not suit an early-warning rule type (empty: they do)."""
    from resilience.monitoring.rules.anomaly import anomaly_reasons
    from resilience.monitoring.rules.signals import upstream_reasons

    return {PREDICTIVE: predictive_reasons, ANOMALY: anomaly_reasons,
            UPSTREAM: upstream_reasons}[kind](params)


# --- the pre-alarm's state machine (pure) ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Step:
    """What one evaluation decided: "raise", "hold", "clear" or "" (closed, stays closed)."""

    event: str
    forecast: fc.Forecast | None = None


QUIET = Step("")


def predictive_step(params: Mapping, is_open: bool, history: Sequence[tuple[datetime, float]],
                    t: datetime, v: float, running: fc.RunningTrend | None = None) -> Step:
    """The pre-alarm at reading ``(t, v)``; ``history`` holds the sensor's sorted recent
    readings up to and including it. With ``running`` (the engine's O(1) trend of the sensor),
    a closed pre-alarm skips the Theil–Sen fit while that trend puts the limit further than
    ``GATE_FACTOR`` horizons away (or heading away)."""
    op, limit = params["op"], params["value"]
    window = params.get("window", fc.DEFAULT_WINDOW)
    min_points = params.get("min_points", fc.DEFAULT_MIN_POINTS)
    if not is_open:
        if not beyond(op, v, params["arm"]):
            return QUIET
        if running is not None and running.at is not None:
            rough = running.seconds_to(limit, op)
            if rough is None or rough > GATE_FACTOR * params["horizon"]:
                return QUIET
        line = fc.trend(fc.recent(history, t, window), min_points)
        forecast = fc.time_to(line, limit, op) if line is not None else None
        if forecast is not None and forecast.seconds <= params["horizon"]:
            return Step("raise", forecast)
        return Step("", forecast)
    if beyond(op, params.get("clear", params["arm"]), v):
        return Step("clear")
    if beyond(op, v, limit):
        return Step("hold")
    line = fc.trend(fc.recent(history, t, window), min_points)
    if line is None:
        return Step("hold")  # too few readings to judge: keep what was decided
    sign = 1.0 if op == "above" else -1.0
    toward = sign * line.slope
    gap = sign * (limit - line.level)
    if toward <= 0 or gap / toward > CLEAR_HORIZON_FACTOR * params["horizon"]:
        return Step("clear")
    return Step("hold", fc.time_to(line, limit, op))


def predictive_message(info: SensorInfo, rule: CachedRule, value: float,
                       forecast: fc.Forecast) -> str:
    """The pre-alarm's reason: the reading, its trend and when it reaches the limit."""
    words = {"sensor": info.label, "value": _fmt(value), "unit": info.unit,
             "rate": _fmt(round(abs(forecast.slope) * 60, 3)), "limit": _fmt(forecast.target),
             "duration": fc.duration_text(forecast.seconds),
             "earliest": fc.duration_text(forecast.earliest),
             "latest": fc.duration_text(forecast.latest if forecast.latest is not None
                                        else forecast.seconds)}
    if forecast.op == "above":
        return _("%(sensor)s: %(value)s %(unit)s, rising %(rate)s %(unit)s/min: forecast to "
                 "reach %(limit)s %(unit)s in about %(duration)s (%(earliest)s to %(latest)s)"
                 ) % words
    return _("%(sensor)s: %(value)s %(unit)s, falling %(rate)s %(unit)s/min: forecast to "
             "reach %(limit)s %(unit)s in about %(duration)s (%(earliest)s to %(latest)s)"
             ) % words


# --- in the engine --------------------------------------------------------------------------------

@dataclass
class EarlyState:
    """What the engine keeps for these rule types, keyed by sensor (and community)."""

    running: RunningState = field(default_factory=RunningState)  # trends and baselines
    configured: set = field(default_factory=set)         # sensor ids whose slot has its rules
    version: object = None                               # of the rules the slots were set for
    profiles: dict = field(default_factory=dict)         # sensor id → Profile | None
    profiles_loaded: dict = field(default_factory=dict)  # sensor id → clock
    alerts: dict = field(default_factory=dict)           # community id → [UpstreamAlert]
    alerts_loaded: float = -math.inf
    utc_offset: float = 0.0                              # local time zone's, this batch
    attention: set = field(default_factory=set)          # this batch: sensors to run rules on
    fit_due: set = field(default_factory=set)            # …of them, those whose forecast is due
    fits: int = 0                                        # fits for closed pre-alarms (bench)

    def forget(self, sensor_id: int) -> None:
        for store in (self.profiles, self.profiles_loaded):
            store.pop(sensor_id, None)
        self.configured.discard(sensor_id)
        self.running.forget(sensor_id)


def prepare(engine, work: list, opened: Mapping) -> None:
    """Once per batch, before the rules run: load what the early-warning rules need (baselines
    missing or old, the active upstream alerts), update every watched sensor's running trend and
    score every reading in one vectorised pass (``running.RunningState.step``), and note the
    sensors that need the rules' attention (``EarlyState.attention``)."""
    from resilience.monitoring.baseline import load_profiles
    from resilience.monitoring.rules.signals import load_alerts

    state: EarlyState = engine._early
    running = state.running
    clock = engine._clock()
    version = (engine._version, engine._fingerprint)
    if state.version != version:  # the rules changed: set every slot again when next seen
        state.version = version
        state.configured.clear()
    # Parallel lists, not a tuple per sensor: at 10,000 sensors a batch, allocating containers
    # wakes the garbage collector, which then walks everything the engine keeps.
    need_profiles, need_alerts = [], False
    w_infos, w_rules, w_readings = [], [], []
    for info, rules, readings in work:
        if ANOMALY in rules:
            if clock - state.profiles_loaded.get(info.id, -math.inf) > PROFILE_SECONDS:
                need_profiles.append(info.id)
        elif PREDICTIVE not in rules:
            if UPSTREAM in rules:
                need_alerts = True
            continue
        if UPSTREAM in rules:
            need_alerts = True
        w_infos.append(info)
        w_rules.append(rules)
        w_readings.append(readings)
    # Once per batch: a time zone look-up per reading costs more than the scoring itself.
    state.utc_offset = timezone.localtime().utcoffset().total_seconds()
    if need_profiles:
        found = load_profiles(need_profiles)
        for sid in need_profiles:
            state.profiles[sid] = found.get(sid)
            state.profiles_loaded[sid] = clock
            state.configured.discard(sid)
    if need_alerts and clock - state.alerts_loaded > ALERT_SECONDS:
        state.alerts = load_alerts()
        state.alerts_loaded = clock
    attention = {sid for sid, rid in opened
                 if rid in engine._rules and engine._rules[rid].kind in EARLY_KINDS}
    configured, slot_of = state.configured, running.slot
    slots, due = [], set()
    for info, rules, readings in zip(w_infos, w_rules, w_readings):
        i = slot_of(info.id)
        if info.id not in configured:
            predictive = rules.get(PREDICTIVE, ())
            running.set_gate(i, predictive)
            running.set_baseline(i, state.profiles.get(info.id), rules.get(ANOMALY, ()))
            if predictive and np.isnan(running.at[i]):
                memory = engine._memory.get(info.id)
                first = readings[0][0]
                running.seed(i, [(t.timestamp(), v) for t, v in
                                 (memory.window if memory is not None else ()) if t < first])
            configured.add(info.id)
        slots.append(i)
    depth = max(map(len, w_readings), default=0)
    for r in range(depth):  # the r-th reading of every sensor: one vectorised step
        if r == 0:
            ids, part_slots, part = w_infos, slots, w_readings
        else:
            keep = [k for k, readings in enumerate(w_readings) if len(readings) > r]
            ids = [w_infos[k] for k in keep]
            part_slots = [slots[k] for k in keep]
            part = [w_readings[k] for k in keep]
        if not part:
            break
        n = len(part)
        at = np.fromiter((readings[r][0].timestamp() for readings in part), float, n)
        values = np.fromiter((readings[r][1] for readings in part), float, n)
        forecast, unusual = running.step(np.asarray(part_slots, dtype=int), at, values,
                                         state.utc_offset)
        for k in np.flatnonzero(forecast):
            due.add(ids[k].id)
        for k in np.flatnonzero(unusual):
            attention.add(ids[k].id)
    state.fit_due = due
    state.attention = attention | due


def next_fit(params: Mapping, sensor_id: int, t: datetime, step: Step) -> float:
    """When a closed pre-alarm needs its next robust fit (Unix time; −inf: at the next reading).

    A fit whose crossing is significant but later than the horizon tells how long, at the
    trend's steepest plausible slope (the crossing's ``earliest``), before a fit could raise:
    ``earliest − horizon``. The next fit is due after ``REFIT_SHARE`` of that slack — so a steady
    climb is refitted ever more often as it nears the horizon (and every reading once the
    earliest crossing is within it, before the pre-alarm is due: no lead time is lost) — shifted
    by a fixed share per sensor so that sensors that entered the gate together spread their
    fits over the following batches. A climb speeding up meanwhile triggers a fit anyway
    (``running.RunningState.step``). No forecast, or one within the horizon: the next reading.
    """
    forecast = step.forecast
    if forecast is None or step.event == "raise" or REFIT_SHARE <= 0:
        return -math.inf
    slack = forecast.earliest - params["horizon"]
    if slack <= 0:
        return -math.inf
    spread = 0.5 + 0.5 * ((sensor_id * 0.6180339887498949) % 1.0)
    return t.timestamp() + REFIT_SHARE * spread * slack


def run_early_warning(engine, info: SensorInfo, rules: Mapping, readings: Sequence,
                      memory, opened: dict, out) -> None:
    """Run the sensor's predictive, anomaly and upstream rules on its new ``readings``
    (``memory.window`` already holds them, with the recent ones before). Predictive and anomaly
    rules run only for the sensors ``prepare`` found needing attention."""
    state: EarlyState = engine._early
    history = memory.window if memory is not None else list(readings)
    if UPSTREAM in rules:
        run_upstream(engine, info, rules[UPSTREAM], history, readings, state, opened, out)
    if info.id not in state.attention:
        return
    t, v = readings[-1]
    due, line, closed = math.inf, None, False
    for rule in rules.get(PREDICTIVE, ()):
        alarm = opened.get((info.id, rule.id))
        if alarm is not None and t < alarm.last_seen_at:
            continue
        if alarm is None:
            if info.id not in state.fit_due:
                continue  # not in the gate, or the last fit's schedule says not yet
            closed = True
        step = predictive_step(rule.params, alarm is not None, history, t, v)
        if alarm is None:
            state.fits += step is not QUIET  # QUIET here: not armed, so no fit was made
            when = next_fit(rule.params, info.id, t, step)
            if when < due:
                due, line = when, step.forecast
        if step is QUIET:
            continue
        if step.event == "raise":
            engine._raise(info, rule, t, v, predictive_message(info, rule, v, step.forecast), out)
        elif step.event == "hold":
            engine._hold(alarm, rule, t, v, out)
        elif step.event == "clear":
            engine._clear(alarm, t, v, out)
    if closed:
        state.running.refit(state.running.slots[info.id], due, line)
    if ANOMALY in rules:
        stamps = [when.timestamp() for when, _value in readings]
        run_anomaly(engine, info, rules[ANOMALY], readings, stamps, state, opened, out)


# Imported last: these modules use the helpers above.
from resilience.monitoring.rules.anomaly import run_anomaly  # noqa: E402
from resilience.monitoring.rules.signals import run_upstream  # noqa: E402


# --- suggested rules ----------------------------------------------------------------------------

def suggested_rules() -> list[dict]:
    """Early-warning rules worth having, as ``Rule`` fields (English names marked for
    translation): a pre-alarm before each rising threshold of the platform defaults that can be
    seen coming, and a rain warning joined with water rising in the garage. The demo gives each
    generated community the garage ones (``demo/sensors.py``); ``resilience backtest`` replays
    all of them against the thresholds alone."""
    from django.utils.translation import gettext_noop

    from resilience.monitoring.vocab import AlarmLevel, SensorKind

    def forecast(value, arm, clear, horizon, window):
        return {"op": "above", "value": value, "arm": arm, "clear": clear, "horizon": horizon,
                "window": window, "min_points": 4}

    return [
        {"key": "garage_flooding_forecast", "name": gettext_noop("Garage flooding forecast"),
         "kind": PREDICTIVE, "sensor_kind": SensorKind.WATER_LEVEL,
         "facility_kind": "underground_garage", "params": forecast(30, 5, 3, 900, 120),
         "level": AlarmLevel.III},
        {"key": "garage_rain_warning",
         "name": gettext_noop("Rainstorm warning with water rising in the garage"),
         "kind": UPSTREAM, "sensor_kind": SensorKind.WATER_LEVEL,
         "facility_kind": "underground_garage",
         "params": {"events": ["rainstorm", "flood", "typhoon"], "min_level": 4, "op": "above",
                    "value": 3, "clear": 1.5, "rise": 0.2, "window": 120, "min_points": 4},
         "level": AlarmLevel.II},
        {"key": "power_room_overheating_forecast",
         "name": gettext_noop("Power room overheating forecast"),
         "kind": PREDICTIVE, "sensor_kind": SensorKind.TEMPERATURE, "facility_kind": "power_room",
         "params": forecast(60, 40, 37, 600, 120), "level": AlarmLevel.III},
        {"key": "gas_danger_forecast", "name": gettext_noop("Gas concentration forecast"),
         "kind": PREDICTIVE, "sensor_kind": SensorKind.GAS, "facility_kind": "",
         "params": forecast(25, 4, 2, 300, 60), "level": AlarmLevel.II},
        {"key": "smoke_forecast", "name": gettext_noop("Smoke building up"),
         "kind": PREDICTIVE, "sensor_kind": SensorKind.SMOKE, "facility_kind": "",
         "params": forecast(10, 2, 1, 120, 60), "level": AlarmLevel.II},
    ]
