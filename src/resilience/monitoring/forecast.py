"""Time-to-threshold forecasts: when will a sensor's reading reach a limit, from its recent trend.

The trend is a **Theil–Sen** line (the median of the slopes between every pair of readings, the
level the median of the residuals) over the readings of the last ``window`` seconds: half the
readings can be spikes before the line moves, uneven spacing and gaps need no resampling, and
a plateau gives a slope near zero, not a false rise. A forecast is given only when the rise (a
fall for a "below" limit) is significant — the lower end of the slope's confidence interval
(Kendall's-tau based, as ``scipy.stats.theilslopes``) is on the right side of zero — so a flat
noisy series gives ``None``. The interval of the crossing time comes from the slope's interval.

Pure numpy, about 20 µs for 30 readings (``scipy.stats.theilslopes`` takes ~250 µs; the rule
engine calls this on every armed sensor of a batch). Used by the predictive and upstream rules
(``monitoring.rules.predictive``), the sensor page and ``/api/sensors/{id}/forecast/``.
"""
from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DEFAULT_WINDOW = 600       # seconds of readings the trend is fitted on
DEFAULT_MIN_POINTS = 5     # fewer readings than this in the window: no forecast
MAX_POINTS = 40            # the most recent readings used (Theil–Sen is O(n²))
CONFIDENCE = 0.90          # of the slope's interval
_Z = 1.6448536269514722    # normal quantile of (1 + CONFIDENCE) / 2


@dataclass(frozen=True, slots=True)
class Trend:
    """A robust line through recent readings: ``level`` at ``at`` and ``slope`` per second, with
    the slope's interval ``slope_low``…``slope_high`` (90 %)."""

    at: datetime
    level: float
    slope: float
    slope_low: float
    slope_high: float
    points: int


@dataclass(frozen=True, slots=True)
class Forecast:
    """When the trend reaches ``target``: ``seconds`` after ``at`` (0: already there), between
    ``earliest`` and ``latest`` (``None``: the slope's interval reaches zero, so it may never)."""

    target: float
    op: str
    at: datetime
    level: float
    slope: float
    seconds: float
    earliest: float
    latest: float | None
    points: int

    @property
    def reaches_at(self) -> datetime:
        return self.at + timedelta(seconds=self.seconds)

    def as_dict(self) -> dict:
        return {"target": self.target, "op": self.op, "at": self.at.isoformat(),
                "level": round(self.level, 4), "slope_per_minute": round(self.slope * 60, 4),
                "seconds": round(self.seconds, 1), "earliest_seconds": round(self.earliest, 1),
                "latest_seconds": None if self.latest is None else round(self.latest, 1),
                "reaches_at": self.reaches_at.isoformat(), "points": self.points}


def window_of(readings: Sequence[tuple[datetime, float]], at: datetime | None = None,
              window: float = DEFAULT_WINDOW) -> list[tuple[datetime, float]]:
    """The readings of the ``window`` seconds up to ``at`` (default: the last reading), sorted."""
    if not readings:
        return []
    readings = sorted(readings)
    at = at or readings[-1][0]
    start = at - timedelta(seconds=window)
    return [(t, v) for t, v in readings if start <= t <= at][-MAX_POINTS:]


def recent(history: Sequence[tuple[datetime, float]], at: datetime,
           window: float = DEFAULT_WINDOW) -> Sequence[tuple[datetime, float]]:
    """``window_of`` for readings already sorted by time (the engine's memory, a replayed
    series): the same readings, found by bisection instead of a sort and a scan."""
    end = bisect.bisect_right(history, at, key=_time)
    start = bisect.bisect_left(history, at - timedelta(seconds=window), 0, end, key=_time)
    return history[max(start, end - MAX_POINTS):end]


def _time(reading: tuple[datetime, float]) -> datetime:
    return reading[0]


def trend(readings: Sequence[tuple[datetime, float]],
          min_points: int = DEFAULT_MIN_POINTS) -> Trend | None:
    """The Theil–Sen line through ``readings`` (sorted ``(time, value)``), or ``None`` with fewer
    than ``min_points`` readings or all at one time."""
    if len(readings) < max(min_points, 3):
        return None
    at = readings[-1][0]
    x = np.fromiter(((t - at).total_seconds() for t, _v in readings), float, len(readings))
    y = np.fromiter((v for _t, v in readings), float, len(readings))
    i, j = _pairs(len(x))
    dx = x[j] - x[i]
    keep = dx > 0
    if keep.all():  # readings at distinct times: the usual case
        slopes = np.sort((y[j] - y[i]) / dx)
    elif keep.any():
        slopes = np.sort((y[j] - y[i])[keep] / dx[keep])
    else:
        return None
    slope = _median_of_sorted(slopes)
    level = _median_of_sorted(np.sort(y - slope * x))
    # The slope's confidence interval from the variance of Kendall's S (no tie correction).
    n, m = len(x), len(slopes)
    sigma = math.sqrt(n * (n - 1) * (2 * n + 5) / 18.0)
    upper = min(int(round((m + _Z * sigma) / 2.0)), m - 1)
    lower = max(int(round((m - _Z * sigma) / 2.0)) - 1, 0)
    return Trend(at, level, slope, float(slopes[lower]), float(slopes[upper]), n)


@functools.lru_cache(maxsize=MAX_POINTS + 1)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``i < j`` of ``n`` readings (cached: building them cost as much as the fit)."""
    return np.triu_indices(n, 1)


def _median_of_sorted(values: np.ndarray) -> float:
    """``np.median`` of sorted values, to the bit, without its overhead (a third of a fit)."""
    m = len(values)
    if m % 2:
        return float(values[m // 2])
    return float((values[m // 2 - 1] + values[m // 2]) / 2.0)


def time_to(line: Trend, target: float, op: str = "above") -> Forecast | None:
    """When ``line`` reaches ``target`` (from below for "above", from above for "below"), or
    ``None`` if it does not head there significantly (flat, or moving away)."""
    sign = 1.0 if op == "above" else -1.0
    gap = sign * (target - line.level)
    slope, low, high = sign * line.slope, sign * line.slope_low, sign * line.slope_high
    low, high = min(low, high), max(low, high)
    if gap <= 0:
        return Forecast(target, op, line.at, line.level, line.slope, 0.0, 0.0, 0.0, line.points)
    if low <= 0 or slope <= 0:
        return None
    return Forecast(target, op, line.at, line.level, line.slope, gap / slope, gap / high,
                    gap / low, line.points)


def forecast(readings: Sequence[tuple[datetime, float]], target: float, op: str = "above", *,
             window: float = DEFAULT_WINDOW, min_points: int = DEFAULT_MIN_POINTS,
             at: datetime | None = None) -> Forecast | None:
    """Time to ``target`` from the readings of the last ``window`` seconds (up to ``at``)."""
    line = trend(window_of(readings, at, window), min_points)
    return time_to(line, target, op) if line is not None else None


# --- the running trend the engine keeps per sensor ------------------------------------------------

class RunningTrend:
    """A sensor's trend updated in O(1) per reading: Holt's linear method in continuous time
    (smoothing weights from the time since the last reading, so gaps and uneven spacing need no
    resampling), with residuals clipped at ``CLIP`` running spreads so a spike moves it little.

    The reference for the engine's vectorised running trends (``rules.running``, the same
    arithmetic over arrays), which are the cheap gate: the Theil–Sen fit (``trend``) runs only
    when the running trend says the limit may be near. Also seeds a trend after a restart.
    """

    __slots__ = ("at", "level", "slope", "spread", "tau_level", "tau_slope")
    CLIP = 3.0
    RESTART = 4.0  # × ``tau_slope`` (the window): a longer gap starts the trend afresh

    def __init__(self, window: float = DEFAULT_WINDOW) -> None:
        self.at: float | None = None
        self.level = self.slope = self.spread = 0.0
        self.tau_level, self.tau_slope = window / 8, window / 4

    def update(self, at: float, value: float) -> None:
        """Take the reading ``value`` at Unix time ``at`` (older or repeated readings: ignored)."""
        if self.at is None:
            self.at, self.level = at, value
            return
        dt = at - self.at
        if dt <= 0:
            return
        if dt > self.RESTART * self.tau_slope:
            # Silent for longer than the window: extrapolating the old trend across the gap (and
            # clipping the reading against it) would keep a level the readings left long ago.
            self.at, self.level, self.slope = at, value, 0.0
            return
        predicted = self.level + self.slope * dt
        residual = value - predicted
        limit = self.CLIP * self.spread
        if limit > 0:
            residual = max(-limit, min(limit, residual))
        level = predicted + (1 - math.exp(-dt / self.tau_level)) * residual
        beta = 1 - math.exp(-dt / self.tau_slope)
        self.slope += beta * ((level - self.level) / dt - self.slope)
        self.spread += 0.1 * (abs(value - predicted) - self.spread)
        self.level, self.at = level, at

    def seconds_to(self, target: float, op: str = "above") -> float | None:
        """Seconds until the trend reaches ``target`` (0: past it; ``None``: heading away)."""
        if self.at is None:
            return None
        sign = 1.0 if op == "above" else -1.0
        gap, toward = sign * (target - self.level), sign * self.slope
        if gap <= 0:
            return 0.0
        return gap / toward if toward > 0 else None


# --- words ----------------------------------------------------------------------------------------

def duration_text(seconds: float) -> str:
    """"40 seconds", "about 12 minutes", "2.5 hours" — for a forecast."""
    if seconds < 90:
        n = max(int(round(seconds)), 0)
        return ngettext("%(n)s second", "%(n)s seconds", n) % {"n": n}
    if seconds < 5400:
        n = int(round(seconds / 60))
        return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}
    return _("%(n)s hours") % {"n": f"{seconds / 3600:.1f}"}


def forecast_text(name: str, unit: str, fc: Forecast) -> str:
    """"Garage water level reaches 30 cm in about 12 minutes (8–20 minutes)"."""
    words = {"sensor": name, "target": f"{fc.target:g}", "unit": unit,
             "duration": duration_text(fc.seconds), "earliest": duration_text(fc.earliest),
             "latest": duration_text(fc.latest) if fc.latest is not None else ""}
    if fc.seconds <= 0:
        return (_("%(sensor)s is above %(target)s %(unit)s") if fc.op == "above"
                else _("%(sensor)s is below %(target)s %(unit)s")) % words
    if fc.op == "above":
        return _("%(sensor)s reaches %(target)s %(unit)s in about %(duration)s "
                 "(%(earliest)s to %(latest)s)") % words if fc.latest is not None else \
            _("%(sensor)s reaches %(target)s %(unit)s in about %(duration)s") % words
    return _("%(sensor)s falls to %(target)s %(unit)s in about %(duration)s "
             "(%(earliest)s to %(latest)s)") % words if fc.latest is not None else \
        _("%(sensor)s falls to %(target)s %(unit)s in about %(duration)s") % words


# --- a sensor's outlook (the sensor page and the API) ---------------------------------------------

def sensor_outlook(sensor) -> dict:
    """The sensor's forecasts towards the limits of the rules that watch it (predictive and
    threshold rules, as the engine applies them), soonest first, then the limits its trend is
    already past (``seconds`` 0), and the anomaly score of its latest reading against its
    baseline. Reads the readings of the window its forecast rules fit on (``DEFAULT_WINDOW``
    without one)."""
    from resilience.monitoring.baseline import score
    from resilience.monitoring.models import Observation
    from resilience.monitoring.rules import PREDICTIVE, THRESHOLD, engine

    with engine._lock:
        engine._refresh_rules()
        info = engine._sensor_infos([sensor.pk]).get(sensor.pk)
        rules = engine.rules_for(info) if info is not None else {}
    limits: dict[tuple[str, float], dict] = {}
    for rule in (*rules.get(PREDICTIVE, ()), *rules.get(THRESHOLD, ())):
        key = (rule.params["op"], float(rule.params["value"]))
        limits.setdefault(key, rule.params)
    out = {"forecasts": [], "text": None, "score": None, "as_of": None}
    if sensor.last_time is None:
        return out
    # The window the sensor's forecast rules fit on, so that the page says what the pre-alarm
    # said (a flood's first minutes drown in ten minutes of dry readings); else the default.
    window = min([r.params.get("window", DEFAULT_WINDOW) for r in rules.get(PREDICTIVE, ())]
                 or [DEFAULT_WINDOW])
    readings = list(Observation.objects.filter(
        sensor=sensor, time__gt=sensor.last_time - timedelta(seconds=window),
        time__lte=sensor.last_time).order_by("-time").values_list("time", "value")[:MAX_POINTS])
    readings.reverse()
    out["as_of"] = sensor.last_time.isoformat()
    line = trend(readings)
    passed = []
    for (op, value), params in sorted(limits.items()):
        found = time_to(line, value, op) if line is not None else None
        if found is None:
            continue
        entry = {**found.as_dict(), "text": forecast_text(sensor.name, sensor.unit, found)}
        (out["forecasts"] if found.seconds > 0 else passed).append(entry)
    # The limits ahead, soonest first; then those the trend is already past, the furthest
    # first ("is above 30 cm" says more than "is above 10 cm") — not "no limit in sight".
    out["forecasts"].sort(key=lambda f: f["seconds"])
    passed.sort(key=lambda f: -f["target"] if f["op"] == "above" else f["target"])
    out["forecasts"] += passed
    if out["forecasts"]:
        out["text"] = out["forecasts"][0]["text"]
    if line is not None:
        out["slope_per_minute"] = round(line.slope * 60, 4)
    if sensor.last_value is not None:
        z = score(sensor, sensor.last_time, sensor.last_value)
        out["score"] = None if z is None else round(z, 2)
    return out
