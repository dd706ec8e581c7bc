"""The rule engine: ``RuleEngine`` turns readings into alarms (``evaluate``) and silence into
stale alarms and sensor statuses (``check_stale``); the signal receivers that keep its caches
fresh. The process's one engine and the module-level ``evaluate``/``check_stale`` are in
``resilience.monitoring.rules``."""
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
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Max, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from resilience.monitoring import alarms as services
from resilience.monitoring.models import Alarm, Observation, Rule, Sensor
from resilience.monitoring.rules.logic import (
    SENSOR_FIELDS, CachedRule, Memory, SensorInfo, _chunks, _info, _Outcome, breaches,
    rate_change, rate_exceeded, threshold_step,
)
from resilience.monitoring.rules.messages import RuleMessages
from resilience.monitoring.rules.predictive import (
    EARLY_KINDS, UPSTREAM, EarlyState, prepare, run_early_warning, window_seconds,
)
from resilience.monitoring.rules.params import (
    COMBINATION, PARAM_KEYS, RATE, STALE, THRESHOLD, combined_ids, validate_params,
)
from resilience.monitoring.vocab import SensorStatus

OPEN = Alarm.Status.OPEN
DEFAULT_STALE_INTERVALS = 3   # for the status of a sensor no stale rule watches

logger = logging.getLogger("resilience.monitoring.rules")  # its name before the split
_ALARM_TABLE = Alarm._meta.db_table
OPEN_IDS_SQL = {
    "postgresql": f"SELECT id FROM {_ALARM_TABLE} WHERE status = 'open' AND sensor_id = ANY(%s)",  # nosec B608  # a constant from Alarm._meta.db_table; ids are a parameter
    "sqlite": f"SELECT id FROM {_ALARM_TABLE} WHERE status = 'open' "  # nosec B608  # a constant from Alarm._meta.db_table; ids are a parameter
              f"AND sensor_id IN (SELECT value FROM json_each(%s))",
}


_rules_version = 0                   # bumped when a rule is saved or deleted in this process
_engines: weakref.WeakSet = weakref.WeakSet()


class RuleEngine(RuleMessages):
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
            self._early = EarlyState()

    def forget_sensor(self, sensor_id: int) -> None:
        with self._lock:
            self._sensors.pop(sensor_id, None)
            self._applicable.pop(sensor_id, None)
            self._horizons.pop(sensor_id, None)
            self._memory.pop(sensor_id, None)
            self._early.forget(sensor_id)

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
        seconds += [window_seconds(r) for kind in EARLY_KINDS for r in rules.get(kind, ())]
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
            prepare(self, work, opened)
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
        if (info.id in self._early.attention or UPSTREAM in rules) \
                and not rules.keys().isdisjoint(EARLY_KINDS):
            run_early_warning(self, info, rules, readings, memory, opened, out)
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
        keep_from = memory.latest - timedelta(seconds=self._horizons.get(info.id) or 0)
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


@receiver([post_save, post_delete], sender=Rule, dispatch_uid="monitoring_rules_changed")
def _rules_changed(sender, **kwargs) -> None:
    global _rules_version
    _rules_version += 1


@receiver([post_save, post_delete], sender=Sensor, dispatch_uid="monitoring_rules_sensor_changed")
def _sensor_changed(sender, instance, **kwargs) -> None:
    for each in list(_engines):
        each.forget_sensor(instance.pk)
