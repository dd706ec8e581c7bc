"""Baselines and anomaly scores: what is normal for a sensor at this hour, and how far a reading
is from it.

A sensor's **baseline** (``Baseline``, one row per sensor) is the median reading and the median
absolute deviation (MAD) of its history in each hour of the local day — or of the week, for
sensors whose use follows the week (e-bike charging current, elevators, garage CO) when at least
two weeks of history exist. A reading's **anomaly score** is the robust z-score
``(value − median) / (1.4826 × MAD)`` of its bucket: about as many "standard deviations" from
normal, but not dragged by the outliers it is meant to find. The MAD is floored (``MIN_SPREAD``
by sensor type, and a share of the median) so a sensor that always reads the same value does
not score every tiny change as a catastrophe.

``refresh_baselines`` recomputes them from the last ``days`` days (the worker runs it hourly,
``resilience manage refresh_baselines`` on demand); ``score`` is what the rule engine and the
sensor page call: a list index and three float operations per reading.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone

from resilience.monitoring.models import Observation, Sensor
from resilience.monitoring.models.predictions import Baseline

DAY_BUCKETS, WEEK_BUCKETS = 24, 168
HISTORY_DAYS = 28
MIN_PER_BUCKET = 3              # fewer readings in a bucket: no score for readings in it
WEEKLY_KINDS = {"current", "elevator", "co"}   # whose normal follows the week as well as the day
WEEKLY_MIN_DAYS = 14
MAD_SCALE = 1.4826              # MAD × this estimates the standard deviation of a normal sample
MIN_SPREAD = {"smoke": 0.05, "gas": 0.1, "water_level": 0.2, "temperature": 0.2, "current": 0.3,
              "rain": 0.5, "co": 1.0, "elevator": 0.5, "water_pressure": 0.005, "humidity": 1.0,
              "voltage": 1.0, "tilt": 0.01, "door": 0.5}
RELATIVE_SPREAD = 0.02          # and at least 2 % of the bucket's median


@dataclass(frozen=True, slots=True)
class Profile:
    """A baseline in memory: per bucket the median, the scaled spread (``None``: too few
    readings) — what ``score`` needs."""

    buckets: int
    median: tuple
    spread: tuple

    def bucket(self, moment: dt.datetime) -> int:
        local = timezone.localtime(moment)
        if self.buckets == WEEK_BUCKETS:
            return local.weekday() * 24 + local.hour
        return local.hour

    def bucket_at(self, epoch: float, offset: float) -> int:
        """``bucket`` from a Unix time and the local UTC offset in seconds (no time zone
        look-up: the engine finds the offset once per batch)."""
        local = epoch + offset
        hour = int(local // 3600) % 24
        if self.buckets == WEEK_BUCKETS:
            return ((int(local // 86400) + 3) % 7) * 24 + hour  # 1 Jan 1970 was a Thursday
        return hour

    def score(self, moment: dt.datetime, value: float) -> float | None:
        """The reading's robust z-score in its bucket (``None``: no baseline for that hour)."""
        b = self.bucket(moment)
        spread = self.spread[b]
        if spread is None:
            return None
        return (value - self.median[b]) / spread


def profile_of(kind: str, buckets: int, median: Sequence, mad: Sequence,
               counts: Sequence) -> Profile:
    """A ``Profile`` from a stored baseline's columns (floors applied here, once)."""
    floor = MIN_SPREAD.get(kind, 0.1)
    spread = tuple(
        None if m is None or c < MIN_PER_BUCKET
        else max(MAD_SCALE * d, floor, RELATIVE_SPREAD * abs(m))
        for m, d, c in zip(median, mad, counts))
    return Profile(buckets, tuple(median), spread)


def load_profiles(sensor_ids: Iterable[int]) -> dict[int, Profile]:
    """The baselines of these sensors that have one, ready to score."""
    out: dict[int, Profile] = {}
    ids = list(sensor_ids)
    for start in range(0, len(ids), 1000):
        for sid, kind, buckets, median, mad, counts in Baseline.objects.filter(
                sensor_id__in=ids[start:start + 1000]).values_list(
                "sensor_id", "sensor__kind", "buckets", "median", "mad", "counts"):
            out[sid] = profile_of(kind, buckets, median, mad, counts)
    return out


def score(sensor: Sensor, moment: dt.datetime, value: float) -> float | None:
    """The anomaly score of one reading of ``sensor`` (``None`` without a baseline)."""
    profile = load_profiles([sensor.pk]).get(sensor.pk)
    return profile.score(moment, value) if profile is not None else None


# --- computing baselines --------------------------------------------------------------------------

def compute(times: Sequence[dt.datetime], values: Sequence[float], buckets: int) -> dict:
    """Median, MAD and count of ``values`` in each hour-of-day (or of-week) bucket."""
    index = np.fromiter(
        ((timezone.localtime(t).weekday() * 24 if buckets == WEEK_BUCKETS else 0)
         + timezone.localtime(t).hour for t in times), int, len(times))
    y = np.asarray(values, dtype=float)
    median, mad, counts = [], [], []
    for b in range(buckets):
        part = y[index == b]
        counts.append(int(part.size))
        if part.size:
            m = float(np.median(part))
            median.append(round(m, 6))
            mad.append(round(float(np.median(np.abs(part - m))), 6))
        else:
            median.append(None)
            mad.append(None)
    return {"buckets": buckets, "median": median, "mad": mad, "counts": counts}


def buckets_for(kind: str, since: dt.datetime, until: dt.datetime) -> int:
    """168 buckets for kinds that follow the week once two weeks of history exist, else 24."""
    if kind in WEEKLY_KINDS and (until - since) >= dt.timedelta(days=WEEKLY_MIN_DAYS):
        return WEEK_BUCKETS
    return DAY_BUCKETS


def refresh_baselines(sensors=None, *, days: int = HISTORY_DAYS,
                      now: dt.datetime | None = None) -> int:
    """Recompute the baselines of ``sensors`` (a queryset; default every active sensor) from
    their readings of the last ``days`` days; sensors with no reading lose theirs. Returns how
    many were written. Sensor by sensor, each write in its own short transaction."""
    now = now or timezone.now()
    start = now - dt.timedelta(days=days)
    sensors = Sensor.objects.filter(active=True) if sensors is None else sensors
    written = 0
    for sensor in sensors.only("pk", "kind", "community_id").order_by("pk").iterator(
            chunk_size=500):
        rows = list(Observation.objects.filter(sensor_id=sensor.pk, time__gte=start,
                                               time__lt=now).order_by("time")
                    .values_list("time", "value"))
        with transaction.atomic():
            if not rows:
                Baseline.objects.filter(sensor_id=sensor.pk).delete()
                continue
            times, values = [r[0] for r in rows], [r[1] for r in rows]
            data = compute(times, values, buckets_for(sensor.kind, times[0], times[-1]))
            fields = {"community_id": sensor.community_id, **data, "since": times[0],
                      "until": times[-1], "readings": len(rows)}
            # Queryset writes: machine data, kept out of the change log like the readings.
            if not Baseline.objects.filter(sensor_id=sensor.pk).update(**fields, updated=now):
                Baseline.objects.bulk_create([Baseline(sensor_id=sensor.pk, **fields)])
            written += 1
    return written
