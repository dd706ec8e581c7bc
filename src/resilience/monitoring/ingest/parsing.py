"""Parsing and checking readings: the reasons a payload or reading is refused (kept in the dead
letters), ``parse`` and ``split_topic``, and the ``Batch`` that gathers payloads and sorts their
readings into acceptable ones and refusals (``Batch.check``)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _noop

from resilience.monitoring.ingest.sensors import CODE, SensorEntry, directory
from resilience.monitoring.vocab import KIND_UNIT

KEYS = frozenset(("sensor", "time", "value"))
MAX_FUTURE = timedelta(minutes=5)
MAX_PAYLOAD_CHARS = 65_536  # of a refused payload kept in the dead letters
TOPIC_SENSORS = "sensors"


# --- reasons ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a payload or reading was refused: an English template (stored) and its parameters."""

    template: str
    params: tuple = ()

    def english(self) -> str:
        return _safe(self.template % self.params)[:300]

    def translated(self) -> str:
        # _safe: a reason may quote a code that was a lone surrogate in the JSON ("\ud800"),
        # which no response can encode (found by tests/reliability/test_fuzz_ingest.py).
        return _safe(gettext(self.template) % self.params)


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
