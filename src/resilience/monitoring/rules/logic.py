"""The rules' logic, pure: the threshold and rate state machines, and what the engine keeps in
memory (rules, sensors, recent readings) with the small helpers it shares."""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from resilience.monitoring.vocab import KIND_UNIT

CHUNK = 1000                  # ids per IN (…) list


# --- the state machines (pure) ------------------------------------------------------------------

def breaches(params: Mapping, value: float) -> bool:
    """The reading is beyond the threshold's ``value``."""
    return value > params["value"] if params["op"] == "above" else value < params["value"]


def clears(params: Mapping, value: float) -> bool:
    """The reading is past the threshold's ``clear`` value, back on the safe side."""
    return value < params["clear"] if params["op"] == "above" else value > params["clear"]


def threshold_step(params: Mapping, is_open: bool, pending: datetime | None, t: datetime,
                   value: float) -> tuple[str, datetime | None]:
    """One reading through the hysteresis state machine.

    Returns ``(event, pending)``: event "raise", "clear", "hold" (open and stays open) or ""
    (closed and stays closed); ``pending`` is when the current breach began, while it has not
    yet lasted ``for_seconds``.
    """
    if is_open:
        return ("clear" if clears(params, value) else "hold"), None
    if not breaches(params, value):
        return "", None
    pending = pending or t
    if (t - pending).total_seconds() >= params.get("for_seconds", 0):
        return "raise", None
    return "", pending


def rate_change(params: Mapping, window: Sequence[tuple[datetime, float]], t: datetime,
                value: float) -> float | None:
    """How far ``value`` at ``t`` is from the readings of the last ``seconds`` (a sorted list of
    (time, value)): above the lowest for a rise rule, below the highest for a fall rule."""
    lo = bisect.bisect_left(window, (t - timedelta(seconds=params["seconds"]),))
    hi = bisect.bisect_left(window, (t,), lo)
    if lo >= hi:
        return None
    values = [v for _t, v in window[lo:hi]]
    return value - (min(values) if params["delta"] > 0 else max(values))


def rate_exceeded(params: Mapping, change: float | None) -> bool:
    if change is None:
        return False
    return change >= params["delta"] if params["delta"] > 0 else change <= params["delta"]


# --- what the engine keeps in memory ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CachedRule:
    id: int
    name: str
    community_id: int | None
    sensor_id: int | None
    sensor_kind: str
    facility_kind: str
    kind: str
    params: dict
    level: int


@dataclass(frozen=True, slots=True)
class SensorInfo:
    id: int
    code: str
    name: str
    community_id: int
    kind: str
    interval_seconds: int
    facility_id: int | None
    facility_kind: str
    facility_name: str
    building_id: int | None
    building_name: str
    active: bool

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def unit(self) -> str:
        return KIND_UNIT.get(self.kind, ("", None, None))[0]

    @property
    def group(self) -> tuple[str, int]:
        """Sensors with the same group key are examined together by combination rules."""
        if self.facility_id:
            return ("facility", self.facility_id)
        if self.building_id:
            return ("building", self.building_id)
        return ("sensor", self.id)

    @property
    def place(self) -> str:
        return self.facility_name or self.building_name or self.label


SENSOR_FIELDS = ("pk", "code", "name", "community_id", "kind", "interval_seconds", "facility_id",
                 "facility__kind", "facility__name", "building_id", "building__name", "active")


def _info(row) -> SensorInfo:
    (pk, code, name, community_id, kind, interval, facility_id, facility_kind, facility_name,
     building_id, building_name, active) = row
    return SensorInfo(pk, code, name, community_id, kind, max(int(interval or 1), 1), facility_id,
                      facility_kind or "", facility_name or "", building_id, building_name or "",
                      active)


@dataclass(slots=True)
class Memory:
    """A sensor's recent readings (sorted) and the start of each threshold's pending breach."""

    latest: datetime | None = None
    window: list = field(default_factory=list)
    pending: dict = field(default_factory=dict)


@dataclass
class _Outcome:
    changed: list = field(default_factory=list)   # alarms raised, escalated or cleared
    touched: dict = field(default_factory=dict)   # pk → open alarm whose value/last seen moved


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
