"""Retention: old readings down-sampled to one per sensor per hour.

``prune_observations(days)`` takes every sensor's readings older than ``days`` days (counted back
from now and rounded down to a whole hour, UTC) and replaces each hour's readings by **one
reading at the start of the hour** holding the hour's **mean** (``how="max"`` or ``"min"`` keeps
the peak or the trough instead — a fire-safety record may prefer the maximum). With
``keep="none"`` old readings are deleted outright.

It works sensor by sensor, ``batch_hours`` at a time, each batch in its own transaction (delete
the batch's readings, insert its hourly values), using only the (sensor, time) index, on SQLite
and PostgreSQL alike. An hour already down-sampled (one reading at its start) is left as it is,
so the job can be stopped and run again at any time; alarms keep their own values and are not
touched.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Avg, Count, Max, Min
from django.db.models.functions import TruncHour
from django.utils import timezone

from resilience.monitoring.models import Observation, Sensor

AGGREGATES = {"mean": Avg, "max": Max, "min": Min}
KEEP = ("hourly", "none")


@dataclass
class PruneResult:
    sensors: int = 0   # sensors whose old readings changed
    deleted: int = 0   # readings removed
    kept: int = 0      # hourly readings written in their place

    def add(self, other: PruneResult) -> None:
        self.deleted += other.deleted
        self.kept += other.kept


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def cutoff_for(days: float, now: datetime | None = None) -> datetime:
    """Readings before this time are old: ``days`` ago, rounded down to the hour (UTC)."""
    return _hour((now or timezone.now()) - timedelta(days=days))


def _delete(sensor_id: int, start: datetime, end: datetime) -> int:
    # Raw SQL on purpose: Observation.objects.filter(...).delete() would load every row, since the
    # change log listens to post_delete of all models; readings are not change-logged.
    table = connection.ops.quote_name(Observation._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE sensor_id = %s AND time >= %s AND time < %s",  # nosec B608 # table from _meta
                       [sensor_id, adapt(start), adapt(end)])
        return cursor.rowcount


def _prune_batch(sensor_id: int, start: datetime, end: datetime, keep: str,
                 how: str) -> PruneResult:
    if keep == "none":
        with transaction.atomic():
            return PruneResult(deleted=_delete(sensor_id, start, end))
    hours = list(
        Observation.objects.filter(sensor_id=sensor_id, time__gte=start, time__lt=end)
        .annotate(hour=TruncHour("time", tzinfo=UTC)).values("hour")
        .annotate(n=Count("id"), first=Min("time"), value=AGGREGATES[how]("value"))
        .order_by("hour"))
    if all(h["n"] == 1 and h["first"] == h["hour"] for h in hours):
        return PruneResult()
    with transaction.atomic():
        deleted = _delete(sensor_id, start, end)
        Observation.objects.bulk_create(
            [Observation(sensor_id=sensor_id, time=h["hour"], value=h["value"]) for h in hours],
            batch_size=1000)
    return PruneResult(deleted=deleted, kept=len(hours))


def prune_observations(days: float, *, keep: str = "hourly", how: str = "mean",
                       now: datetime | None = None, batch_hours: int = 24,
                       progress: Callable[[Sensor | int, PruneResult], None] | None = None
                       ) -> PruneResult:
    """Down-sample (or with ``keep="none"`` delete) readings older than ``days`` days.

    ``progress(sensor_id, result_of_that_sensor)`` is called after each sensor. Returns the
    totals; ``deleted - kept`` rows were freed.
    """
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {KEEP}")
    if how not in AGGREGATES:
        raise ValueError(f"how must be one of {tuple(AGGREGATES)}")
    if days < 0 or batch_hours < 1:
        raise ValueError("days must be 0 or more and batch_hours at least 1")
    cutoff = cutoff_for(days, now)
    step = timedelta(hours=batch_hours)
    total = PruneResult()
    for sensor_id in Sensor.objects.order_by("pk").values_list("pk", flat=True):
        oldest = (Observation.objects.filter(sensor_id=sensor_id, time__lt=cutoff)
                  .aggregate(oldest=Min("time"))["oldest"])
        done = PruneResult()
        if oldest is not None:
            start = _hour(oldest)
            while start < cutoff:
                end = min(start + step, cutoff)
                done.add(_prune_batch(sensor_id, start, end, keep, how))
                start = end
        if done.deleted:
            total.sensors += 1
            total.add(done)
        if progress is not None:
            progress(sensor_id, done)
    return total
