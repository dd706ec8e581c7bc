"""The sensor directory: what ingestion needs to know of each sensor, by code, cached in the
process (``directory``, the one instance), and the receivers that keep it fresh."""
from __future__ import annotations

import math
import re
import threading
import time as _time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from resilience.monitoring.models import Sensor
from resilience.monitoring.vocab import KIND_UNIT

CODE = re.compile(r"[-a-zA-Z0-9_]{1,64}")  # sensor and community codes are slugs


# --- the sensor directory -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SensorEntry:
    """What validation needs to know about a sensor, kept in memory."""

    id: int
    code: str
    community_id: int
    community_code: str
    kind: str
    low: float  # the kind's plausible range (KIND_UNIT)
    high: float
    active: bool


class SensorDirectory:
    """Sensor code → ``SensorEntry``, cached in the process.

    A code not in the cache is looked up at once (new sensors appear); sensors changed elsewhere
    are picked up every ``REFRESH_SECONDS`` by their ``updated`` time, and everything is reloaded
    every ``RELOAD_SECONDS`` (which also catches bulk updates that leave ``updated`` alone) or when
    a stored reading names a sensor that no longer exists. A sensor saved or deleted in this
    process is forgotten at once.
    """

    REFRESH_SECONDS = 30.0
    RELOAD_SECONDS = 900.0
    UNKNOWN_SECONDS = 5.0  # how long an unknown code is remembered as unknown

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._by_code: dict[str, SensorEntry] = {}
            self._unknown: dict[str, float] = {}
            self._communities: dict[str, int] = {}
            self._loaded_at = -math.inf
            self._refreshed_at = -math.inf
            self._refreshed_wall: datetime | None = None

    @staticmethod
    def _entries(queryset) -> Iterable[SensorEntry]:
        for pk, code, community_id, community_code, kind, active in queryset.values_list(
                "pk", "code", "community_id", "community__code", "kind", "active"):
            _unit, low, high = KIND_UNIT.get(kind, ("", -math.inf, math.inf))
            yield SensorEntry(pk, code, community_id, community_code, kind, low, high, active)

    def _load(self, now: float) -> None:
        from resilience.places.models import Community

        wall = timezone.now()
        by_code = {e.code: e for e in self._entries(Sensor.objects.all())}
        communities = dict(Community.objects.values_list("code", "pk"))
        with self._lock:
            self._by_code, self._communities, self._unknown = by_code, communities, {}
            self._loaded_at = self._refreshed_at = now
            self._refreshed_wall = wall

    def _refresh(self, now: float) -> None:
        wall = timezone.now()
        since = self._refreshed_wall - timedelta(minutes=2)  # room for clock skew between hosts
        changed = list(self._entries(Sensor.objects.filter(updated__gte=since)))
        with self._lock:
            for entry in changed:
                self._by_code[entry.code] = entry
                self._unknown.pop(entry.code, None)
            self._refreshed_at, self._refreshed_wall = now, wall

    def lookup(self, codes: Iterable[str]) -> dict[str, SensorEntry]:
        """The entries of ``codes`` that exist; unknown codes are simply absent."""
        now = _time.monotonic()
        if now - self._loaded_at > self.RELOAD_SECONDS:
            self._load(now)
        elif now - self._refreshed_at > self.REFRESH_SECONDS:
            self._refresh(now)
        by_code = self._by_code
        found: dict[str, SensorEntry] = {}
        missing: list[str] = []
        for code in codes:
            entry = by_code.get(code)
            if entry is not None:
                found[code] = entry
            elif now - self._unknown.get(code, -math.inf) > self.UNKNOWN_SECONDS:
                missing.append(code)
        if missing:
            fresh = {e.code: e for e in self._entries(Sensor.objects.filter(code__in=missing))}
            with self._lock:
                self._by_code.update(fresh)
                for code in missing:
                    if code in fresh:
                        self._unknown.pop(code, None)
                    else:
                        self._unknown[code] = now
            found.update(fresh)
        return found

    def forget(self, sensor_id: int, code: str = "") -> None:
        """Drop a sensor (under any code it had) and whatever holds its code: its next reading
        looks it up afresh."""
        with self._lock:
            for stale in [c for c, e in self._by_code.items() if e.id == sensor_id or c == code]:
                del self._by_code[stale]
            self._unknown.clear()

    def community_id(self, code: str) -> int | None:
        """The id of the community with this code (for dead letters of unknown sensors)."""
        if not CODE.fullmatch(code):
            return None
        if code not in self._communities:
            from resilience.places.models import Community

            pk = Community.objects.filter(code=code).values_list("pk", flat=True).first()
            if pk is None:
                return None
            with self._lock:
                self._communities[code] = pk
        return self._communities[code]


directory = SensorDirectory()


def _forget_sensor(sender, instance, **kwargs) -> None:
    directory.forget(instance.pk, instance.code)


post_save.connect(_forget_sensor, sender=Sensor, dispatch_uid="ingest-forget-sensor-save")
post_delete.connect(_forget_sensor, sender=Sensor, dispatch_uid="ingest-forget-sensor-delete")
