"""What the engine keeps per sensor for the early-warning rules, as numpy arrays, and the
vectorised pass over a batch that updates it: each sensor's running trend (Holt's linear method
in continuous time with clipped residuals — ``forecast.RunningTrend``, one array per state
variable) and the anomaly score of each reading against its baseline.

One pass per batch, over every reading of every sensor a predictive or anomaly rule watches, in
a handful of numpy operations; it returns the few sensors that need the rules' attention — a
reading past a forecast rule's ``arm`` whose running trend puts the limit within the gate, a
score past an anomaly rule's ``z``, or an alarm of those rules open. Only those then go through
the rules one by one (``predictive.run_early_warning``). So forecasts and scores of 10,000
sensors cost a few milliseconds a batch.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from resilience.monitoring import forecast as fc

CLIP, RESTART = fc.RunningTrend.CLIP, fc.RunningTrend.RESTART
WEEK = 168


class RunningState:
    """The running trends and baselines of the sensors, by slot (one slot per sensor)."""

    def __init__(self, capacity: int = 1024) -> None:
        self.slots: dict[int, int] = {}
        self._grow(capacity, fresh=True)

    def _grow(self, capacity: int, fresh: bool = False) -> None:
        def extend(old, fill, shape=None):
            new = np.full((capacity,) + (shape or ()), fill, dtype=float)
            if not fresh:
                new[:len(old)] = old
            return new

        old = None if fresh else self
        self.at = extend(old and self.at, np.nan)
        self.level = extend(old and self.level, 0.0)
        self.slope = extend(old and self.slope, 0.0)
        self.spread = extend(old and self.spread, 0.0)
        self.tau_level = extend(old and self.tau_level, fc.DEFAULT_WINDOW / 8)
        self.tau_slope = extend(old and self.tau_slope, fc.DEFAULT_WINDOW / 4)
        # Gate of the forecast rules: sign (+1 above, −1 below, 0 none), arm, limit, seconds.
        self.sign = extend(old and self.sign, 0.0)
        self.arm = extend(old and self.arm, 0.0)
        self.limit = extend(old and self.limit, 0.0)
        self.gate = extend(old and self.gate, 0.0)
        self.near = extend(old and self.near, 0.0)
        # When the robust fit is next due (Unix time; −inf: at the next reading in the gate) and
        # the line of the last one (time, level, slope; NaN: none), to spot a climb speeding up.
        self.due = extend(old and self.due, -np.inf)
        self.fit_at = extend(old and self.fit_at, np.nan)
        self.fit_level = extend(old and self.fit_level, np.nan)
        self.fit_slope = extend(old and self.fit_slope, np.nan)
        # Baselines: median and spread by bucket (NaN: none), 24 or 168 buckets, lowest z.
        self.median = extend(old and self.median, np.nan, (WEEK,))
        self.scale = extend(old and self.scale, np.nan, (WEEK,))
        self.weekly = extend(old and self.weekly, 0.0)
        self.z = extend(old and self.z, np.inf)
        self.capacity = capacity

    def slot(self, sensor_id: int) -> int:
        found = self.slots.get(sensor_id)
        if found is None:
            found = self.slots[sensor_id] = len(self.slots)
            if found >= self.capacity:
                self._grow(self.capacity * 2)
        return found

    def forget(self, sensor_id: int) -> None:
        """Start the sensor afresh (its slot is kept, emptied)."""
        i = self.slots.get(sensor_id)
        if i is not None:
            self.at[i], self.level[i], self.slope[i], self.spread[i] = np.nan, 0.0, 0.0, 0.0
            self.sign[i], self.median[i], self.scale[i], self.z[i] = 0.0, np.nan, np.nan, np.inf
            self.refit(i)

    def set_gate(self, i: int, rules) -> None:
        """The gate of a sensor's forecast rules (all of one direction; else always open)."""
        ops = {r.params["op"] for r in rules}
        self.refit(i)
        if not rules:
            self.sign[i] = 0.0
            return
        window = min(r.params.get("window", fc.DEFAULT_WINDOW) for r in rules)
        self.tau_level[i], self.tau_slope[i] = window / 8, window / 4
        if len(ops) > 1:
            self.sign[i], self.arm[i], self.limit[i], self.gate[i] = 1.0, -math.inf, math.inf, \
                math.inf
            self.near[i] = math.inf
            return
        sign = 1.0 if ops == {"above"} else -1.0
        self.sign[i] = sign
        self.arm[i] = min(sign * r.params["arm"] for r in rules)
        self.limit[i] = min(sign * r.params["value"] for r in rules)
        self.gate[i] = max(r.params["horizon"] for r in rules) * 3.0
        self.near[i] = min(r.params["horizon"] for r in rules)

    def refit(self, i: int, due: float = -math.inf, line=None) -> None:
        """When the sensor's next robust fit is due (Unix time; −inf: at its next reading in the
        gate), and the line of the fit just made (a ``forecast.Forecast``, or ``None``)."""
        self.due[i] = due
        if line is None:
            self.fit_at[i] = self.fit_level[i] = self.fit_slope[i] = np.nan
        else:
            self.fit_at[i], self.fit_level[i], self.fit_slope[i] = (
                line.at.timestamp(), line.level, line.slope)

    def set_baseline(self, i: int, profile, rules) -> None:
        if profile is None or not rules:
            self.median[i], self.scale[i], self.z[i] = np.nan, np.nan, np.inf
            return
        n = profile.buckets
        self.median[i, :n] = [np.nan if m is None else m for m in profile.median]
        self.scale[i, :n] = [np.nan if s is None else s for s in profile.spread]
        self.weekly[i] = 1.0 if n == WEEK else 0.0
        self.z[i] = min(r.params["z"] for r in rules)

    def seed(self, i: int, readings: Iterable[tuple[float, float]]) -> None:
        """Fill an empty trend from readings already known (after a restart)."""
        trend = fc.RunningTrend()
        trend.tau_level, trend.tau_slope = self.tau_level[i], self.tau_slope[i]
        for at, value in readings:
            trend.update(at, value)
        if trend.at is not None:
            self.at[i], self.level[i], self.slope[i], self.spread[i] = (
                trend.at, trend.level, trend.slope, trend.spread)

    def step(self, slots: np.ndarray, at: np.ndarray, values: np.ndarray,
             utc_offset: float) -> tuple[np.ndarray, np.ndarray]:
        """One reading of each of ``slots`` (distinct): update the trends; return
        ``(attention for a forecast, |score| past z)`` as boolean arrays."""
        prev = self.at[slots]
        dt = at - prev
        # New, or silent for longer than the window: start afresh (``RunningTrend.update``).
        with np.errstate(invalid="ignore"):
            new = np.isnan(prev) | (dt > RESTART * self.tau_slope[slots])
        dt = np.where(new, 0.0, dt)
        move = dt > 0
        level, slope, spread = self.level[slots], self.slope[slots], self.spread[slots]
        safe = np.where(move, dt, 1.0)
        predicted = level + slope * dt
        residual = values - predicted
        limit = CLIP * spread
        clipped = np.where(limit > 0, np.clip(residual, -limit, limit), residual)
        new_level = predicted + (1 - np.exp(-safe / self.tau_level[slots])) * clipped
        beta = 1 - np.exp(-safe / self.tau_slope[slots])
        new_slope = slope + beta * ((new_level - level) / safe - slope)
        new_spread = spread + 0.1 * (np.abs(residual) - spread)
        self.level[slots] = np.where(new, values, np.where(move, new_level, level))
        self.slope[slots] = np.where(new, 0.0, np.where(move, new_slope, slope))
        self.spread[slots] = np.where(move, new_spread, spread)
        self.at[slots] = np.where(new | move, at, prev)
        # Forecast gate: past arm, and the running trend reaching the limit within the gate.
        sign = self.sign[slots]
        armed = (sign != 0) & (sign * values > self.arm[slots])
        toward = sign * self.slope[slots]
        gap = self.limit[slots] - sign * self.level[slots]
        with np.errstate(divide="ignore", invalid="ignore"):
            eta = np.where(gap <= 0, 0.0, np.where(toward > 0, gap / toward, np.inf))
        # …and the fit due: its time has come (``refit``), the cheap trend puts the limit within
        # the horizon, or the reading has left the last fit's line towards the limit by more
        # than the noise (a climb speeding up: the fit's schedule assumed a steady one).
        with np.errstate(invalid="ignore"):
            drift = sign * (values - self.fit_level[slots]
                            - self.fit_slope[slots] * (at - self.fit_at[slots]))
            due = ((at >= self.due[slots]) | (eta <= self.near[slots])
                   | (drift > CLIP * self.spread[slots]))
        forecast = armed & (eta <= self.gate[slots]) & due
        # Anomaly: the reading's bucket, its robust z-score.
        local = at + utc_offset
        hour = np.floor(local / 3600) % 24
        weekday = (np.floor(local / 86400) + 3) % 7
        bucket = (hour + self.weekly[slots] * weekday * 24).astype(int)
        with np.errstate(invalid="ignore"):
            score = (values - self.median[slots, bucket]) / self.scale[slots, bucket]
            unusual = np.abs(score) >= self.z[slots]
        return forecast, unusual
