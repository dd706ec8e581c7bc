"""One ingestion pipeline for every entry point (MQTT, HTTP): parse → validate → store → rules.

A payload is one object or a list of ``{"sensor": <code>, "time": <ISO 8601 with offset>,
"value": <number>}``. Every reading is either stored, recognised as a duplicate of a stored one
(idempotent on sensor + time) or written to the dead letters with the reason — nothing is
dropped silently and no input makes this module raise.

Readings of many payloads are gathered in a ``Batch`` and stored in one transaction: one
multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` tells which rows are new, one statement
moves each sensor's latest reading, and only the new readings go to the rules — so a resend never
raises an alarm twice. No ORM object is made per reading.
"""
from __future__ import annotations

import json
import logging
import math
import re
import threading
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import Error as DatabaseFailure
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _noop

from resilience.monitoring.models import DeadLetter, Sensor
from resilience.monitoring.vocab import KIND_UNIT, SensorStatus

logger = logging.getLogger(__name__)

KEYS = frozenset(("sensor", "time", "value"))
MAX_FUTURE = timedelta(minutes=5)
MAX_PAYLOAD_CHARS = 65_536  # of a refused payload kept in the dead letters
TOPIC_SENSORS = "sensors"
CODE = re.compile(r"[-a-zA-Z0-9_]{1,64}")  # sensor and community codes are slugs


# --- reasons ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a payload or reading was refused: an English template (stored) and its parameters."""

    template: str
    params: tuple = ()

    def english(self) -> str:
        return _safe(self.template % self.params)[:300]

    def translated(self) -> str:
        return gettext(self.template) % self.params


NOT_UTF8 = _noop("payload is not UTF-8 text")
NOT_JSON = _noop("payload is not valid JSON (%s)")
NOT_LIST = _noop("payload is not an object or a list of objects")
EMPTY = _noop("payload holds no readings")
NOT_OBJECT = _noop("reading is not an object")
MISSING_KEYS = _noop("reading lacks %s")
EXTRA_KEYS = _noop("reading has unexpected keys: %s")
BAD_TOPIC = _noop("topic is not <prefix>/<community>/sensors/<sensor>")
SENSOR_NOT_TEXT = _noop("sensor must be a sensor code (text)")
TOPIC_SENSOR = _noop("the topic names sensor %s but the reading names %s")
UNKNOWN_SENSOR = _noop("unknown sensor %s")
INACTIVE_SENSOR = _noop("sensor %s is inactive")
OTHER_COMMUNITY = _noop("sensor %s belongs to community %s, not to the topic's community %s")
NOT_NUMBER = _noop("value must be a number")
NOT_FINITE = _noop("value must be a finite number")
OUT_OF_RANGE = _noop("value %s is outside the plausible range %s … %s %s of a %s sensor")
TIME_NOT_TEXT = _noop("time must be an ISO 8601 text")
TIME_UNPARSEABLE = _noop("time %s is not an ISO 8601 date and time")
TIME_NAIVE = _noop("time %s has no UTC offset (add Z or +08:00)")
TIME_FUTURE = _noop("time %s is more than 5 minutes in the future")
INTERNAL = _noop("ingestion failed: %s")


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


# --- parsing ------------------------------------------------------------------------------------

class PayloadError(ValueError):
    """The payload as a whole cannot be read as readings."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.english())
        self.refusal = refusal


def _text(raw) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError(Refusal(NOT_UTF8)) from None


def parse(raw) -> list:
    """The readings of a payload (bytes or text) as a list of items, not yet checked.

    Raises ``PayloadError`` when the payload is not JSON, not an object or list, or empty.
    """
    text = _text(raw)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PayloadError(Refusal(NOT_JSON, (str(exc)[:120],))) from None
    except RecursionError:
        raise PayloadError(Refusal(NOT_JSON, ("nested too deeply",))) from None
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise PayloadError(Refusal(NOT_LIST))
    if not data:
        raise PayloadError(Refusal(EMPTY))
    return data


def split_topic(topic: str) -> tuple[str, str] | None:
    """(community code, sensor code) of ``<prefix>/<community>/sensors/<sensor>``, else None."""
    parts = topic.rsplit("/", 3)
    if len(parts) != 4 or parts[2] != TOPIC_SENSORS or not parts[1] or not parts[3]:
        return None
    return parts[1], parts[3]


def _dump(item) -> str:
    try:
        text = json.dumps(item, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        text = repr(item)
    return _clip(text)


def _clip(text: str) -> str:
    if len(text) > MAX_PAYLOAD_CHARS:
        text = text[:MAX_PAYLOAD_CHARS] + f"… [{len(text)} characters, truncated]"
    return _safe(text)


def _safe(text: str) -> str:
    """Text any database accepts: no NUL characters, no lone surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _iso(value) -> str:
    return repr(value)[:60] if not isinstance(value, str) else value[:60]


# --- a batch ------------------------------------------------------------------------------------

@dataclass
class IngestResult:
    """What became of a batch: readings stored, duplicates of stored ones, dead letters."""

    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    errors: list[dict] = field(default_factory=list)
    alarms: int = 0


@dataclass(slots=True)
class Checked:
    """A checked batch: value by (sensor id, UTC time) of each acceptable reading, the refusals,
    and how many readings repeated another of the same batch."""

    readings: dict
    refused: list
    duplicates: int


@dataclass(slots=True)
class _Pending:
    items: list
    topic: str


class Batch:
    """Readings of one or more payloads, stored together by ``store(batch)``.

    ``allowed`` (sensor ids) restricts the sensors readings may name: the HTTP entry point passes
    the sensors the requesting user may ``ingest``.
    """

    def __init__(self, source: str, *, now: datetime | None = None,
                 allowed: set[int] | None = None) -> None:
        self.source = source
        self.now = now
        self.allowed = allowed
        self.messages = 0
        self._pending: list[_Pending] = []
        self._refused: list[tuple[Refusal, str, str, str, str | None, int | None]] = []

    def __len__(self) -> int:
        return sum(len(p.items) for p in self._pending) + len(self._refused)

    def add_payload(self, raw, topic: str = "") -> int:
        """Add a raw payload (bytes or text); returns the number of readings it holds."""
        self.messages += 1
        try:
            items = parse(raw)
        except PayloadError as exc:
            self._refuse_payload(exc.refusal, raw, topic)
            return 1
        except Exception as exc:  # never crash on input
            self._refuse_payload(Refusal(INTERNAL, (type(exc).__name__,)), raw, topic)
            return 1
        self._pending.append(_Pending(items, topic))
        return len(items)

    def add_items(self, items: list, topic: str = "") -> None:
        """Add readings already parsed from JSON (the HTTP entry point parses the body itself)."""
        self._pending.append(_Pending(items, topic))
        self.messages += 1

    def _refuse_payload(self, refusal: Refusal, raw, topic: str) -> None:
        # No database here: the topic's community is looked up when the batch is stored, where
        # a database failure is retried.
        text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8", "backslashreplace")
        parts = split_topic(topic) if topic else None
        self._refused.append((refusal, _clip(text), parts[1][:64] if parts else "", topic,
                              parts[0] if parts else None, None))

    # The checks run after the batch is complete, so that all its codes are looked up at once.
    def check(self) -> "Checked":
        """The batch's readings sorted into acceptable ones and refusals (reads the database
        only for sensor codes not in the cache)."""
        now = self.now or timezone.now()
        future = now + MAX_FUTURE
        codes = {item.get("sensor") for pending in self._pending for item in pending.items
                 if type(item) is dict and type(item.get("sensor")) is str}
        codes = {code for code in codes if CODE.fullmatch(code)}
        entries = directory.lookup(codes) if codes else {}
        verdicts: dict = {}  # (topic, code) → (entry, refusal): the same for every reading
        readings: dict = {}
        refused = [(refusal, text, code, topic,
                    directory.community_id(community) if community else None, index)
                   for refusal, text, code, topic, community, index in self._refused]
        duplicates = 0
        fromiso = datetime.fromisoformat
        isfinite = math.isfinite
        for pending in self._pending:
            topic = pending.topic
            topic_parts = split_topic(topic) if topic else None
            if topic and topic_parts is None:
                for item in pending.items:
                    refused.append((Refusal(BAD_TOPIC), _dump(item), "", topic, None, None))
                continue
            for index, item in enumerate(pending.items):
                entry = refusal = None
                code = ""
                if type(item) is not dict:
                    refusal = Refusal(NOT_OBJECT)
                elif item.keys() != KEYS:
                    refusal = _keys_refusal(item)
                    code = item.get("sensor") if type(item.get("sensor")) is str else ""
                    entry = entries.get(code)
                    if entry is not None and self.allowed is not None \
                            and entry.id not in self.allowed:
                        entry = None
                else:
                    code = item["sensor"]
                    if type(code) is str:
                        verdict = verdicts.get((topic, code))
                        if verdict is None:
                            verdict = verdicts[(topic, code)] = self._sensor_verdict(
                                code, topic_parts, entries)
                        entry, refusal = verdict
                    else:
                        code, refusal = "", Refusal(SENSOR_NOT_TEXT)
                    if refusal is None:
                        value = item["value"]
                        kind = type(value)
                        if kind is int:
                            try:
                                value = float(value)
                            except OverflowError:
                                value = math.inf
                        elif kind is not float:
                            refusal = Refusal(NOT_NUMBER)
                        if refusal is None:
                            if not isfinite(value):
                                refusal = Refusal(NOT_FINITE)
                            elif value < entry.low or value > entry.high:
                                refusal = _range_refusal(entry, value)
                    if refusal is None:
                        stamp = item["time"]
                        try:
                            moment = fromiso(stamp)
                            zone = moment.tzinfo
                            if zone is None or moment.utcoffset() is None:
                                refusal = Refusal(TIME_NAIVE, (_iso(stamp),))
                            else:
                                if zone is not UTC:
                                    moment = moment.astimezone(UTC)
                                if moment > future:
                                    refusal = Refusal(TIME_FUTURE, (_iso(stamp),))
                        except TypeError:
                            refusal = Refusal(TIME_NOT_TEXT)
                        except (ValueError, OverflowError):
                            refusal = Refusal(TIME_UNPARSEABLE, (_iso(stamp),))
                if refusal is None:
                    key = (entry.id, moment)
                    if key in readings:
                        duplicates += 1
                    else:
                        readings[key] = value
                    continue
                community_id = entry.community_id if entry is not None else None
                if community_id is None and topic_parts is not None:
                    community_id = directory.community_id(topic_parts[0])
                refused.append((refusal, _dump(item), code[:64], topic, community_id, index))
        return Checked(readings, refused, duplicates)

    def _sensor_verdict(self, code, topic_parts, entries) -> tuple[SensorEntry | None,
                                                                   Refusal | None]:
        if topic_parts is not None and code != topic_parts[1]:
            return None, Refusal(TOPIC_SENSOR, (topic_parts[1][:64], code[:64]))
        entry = entries.get(code)
        if entry is None:
            return None, Refusal(UNKNOWN_SENSOR, (code[:64],))
        if self.allowed is not None and entry.id not in self.allowed:
            # Out of the poster's sight: unknown to them, and not filed under the sensor's
            # community either.
            return None, Refusal(UNKNOWN_SENSOR, (code,))
        if not entry.active:
            return entry, Refusal(INACTIVE_SENSOR, (code,))
        if topic_parts is not None and entry.community_code != topic_parts[0]:
            return entry, Refusal(OTHER_COMMUNITY, (code, entry.community_code,
                                                    topic_parts[0][:64]))
        return entry, None


def _keys_refusal(item: dict) -> Refusal:
    missing = KEYS - item.keys()
    if missing:
        return Refusal(MISSING_KEYS, (", ".join(sorted(missing)),))
    extra = sorted(str(k) for k in item.keys() - KEYS)
    return Refusal(EXTRA_KEYS, (", ".join(extra)[:200],))


def _range_refusal(entry: SensorEntry, value: float) -> Refusal:
    unit = KIND_UNIT.get(entry.kind, ("",))[0]
    return Refusal(OUT_OF_RANGE, (f"{value:g}", f"{entry.low:g}", f"{entry.high:g}", unit,
                                  entry.kind))


# --- storing ------------------------------------------------------------------------------------

def store(batch: Batch, checked: Checked | None = None) -> IngestResult:
    """Store a batch in one transaction, then evaluate the rules on the new readings only.

    ``checked`` is ``batch.check()`` if the caller already ran it (the MQTT ingester checks the
    next batch while the previous one is being written). Raises ``django.db.Error`` if the
    database fails: nothing is then stored, and storing the same batch again is safe.
    """
    for attempt in (1, 2):
        try:
            return _store_once(batch, checked or batch.check())
        except IntegrityError:
            # A sensor deleted since it was cached: forget the cache and check again.
            if attempt == 2:
                raise
            directory.clear()
            checked = None
    raise AssertionError("unreachable")


def _store_once(batch: Batch, checked: Checked) -> IngestResult:
    readings, refused = checked.readings, checked.refused
    result = IngestResult(duplicates=checked.duplicates)
    now = batch.now or timezone.now()
    with transaction.atomic():
        new_keys = insert_observations(readings) if readings else []
        result.stored = len(new_keys)
        result.duplicates += len(readings) - len(new_keys)
        if refused:
            DeadLetter.objects.bulk_create([
                DeadLetter(source=batch.source, topic=_safe(topic[:300]), payload=payload,
                           reason=refusal.english(), sensor_code=_safe(code),
                           community_id=community_id)
                for refusal, payload, code, topic, community_id, _index in refused
            ], batch_size=500)
            result.dead_letters = len(refused)
            result.errors = [{"index": index, "sensor": code, "reason": refusal}
                             for refusal, _p, code, _t, _c, index in refused]
        if new_keys:
            by_sensor: dict[int, list[tuple[datetime, float]]] = {}
            for key in new_keys:
                by_sensor.setdefault(key[0], []).append((key[1], readings[key]))
            for series in by_sensor.values():
                series.sort()
            update_latest(by_sensor)
            result.alarms = len(evaluate_rules(by_sensor, now))
    return result


def ingest(raw, *, source: str, topic: str = "", now: datetime | None = None) -> IngestResult:
    """Parse, check and store one payload (bytes or text)."""
    batch = Batch(source, now=now)
    batch.add_payload(raw, topic)
    return store(batch)


def insert_observations(readings: dict) -> list[tuple[int, datetime]]:
    """Insert the readings, skipping those already stored; return the keys of the new rows."""
    if connection.vendor == "postgresql":
        return _insert_postgresql(readings)
    if connection.vendor == "sqlite":
        return _insert_sqlite(readings)
    raise NotImplementedError(f"ingestion does not support {connection.vendor}")


INSERT_PG = (
    "INSERT INTO monitoring_observation (sensor_id, time, value) "
    "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[]) "
    "ON CONFLICT (sensor_id, time) DO NOTHING RETURNING sensor_id, time"
)
STAGING_PG = ("CREATE TEMPORARY TABLE IF NOT EXISTS ingest_staging "
              "(sensor_id bigint, time timestamptz, value float8) ON COMMIT DELETE ROWS")
COPY_PG = "COPY ingest_staging (sensor_id, time, value) FROM STDIN (FORMAT BINARY)"
INSERT_STAGED_PG = (
    "INSERT INTO monitoring_observation (sensor_id, time, value) "
    "SELECT sensor_id, time, value FROM ingest_staging "
    "ON CONFLICT (sensor_id, time) DO NOTHING RETURNING sensor_id, time"
)
# Measured here (benchmarks/README.md): for a few hundred rows one INSERT of three text arrays
# is fastest; from a few thousand, COPY (binary) into a temporary table and one INSERT … SELECT.
COPY_FROM = 2000


def _raw_cursor():
    """A server-side-binding psycopg cursor on Django's connection, inside its transaction."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _array(items: Iterable[str]) -> str:
    return "{" + ",".join(items) + "}"


def _insert_postgresql(readings: dict) -> list[tuple[int, datetime]]:
    with connection.wrap_database_errors, _raw_cursor() as cursor:
        return insert_postgresql(cursor, readings, len(readings) >= COPY_FROM)


def insert_postgresql(cursor, readings: dict, use_copy: bool) -> list[tuple[int, datetime]]:
    """Insert readings with a psycopg cursor, by COPY or by arrays; the keys of the new rows.
    (Also run by the benchmark, which measures both ways.)"""
    if use_copy:
        cursor.execute(STAGING_PG)
        with cursor.copy(COPY_PG) as copy:
            copy.set_types(["int8", "timestamptz", "float8"])
            write = copy.write_row
            for (sensor_id, moment), value in readings.items():
                write((sensor_id, moment, value))
        cursor.execute(INSERT_STAGED_PG, binary=True)
    else:
        cursor.execute(INSERT_PG, (_array([str(k[0]) for k in readings]),
                                   _array([k[1].isoformat() for k in readings]),
                                   _array([repr(v) for v in readings.values()])),
                       binary=True)
    rows = cursor.fetchall()
    if len(rows) == len(readings):
        return list(readings)  # all new: the common case
    return [(sensor_id, moment.astimezone(UTC)) for sensor_id, moment in rows]


SQLITE_CHUNK = 300  # rows per statement: 3 variables each, well under SQLite's limit


def _sqlite_time(moment: datetime) -> str:
    # Exactly as Django stores an aware datetime on SQLite (UTC, naive, str()).
    return moment.replace(tzinfo=None).isoformat(" ")


def _insert_sqlite(readings: dict) -> list[tuple[int, datetime]]:
    by_text: dict[tuple[int, str], datetime] = {}
    rows: list = []
    for (sensor_id, moment), value in readings.items():
        text = _sqlite_time(moment)
        by_text[(sensor_id, text)] = moment
        rows.append((sensor_id, text, value))
    connection.ensure_connection()
    raw = connection.connection
    new: list[tuple[int, datetime]] = []
    with connection.wrap_database_errors:
        new_rows = [row for start in range(0, len(rows), SQLITE_CHUNK)
                    for row in _insert_sqlite_chunk(raw, rows[start:start + SQLITE_CHUNK])]
    for sensor_id, stored in new_rows:
        # Django's SQLite converters may already have made a (naive, UTC) datetime of it.
        text = stored if isinstance(stored, str) else stored.isoformat(" ")
        new.append((sensor_id, by_text[(sensor_id, text)]))
    return new


def _insert_sqlite_chunk(raw, chunk: list) -> list:
    sql = ("INSERT INTO monitoring_observation (sensor_id, time, value) VALUES "
           + ",".join(["(?,?,?)"] * len(chunk))
           + " ON CONFLICT (sensor_id, time) DO NOTHING RETURNING sensor_id, time")
    return raw.execute(sql, [v for row in chunk for v in row]).fetchall()


UPDATE_PG = (
    "UPDATE monitoring_sensor AS s SET last_time = v.t, last_value = v.v, "
    "status = CASE WHEN s.status = %s THEN s.status ELSE %s END "
    "FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[]) AS v(id, t, v) "
    "WHERE s.id = v.id AND (s.last_time IS NULL OR s.last_time < v.t)"
)
UPDATE_SQLITE = (
    "UPDATE monitoring_sensor SET last_time = ?, last_value = ?, "
    "status = CASE WHEN status = ? THEN status ELSE ? END "
    "WHERE id = ? AND (last_time IS NULL OR last_time < ?)"
)


def update_latest(by_sensor: dict[int, list[tuple[datetime, float]]]) -> None:
    """Move each sensor's latest reading forward (never back) and mark it online.

    A sensor marked ``fault`` stays so until staff clear it: readings alone do not prove it sound.
    """
    latest = sorted((sensor_id, series[-1]) for sensor_id, series in by_sensor.items())
    fault, online = SensorStatus.FAULT.value, SensorStatus.ONLINE.value
    if connection.vendor == "postgresql":
        with connection.wrap_database_errors, _raw_cursor() as cursor:
            cursor.execute(UPDATE_PG, (fault, online, _array([str(s) for s, _ in latest]),
                                       _array([r[0].isoformat() for _, r in latest]),
                                       _array([repr(r[1]) for _, r in latest])))
    else:
        connection.ensure_connection()
        with connection.wrap_database_errors:
            connection.connection.executemany(UPDATE_SQLITE, [
                (_sqlite_time(moment), value, fault, online, sensor_id, _sqlite_time(moment))
                for sensor_id, (moment, value) in latest
            ])


def evaluate_rules(by_sensor: dict[int, list[tuple[datetime, float]]], now: datetime) -> list:
    """Hand the new readings to the rules; a fault in a rule is logged, never stops ingestion.

    Database errors propagate: the batch's transaction is then rolled back and retried whole, so
    the rules see the readings again.
    """
    try:
        from resilience.monitoring import rules
    except ImportError:  # pragma: no cover - the rules module is part of the app
        return []
    evaluate = getattr(rules, "evaluate", None)
    if evaluate is None:
        return []
    try:
        return list(evaluate(by_sensor, now) or [])
    except NotImplementedError:
        return []
    except DatabaseFailure:
        raise
    except Exception:
        logger.exception("rule evaluation failed on %d sensors", len(by_sensor))
        return []


def refuse_messages(messages: Sequence[tuple[str, bytes]], source: str, error: Exception) -> int:
    """Keep payloads that made the pipeline itself fail in the dead letters (last resort)."""
    refusal = Refusal(INTERNAL, (f"{type(error).__name__}: {error}"[:200],))
    with transaction.atomic():
        DeadLetter.objects.bulk_create([
            DeadLetter(source=source, topic=topic[:300], payload=_clip(
                bytes(payload).decode("utf-8", errors="backslashreplace")),
                reason=refusal.english())
            for topic, payload in messages
        ], batch_size=500)
    return len(messages)
