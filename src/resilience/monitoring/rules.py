"""Rules: when a sensor's readings mean trouble, and the engine that turns readings into alarms.

Rule types and their ``params``:

``threshold`` ``{"op": "above"|"below", "value": x, "clear": y, "for_seconds": s?}``
    Raised by a reading beyond ``value`` (strictly above / below it), cleared only by a reading
    strictly past ``clear`` on the other side (for "above", ``clear < value``; for "below",
    ``clear > value``). Readings inside the band between the two change nothing, so a noisy
    value near the limit does not flap. With ``for_seconds`` the breach must last: every reading
    from the first one beyond ``value`` to one at least ``for_seconds`` later must be beyond it.
``rate`` ``{"delta": d, "seconds": s}``
    Raised when a reading differs from a reading of the last ``s`` seconds by at least ``d``:
    a rise to the lowest of them if ``d > 0``, a fall from the highest if ``d < 0``. Cleared by
    the first reading for which that no longer holds (or with no earlier reading in the window).
``stale`` ``{"intervals": n}``
    Raised by ``check_stale`` when a sensor has sent nothing for ``n × interval_seconds`` (counted
    from its creation if it never reported); cleared by its next reading. ``check_stale`` also
    keeps the sensor's status: ``stale`` after ``n`` silent intervals, ``offline`` after ``3n``
    (``n`` is the smallest of the sensor's stale rules, 3 if it has none), ``online`` again when
    readings come back. A sensor marked ``fault`` keeps that status until staff change it.
``combination`` ``{"all": [rule id, …]}`` or ``{"any": [...]}``
    Open while alarms of all (any) of the named rules are open together in the sensor's
    **group**: the sensors on the same facility; for a sensor on no facility, those of the same
    building on no facility; for a sensor on neither, the sensor alone. The combination's alarm
    sits on each sensor it applies to (e.g. the smoke detector of the power room), is
    re-examined whenever an alarm of a named rule opens or clears, and cannot name another
    combination.

Which rules watch a sensor: for each rule type, the most specific rules that match it — its own
rules, else its community's rules for its type, else the platform's (community empty); a rule
with ``facility_kind`` matches only sensors on such a facility, a stale rule with no sensor type
matches every sensor. So a community replaces, say, the platform thresholds of its temperature
sensors by giving them thresholds of its own; it needs to restate every level it wants.

The engine (``evaluate``, ``check_stale``) keeps the active rules in memory — by sensor, by
(community, sensor type) and platform-wide — reloaded within ``REFRESH_SECONDS`` when any rule
changes (a save in this process reloads at once), and what it knows of each sensor for
``SENSOR_SECONDS``. The rate and ``for_seconds`` rules need a sensor's recent readings: kept in
memory, and read back from the observations when memory has a gap (after a restart, or when
another ingester took the sensor's previous readings).
"""
from __future__ import annotations

import bisect
import json
import logging
import math
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Max, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from resilience.monitoring import alarms as services
from resilience.monitoring.models import Alarm, Observation, Rule, Sensor
from resilience.monitoring.vocab import KIND_UNIT, AlarmLevel, RuleKind, SensorKind, SensorStatus

THRESHOLD, RATE, STALE, COMBINATION = (RuleKind.THRESHOLD.value, RuleKind.RATE.value,
                                       RuleKind.STALE.value, RuleKind.COMBINATION.value)
OPEN = Alarm.Status.OPEN
MAX_SECONDS = 86_400          # longest rate window or for_seconds: bounds what memory keeps
DEFAULT_STALE_INTERVALS = 3   # for the status of a sensor no stale rule watches
CHUNK = 1000                  # ids per IN (…) list

logger = logging.getLogger(__name__)
_ALARM_TABLE = Alarm._meta.db_table
OPEN_IDS_SQL = {
    "postgresql": f"SELECT id FROM {_ALARM_TABLE} WHERE status = 'open' AND sensor_id = ANY(%s)",
    "sqlite": f"SELECT id FROM {_ALARM_TABLE} WHERE status = 'open' "
              f"AND sensor_id IN (SELECT value FROM json_each(%s))",
}

PARAM_KEYS = {THRESHOLD: {"op", "value", "clear", "for_seconds"}, RATE: {"delta", "seconds"},
              STALE: {"intervals"}, COMBINATION: {"all", "any"}}


# --- parameters ---------------------------------------------------------------------------------

def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_params(kind, params) -> None:
    """Raise ``ValidationError({"params": [reasons]})`` if ``params`` do not suit rule ``kind``."""
    if kind not in PARAM_KEYS:
        raise ValidationError({"params": [_("Unknown rule type: %(kind)s.") % {"kind": kind}]})
    if not isinstance(params, dict):
        raise ValidationError({"params": [_("Parameters must be a JSON object.")]})
    reasons = []
    unknown = sorted(set(params) - PARAM_KEYS[kind])
    if unknown:
        reasons.append(_("Unexpected parameters for this rule type: %(keys)s.")
                       % {"keys": ", ".join(map(str, unknown))})
    reasons += {THRESHOLD: _threshold_reasons, RATE: _rate_reasons, STALE: _stale_reasons,
                COMBINATION: _combination_reasons}[kind](params)
    if reasons:
        raise ValidationError({"params": reasons})


def _threshold_reasons(p: dict) -> list[str]:
    reasons = []
    if p.get("op") not in ("above", "below"):
        reasons.append(_('"op" must be "above" or "below".'))
    if not _number(p.get("value")):
        reasons.append(_('"value" must be a number: the limit that raises the alarm.'))
    if not _number(p.get("clear")):
        reasons.append(_('"clear" must be a number: the value past which the alarm clears.'))
    if not reasons:
        if p["op"] == "above" and not p["clear"] < p["value"]:
            reasons.append(_('For "above", "clear" must be lower than "value", so that a noisy '
                             'value near the limit does not raise and clear the alarm again and '
                             'again.'))
        if p["op"] == "below" and not p["clear"] > p["value"]:
            reasons.append(_('For "below", "clear" must be higher than "value", so that a noisy '
                             'value near the limit does not raise and clear the alarm again and '
                             'again.'))
    if "for_seconds" in p and not (_number(p["for_seconds"]) and 0 <= p["for_seconds"] <= MAX_SECONDS):
        reasons.append(_('"for_seconds" must be a number of seconds from 0 to %(max)s.')
                       % {"max": MAX_SECONDS})
    return reasons


def _rate_reasons(p: dict) -> list[str]:
    reasons = []
    if not _number(p.get("delta")) or p["delta"] == 0:
        reasons.append(_('"delta" must be a number other than 0: positive for a rise, negative '
                         'for a fall.'))
    if not (_number(p.get("seconds")) and 0 < p["seconds"] <= MAX_SECONDS):
        reasons.append(_('"seconds" must be a number of seconds above 0 and at most %(max)s.')
                       % {"max": MAX_SECONDS})
    return reasons


def _stale_reasons(p: dict) -> list[str]:
    if not (_number(p.get("intervals")) and 1 <= p["intervals"] <= 1000):
        return [_('"intervals" must be a number from 1 to 1000: how many expected reporting '
                  'intervals may pass without a reading.')]
    return []


def _combination_reasons(p: dict) -> list[str]:
    keys = [k for k in ("all", "any") if k in p]
    if len(keys) != 1:
        return [_('Give either "all" or "any": a list of rule ids.')]
    ids = p[keys[0]]
    if (not isinstance(ids, list) or len(ids) < 2 or len(set(map(repr, ids))) != len(ids)
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)):
        return [_('"%(key)s" must list at least two different rule ids.') % {"key": keys[0]}]
    return []


def combined_ids(params: Mapping) -> list[int]:
    """The rule ids a combination names."""
    return list(params.get("all") or params.get("any") or [])


def validate_combination(rule: Rule) -> None:
    """The rules a combination names exist, are no combinations and are the community's own or
    the platform's."""
    ids = combined_ids(rule.params)
    found = {r.pk: r for r in Rule.objects.filter(pk__in=ids)}
    foreign = [i for i in ids if i not in found
               or found[i].community_id not in (None, rule.community_id)]
    reasons = []
    if foreign:
        reasons.append(_("Not a rule of this community nor a platform rule: %(ids)s.")
                       % {"ids": ", ".join(map(str, foreign))})
    if rule.pk is not None and rule.pk in ids:
        reasons.append(_("A combination cannot name itself."))
    nested = [i for i in ids if i in found and found[i].kind == COMBINATION and i != rule.pk]
    if nested:
        reasons.append(_("A combination cannot name another combination: %(ids)s.")
                       % {"ids": ", ".join(map(str, nested))})
    if reasons:
        raise ValidationError({"params": reasons})


# --- platform defaults --------------------------------------------------------------------------

def default_rules() -> list[dict]:
    """The platform rules every install starts with (created by migration
    ``monitoring/0003_default_rules``, community empty). A combination names other defaults by
    their ``key``; the migration turns keys into ids. Names are English (marked for translation)."""
    def threshold(op, value, clear):
        return {"op": op, "value": value, "clear": clear}

    return [
        {"key": "power_room_hot", "name": gettext_noop("Power room hot"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.TEMPERATURE, "facility_kind": "power_room",
         "params": threshold("above", 45, 40), "level": AlarmLevel.III},
        {"key": "power_room_overheating", "name": gettext_noop("Power room overheating"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.TEMPERATURE, "facility_kind": "power_room",
         "params": threshold("above", 60, 55), "level": AlarmLevel.II},
        {"key": "smoke", "name": gettext_noop("Smoke detected"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.SMOKE, "facility_kind": "",
         "params": threshold("above", 10, 5), "level": AlarmLevel.I},
        {"key": "garage_water", "name": gettext_noop("Water in the underground garage"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.WATER_LEVEL,
         "facility_kind": "underground_garage", "params": threshold("above", 10, 5),
         "level": AlarmLevel.III},
        {"key": "garage_flooding", "name": gettext_noop("Underground garage flooding"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.WATER_LEVEL,
         "facility_kind": "underground_garage", "params": threshold("above", 30, 20),
         "level": AlarmLevel.II},
        {"key": "gas_leak", "name": gettext_noop("Combustible gas leak"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.GAS, "facility_kind": "",
         "params": threshold("above", 10, 5), "level": AlarmLevel.II},
        {"key": "gas_danger", "name": gettext_noop("Combustible gas near the explosive limit"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.GAS, "facility_kind": "",
         "params": threshold("above", 25, 20), "level": AlarmLevel.I},
        {"key": "ebike_overload", "name": gettext_noop("E-bike charging overload"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.CURRENT, "facility_kind": "ebike_charging",
         "params": threshold("above", 16, 14), "level": AlarmLevel.III},
        {"key": "temperature_rising", "name": gettext_noop("Temperature rising fast"),
         "kind": RATE, "sensor_kind": SensorKind.TEMPERATURE, "facility_kind": "",
         "params": {"delta": 10, "seconds": 300}, "level": AlarmLevel.II},
        {"key": "sensor_silent", "name": gettext_noop("Sensor silent"),
         "kind": STALE, "sensor_kind": "", "facility_kind": "",
         "params": {"intervals": 3}, "level": AlarmLevel.IV},
        {"key": "smoke_and_heat", "name": gettext_noop("Smoke with rising temperature"),
         "kind": COMBINATION, "sensor_kind": SensorKind.SMOKE, "facility_kind": "",
         "params": {"all": ["smoke", "temperature_rising"]}, "level": AlarmLevel.I},
    ]


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


_rules_version = 0                   # bumped when a rule is saved or deleted in this process
_engines: weakref.WeakSet = weakref.WeakSet()


class RuleEngine:
    """Readings in, alarms out. One per process (``engine``); thread-safe (one call at a time)."""

    REFRESH_SECONDS = 5.0
    SENSOR_SECONDS = 60.0

    def __init__(self, clock=time.monotonic) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self.reset()
        _engines.add(self)

    def reset(self) -> None:
        """Forget everything cached (rules, sensors, recent readings)."""
        with self._lock:
            self._rules: dict[int, CachedRule] = {}
            self._by_sensor: dict[int, list[CachedRule]] = defaultdict(list)
            self._by_community: dict[tuple[int, str], list[CachedRule]] = defaultdict(list)
            self._platform: dict[str, list[CachedRule]] = defaultdict(list)
            self._combination_refs: set[int] = set()
            self._fingerprint = None
            self._version = -1
            self._checked = -math.inf
            self._sensors: dict[int, SensorInfo] = {}
            self._sensors_loaded = self._clock()
            self._applicable: dict[int, dict[str, tuple[CachedRule, ...]]] = {}
            self._horizons: dict[int, float] = {}
            self._memory: dict[int, Memory] = {}

    def forget_sensor(self, sensor_id: int) -> None:
        with self._lock:
            self._sensors.pop(sensor_id, None)
            self._applicable.pop(sensor_id, None)
            self._horizons.pop(sensor_id, None)
            self._memory.pop(sensor_id, None)

    # -- caches --

    def _refresh_rules(self) -> None:
        now = self._clock()
        if self._version == _rules_version and now - self._checked < self.REFRESH_SECONDS:
            return
        self._checked = now
        version = _rules_version
        fingerprint = tuple(Rule.objects.aggregate(n=Count("id"), last=Max("updated")).values())
        if version == self._version and fingerprint == self._fingerprint:
            return
        loaded: dict[int, CachedRule] = {}
        by_sensor, by_community, platform = defaultdict(list), defaultdict(list), defaultdict(list)
        combination_refs: set[int] = set()
        for row in Rule.objects.filter(active=True).order_by("pk").values_list(
                "pk", "name", "community_id", "sensor_id", "sensor_kind", "facility_kind", "kind",
                "params", "level"):
            rule = CachedRule(*row)
            try:
                validate_params(rule.kind, rule.params)
            except ValidationError as exc:  # written around the model's validation
                logger.warning("rule %s (%s) ignored: bad params %r: %s", rule.id, rule.name,
                               rule.params, "; ".join(exc.messages))
                continue
            loaded[rule.id] = rule
            if rule.sensor_id:
                by_sensor[rule.sensor_id].append(rule)
            elif rule.community_id:
                by_community[(rule.community_id, rule.sensor_kind)].append(rule)
            else:
                platform[rule.sensor_kind].append(rule)
            if rule.kind == COMBINATION:
                combination_refs.update(combined_ids(rule.params))
        # Swapped in only once loaded: a database error above leaves the old rules in place.
        self._rules, self._by_sensor, self._by_community = loaded, by_sensor, by_community
        self._platform, self._combination_refs = platform, combination_refs
        self._version, self._fingerprint = version, fingerprint
        self._applicable.clear()
        self._horizons.clear()

    def _sensor_infos(self, ids: Iterable[int]) -> dict[int, SensorInfo]:
        if self._clock() - self._sensors_loaded > self.SENSOR_SECONDS:
            self._sensors.clear()
            self._applicable.clear()
            self._horizons.clear()
            self._sensors_loaded = self._clock()
        missing = [i for i in ids if i not in self._sensors]
        for chunk in _chunks(missing):
            for row in Sensor.objects.filter(pk__in=chunk).values_list(*SENSOR_FIELDS):
                self._sensors[row[0]] = _info(row)
        return self._sensors

    def rules_for(self, info: SensorInfo) -> dict[str, tuple[CachedRule, ...]]:
        """The rules that watch this sensor, by rule type (see the module's docstring)."""
        found = self._applicable.get(info.id)
        if found is not None:
            return found
        levels = (
            self._by_sensor.get(info.id, ()),
            (*self._by_community.get((info.community_id, info.kind), ()),
             *self._by_community.get((info.community_id, ""), ())),
            (*self._platform.get(info.kind, ()), *self._platform.get("", ())),
        )
        found = {}
        for kind in PARAM_KEYS:
            for candidates in levels:
                matching = tuple(r for r in candidates if r.kind == kind and (
                    not r.facility_kind or r.facility_kind == info.facility_kind))
                if matching:
                    found[kind] = matching
                    break
        self._applicable[info.id] = found
        self._horizons[info.id] = self._horizon(info, found)
        return found

    @staticmethod
    def _horizon(info: SensorInfo, rules: Mapping[str, tuple[CachedRule, ...]]) -> float:
        """Seconds of recent readings this sensor's rules need (0: none)."""
        seconds = [r.params["seconds"] for r in rules.get(RATE, ())]
        seconds += [r.params.get("for_seconds", 0) for r in rules.get(THRESHOLD, ())]
        longest = max(seconds, default=0)
        return longest + info.interval_seconds if longest else 0

    @staticmethod
    def _open_alarms(sensor_ids: Sequence[int], rule_ids: Iterable[int] | None = None) -> dict:
        """The open alarms of these sensors by (sensor, rule)."""
        if rule_ids is None and connection.vendor in OPEN_IDS_SQL:
            # The batch's sensors go as one array parameter: an IN list of thousands of
            # parameters costs more to build than the rules cost to run.
            ids = sorted(sensor_ids)
            with connection.cursor() as cursor:
                cursor.execute(OPEN_IDS_SQL[connection.vendor],
                               [ids if connection.vendor == "postgresql" else json.dumps(ids)])
                pks = [row[0] for row in cursor.fetchall()]
            alarms = Alarm.objects.filter(pk__in=pks, status=OPEN) if pks else []
        else:
            alarms = []
            for chunk in _chunks(sorted(sensor_ids)):
                queryset = Alarm.objects.filter(status=OPEN, sensor_id__in=chunk)
                if rule_ids is not None:
                    queryset = queryset.filter(rule_id__in=list(rule_ids))
                alarms += list(queryset)
        return {(alarm.sensor_id, alarm.rule_id): alarm for alarm in alarms}

    def _load_history(self, work: list) -> None:
        """Read back recent readings of sensors whose memory has a gap (one query per chunk)."""
        need = []
        for info, rules, readings in work:
            horizon = self._horizons[info.id]
            if not horizon:
                continue
            memory, first = self._memory.get(info.id), readings[0][0]
            if memory is not None and memory.latest is not None and \
                    (first - memory.latest).total_seconds() <= 1.5 * info.interval_seconds + 5:
                continue
            need.append((info, rules, first - timedelta(seconds=horizon), first))
        for chunk in _chunks(need):
            start, end = min(n[2] for n in chunk), max(n[3] for n in chunk)
            history = defaultdict(list)
            for sensor_id, t, v in (Observation.objects.filter(
                    sensor_id__in=[n[0].id for n in chunk], time__gte=start, time__lt=end)
                    .order_by("sensor_id", "time").values_list("sensor_id", "time", "value")):
                history[sensor_id].append((t, v))
            for info, rules, since, first in chunk:
                readings = [(t, v) for t, v in history.get(info.id, ()) if since <= t < first]
                memory = self._memory[info.id] = Memory(window=readings)
                memory.latest = readings[-1][0] if readings else None
                for rule in rules.get(THRESHOLD, ()):
                    if rule.params.get("for_seconds"):
                        pending = None
                        for t, v in readings:
                            pending = (pending or t) if breaches(rule.params, v) else None
                        memory.pending[rule.id] = pending

    # -- alarms --

    def _raise(self, info: SensorInfo, rule: CachedRule, at: datetime, value: float | None,
               message: str, out: _Outcome) -> Alarm:
        alarm, created = services.open_alarm(
            community_id=info.community_id, sensor_id=info.id, rule_id=rule.id, level=rule.level,
            message=message, value=value, at=at)
        if created:
            out.changed.append(alarm)
        return alarm

    @staticmethod
    def _hold(alarm: Alarm, rule: CachedRule, at: datetime, value: float | None,
              out: _Outcome) -> None:
        if rule.level < alarm.level and services.escalate(alarm, rule.level):
            out.changed.append(alarm)
        out.touched[alarm.pk] = services.touch(alarm, at, value)

    @staticmethod
    def _clear(alarm: Alarm, at: datetime, value: float | None, out: _Outcome) -> None:
        out.touched.pop(alarm.pk, None)
        if services.clear_alarm(alarm, at, value):
            out.changed.append(alarm)

    # -- evaluation --

    def evaluate(self, readings_by_sensor: Mapping[int, Sequence[tuple[datetime, float]]],
                 now: datetime | None = None) -> list[Alarm]:
        """See the module-level ``evaluate``."""
        now = now or timezone.now()
        with self._lock:
            self._refresh_rules()
            if not self._rules:
                return []
            infos = self._sensor_infos(readings_by_sensor)
            work = []
            for sensor_id in sorted(readings_by_sensor):  # a fixed order: no lock cycles
                info, readings = infos.get(sensor_id), readings_by_sensor[sensor_id]
                if info is None or not info.active or not readings:
                    continue
                rules = self.rules_for(info)
                if rules:
                    work.append((info, rules, sorted(readings)))
            if not work:
                return []
            opened = self._open_alarms([info.id for info, _r, _s in work])
            self._load_history(work)
            out = _Outcome()
            for info, rules, readings in work:
                self._run(info, rules, readings, opened, out)
            services.refresh_alarms(out.touched.values())
            out.changed += self._combine(out.changed, now)
            return out.changed

    def _run(self, info: SensorInfo, rules, readings, opened: dict, out: _Outcome) -> None:
        memory = self._memory.get(info.id) if self._horizons[info.id] else None
        for rule in rules.get(THRESHOLD, ()):
            alarm = opened.get((info.id, rule.id))
            pending = memory.pending.get(rule.id) if memory is not None else None
            for t, v in readings:
                if alarm is not None and t < alarm.last_seen_at:
                    continue  # a late reading says nothing about an alarm seen since
                event, pending = threshold_step(rule.params, alarm is not None, pending, t, v)
                if event == "raise":
                    alarm = self._raise(info, rule, t, v, self._threshold_message(info, rule, v), out)
                elif event == "clear":
                    self._clear(alarm, t, v, out)
                    alarm = None
                elif event == "hold":
                    self._hold(alarm, rule, t, v, out)
            if memory is not None:
                memory.pending[rule.id] = pending
        if memory is not None:
            self._run_rates(info, rules.get(RATE, ()), readings, memory, opened, out)
        for rule in rules.get(STALE, ()):
            alarm = opened.get((info.id, rule.id))
            if alarm is not None:
                self._clear(alarm, readings[-1][0], None, out)

    def _run_rates(self, info, rules, readings, memory: Memory, opened: dict,
                   out: _Outcome) -> None:
        state = {rule.id: opened.get((info.id, rule.id)) for rule in rules}
        window = memory.window
        for t, v in readings:
            for rule in rules:
                alarm = state[rule.id]
                if alarm is not None and t < alarm.last_seen_at:
                    continue
                change = rate_change(rule.params, window, t, v)
                hit = rate_exceeded(rule.params, change)
                if hit and alarm is None:
                    state[rule.id] = self._raise(
                        info, rule, t, v, self._rate_message(info, rule, change, v), out)
                elif hit:
                    self._hold(alarm, rule, t, v, out)
                elif alarm is not None:
                    self._clear(alarm, t, v, out)
                    state[rule.id] = None
            at = bisect.bisect_left(window, (t,))
            if at == len(window) or window[at][0] != t:  # a retried batch brings readings again
                window.insert(at, (t, v))
        memory.latest = max(memory.latest or window[-1][0], window[-1][0])
        keep_from = memory.latest - timedelta(seconds=self._horizon(info, {RATE: rules}) or 0)
        del window[:bisect.bisect_left(window, (keep_from,))]

    def _combine(self, changed: list[Alarm], now: datetime) -> list[Alarm]:
        """Open or clear combination alarms in the groups where a named rule's alarm changed."""
        roots = [a for a in changed if a.rule_id in self._combination_refs]
        if not roots:
            return []
        infos = self._sensor_infos({a.sensor_id for a in roots})
        groups = {infos[a.sensor_id].group for a in roots if a.sensor_id in infos}
        by_type = defaultdict(list)
        for kind, pk in groups:
            by_type[kind].append(pk)
        members = list(Sensor.objects.filter(
            Q(pk__in=by_type["sensor"]) | Q(facility_id__in=by_type["facility"])
            | Q(facility__isnull=True, building_id__in=by_type["building"])
        ).values_list("pk", flat=True))
        infos = self._sensor_infos(members)
        combos = {sid: self.rules_for(infos[sid]).get(COMBINATION, ()) for sid in members
                  if sid in infos and infos[sid].active}
        rule_ids = self._combination_refs | {r.id for rules in combos.values() for r in rules}
        opened = self._open_alarms(members, rule_ids)
        open_in_group = defaultdict(set)
        for sensor_id, rule_id in opened:
            if sensor_id in infos:
                open_in_group[infos[sensor_id].group].add(rule_id)
        out = _Outcome()
        for sensor_id in sorted(combos):
            info = infos[sensor_id]
            for rule in combos[sensor_id]:
                names, present = combined_ids(rule.params), open_in_group[info.group]
                hit = (all(i in present for i in names) if "all" in rule.params
                       else any(i in present for i in names))
                alarm = opened.get((sensor_id, rule.id))
                if hit and alarm is None:
                    self._raise(info, rule, now, None, self._combination_message(info, rule), out)
                elif not hit and alarm is not None:
                    self._clear(alarm, now, None, out)
        return out.changed

    # -- silence --

    def check_stale(self, now: datetime | None = None) -> list[Alarm]:
        """See the module-level ``check_stale``."""
        now = now or timezone.now()
        with self._lock:
            self._refresh_rules()
            rows = list(Sensor.objects.values_list(*SENSOR_FIELDS, "status", "last_time",
                                                   "created"))
            opened = {(a.sensor_id, a.rule_id): a
                      for a in Alarm.objects.filter(status=OPEN, rule__kind=STALE)}
            out, statuses = _Outcome(), defaultdict(list)
            for row in rows:
                info, (status, last_time, created) = _info(row[:-3]), row[-3:]
                cached = self._sensors.get(info.id)
                if cached is not None and cached != info:  # moved, retyped… since cached
                    self.forget_sensor(info.id)
                self._sensors[info.id] = info
                if not info.active:
                    continue
                rules = self.rules_for(info).get(STALE, ())
                silent = (now - (last_time or created)).total_seconds()
                n = min((r.params["intervals"] for r in rules), default=DEFAULT_STALE_INTERVALS)
                if status != SensorStatus.FAULT:
                    statuses[self._status(info, n, silent, last_time)].append((info, n))
                for rule in rules:
                    alarm = opened.pop((info.id, rule.id), None)
                    if silent >= rule.params["intervals"] * info.interval_seconds:
                        if alarm is None:
                            message = self._stale_message(info, silent, last_time is None)
                            self._raise(info, rule, now, None, message, out)
                        else:
                            out.touched[alarm.pk] = services.touch(alarm, now, None)
                    elif alarm is not None:
                        self._clear(alarm, last_time or now, None, out)
            for alarm in opened.values():  # the rule no longer watches the sensor
                self._clear(alarm, now, None, out)
            for alarm in Alarm.objects.filter(status=OPEN, rule__active=False):
                self._clear(alarm, now, None, out)
            self._set_statuses(statuses, now)
            services.refresh_alarms(out.touched.values())
            out.changed += self._combine(out.changed, now)
            return out.changed

    @staticmethod
    def _status(info: SensorInfo, n: float, silent: float, last_time) -> str:
        if last_time is None or silent >= 3 * n * info.interval_seconds:
            return SensorStatus.OFFLINE
        if silent >= n * info.interval_seconds:
            return SensorStatus.STALE
        return SensorStatus.ONLINE

    @staticmethod
    def _set_statuses(statuses: Mapping[str, list], now: datetime) -> None:
        """One guarded UPDATE per (status, limit): a reading stored meanwhile wins."""
        for status, entries in statuses.items():
            by_limit = defaultdict(list)
            for info, n in entries:
                factor = 3 * n if status == SensorStatus.OFFLINE else n
                by_limit[factor * info.interval_seconds].append(info.id)
            for seconds, ids in by_limit.items():
                cutoff = now - timedelta(seconds=seconds)
                for chunk in _chunks(ids):
                    queryset = (Sensor.objects.filter(pk__in=chunk)
                                .exclude(status__in=[status, SensorStatus.FAULT]))
                    if status == SensorStatus.ONLINE:
                        queryset = queryset.filter(last_time__gt=cutoff)
                    else:
                        queryset = queryset.filter(Q(last_time__isnull=True) | Q(last_time__lte=cutoff))
                    queryset.update(status=status)

    # -- messages --

    @staticmethod
    def _threshold_message(info: SensorInfo, rule: CachedRule, value: float) -> str:
        p = rule.params
        words = {"sensor": info.label, "value": _fmt(value), "unit": info.unit,
                 "limit": _fmt(p["value"]), "seconds": _fmt(p.get("for_seconds", 0))}
        if p.get("for_seconds"):
            template = (_("%(sensor)s: %(value)s %(unit)s, above %(limit)s %(unit)s for %(seconds)s s")
                        if p["op"] == "above" else
                        _("%(sensor)s: %(value)s %(unit)s, below %(limit)s %(unit)s for %(seconds)s s"))
        else:
            template = (_("%(sensor)s: %(value)s %(unit)s, above %(limit)s %(unit)s")
                        if p["op"] == "above" else
                        _("%(sensor)s: %(value)s %(unit)s, below %(limit)s %(unit)s"))
        return template % words

    @staticmethod
    def _rate_message(info: SensorInfo, rule: CachedRule, change: float, value: float) -> str:
        words = {"sensor": info.label, "change": _fmt(abs(change)), "unit": info.unit,
                 "seconds": _fmt(rule.params["seconds"]), "value": _fmt(value)}
        if rule.params["delta"] > 0:
            return _("%(sensor)s: rose %(change)s %(unit)s within %(seconds)s s, "
                     "to %(value)s %(unit)s") % words
        return _("%(sensor)s: fell %(change)s %(unit)s within %(seconds)s s, "
                 "to %(value)s %(unit)s") % words

    @staticmethod
    def _stale_message(info: SensorInfo, silent: float, never: bool) -> str:
        words = {"sensor": info.label, "minutes": _fmt(round(silent / 60, 1)),
                 "interval": info.interval_seconds}
        if never:
            return _("%(sensor)s: no reading since it was added %(minutes)s min ago "
                     "(expected every %(interval)s s)") % words
        return _("%(sensor)s: no reading for %(minutes)s min (expected every %(interval)s s)") % words

    def _combination_message(self, info: SensorInfo, rule: CachedRule) -> str:
        names = [_(self._rules[i].name) if i in self._rules else f"#{i}"
                 for i in combined_ids(rule.params)]
        words = {"rule": _(rule.name), "place": info.place, "rules": "; ".join(names)}
        if "all" in rule.params:
            return _("%(rule)s at %(place)s: all of %(rules)s") % words
        return _("%(rule)s at %(place)s: one of %(rules)s") % words


engine = RuleEngine()


def evaluate(readings_by_sensor: Mapping[int, Sequence[tuple[datetime, float]]],
             now: datetime | None = None) -> list[Alarm]:
    """Run the rules over newly stored readings; return the alarms raised, escalated or cleared.

    ``readings_by_sensor`` maps a sensor id to its new readings ``(time, value)`` (aware
    datetimes; any order; only readings just stored — a resend must not come back here).
    ``now`` dates combination alarms (default: the current time). Call it inside the
    transaction that stored the readings: alarm rows are written in it and the signals
    ``alarm_raised``/``alarm_cleared`` go out after it commits. If that transaction rolls back,
    call again with the same readings: the outcome is the same.

    Cost: the rules and sensors come from memory; the database is read once per batch (the open
    alarms of the batch's sensors) and written once per batch to refresh open alarms, plus a
    statement or two for each alarm raised or cleared and a read of recent readings for a sensor
    whose memory has a gap.
    """
    return engine.evaluate(readings_by_sensor, now)


def check_stale(now: datetime | None = None) -> list[Alarm]:
    """Mark silent sensors stale or offline (and those heard again online), open stale alarms,
    clear stale alarms no longer true and alarms of rules switched off; return the alarms
    raised or cleared. Run it every half a minute or so (``resilience manage check_sensors``)."""
    return engine.check_stale(now)


@receiver([post_save, post_delete], sender=Rule, dispatch_uid="monitoring_rules_changed")
def _rules_changed(sender, **kwargs) -> None:
    global _rules_version
    _rules_version += 1


@receiver([post_save, post_delete], sender=Sensor, dispatch_uid="monitoring_rules_sensor_changed")
def _sensor_changed(sender, instance, **kwargs) -> None:
    for each in list(_engines):
        each.forget_sensor(instance.pk)
