"""One ingestion pipeline for every entry point (MQTT, HTTP): parse → validate → store → rules.

A payload is one object or a list of ``{"sensor": <code>, "time": <ISO 8601 with offset>,
"value": <number>}``. Every reading is either stored, recognised as a duplicate of a stored one
(idempotent on sensor + time) or written to the dead letters with the reason — nothing is
dropped silently and no input makes this module raise.

Readings of many payloads are gathered in a ``Batch`` and stored in one transaction: one
multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` tells which rows are new, one statement
moves each sensor's latest reading, and only the new readings go to the rules — so a resend never
raises an alarm twice. No ORM object is made per reading.

This package holds it by subject: ``parsing`` (refusal reasons, parsing, ``Batch``), ``sensors``
(the sensor directory), ``storage`` (the insert and update statements); the pipeline itself
(``store``, ``ingest``, ``IngestResult``) is this module, and every name is imported from here:
``resilience.monitoring.ingest``.
"""
from __future__ import annotations

import contextlib

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import Error as DatabaseFailure
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from resilience.monitoring.ingest.parsing import (  # noqa: F401 - re-exported
    BAD_TOPIC, EMPTY, EXTRA_KEYS, INACTIVE_SENSOR, INTERNAL, KEYS, MAX_FUTURE, MAX_PAYLOAD_CHARS,
    MISSING_KEYS, NOT_FINITE, NOT_JSON, NOT_LIST, NOT_NUMBER, NOT_OBJECT, NOT_UTF8,
    OTHER_COMMUNITY, OUT_OF_RANGE, SENSOR_NOT_TEXT, TIME_FUTURE, TIME_NAIVE, TIME_NOT_TEXT,
    TIME_UNPARSEABLE, TOPIC_SENSOR, TOPIC_SENSORS, UNKNOWN_SENSOR, Batch, Checked, PayloadError,
    Refusal, _clip, _safe, parse, split_topic,
)
from resilience.monitoring.ingest.sensors import (  # noqa: F401 - re-exported
    CODE, SensorDirectory, SensorEntry, directory,
)
from resilience.monitoring.ingest.storage import (  # noqa: F401 - re-exported
    COPY_PG, INSERT_PG, INSERT_STAGED_PG, SQLITE_CHUNK, STAGING_PG, UPDATE_PG, UPDATE_SQLITE,
    _insert_sqlite, _raw_cursor, insert_postgresql, update_latest,
)
from resilience.monitoring.models import DeadLetter

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """What became of a batch: readings stored, duplicates of stored ones, dead letters."""

    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    errors: list[dict] = field(default_factory=list)
    alarms: int = 0


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
    # The rule engine's lock before the database's: the staleness check takes them in that order
    # too, so an ingester and a worker in one process (the demo) never wait on each other in a
    # cycle (SQLite would break it only after its 20 s busy timeout, as "database is locked").
    with engine_lock(), transaction.atomic():
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
            result.errors = [{"index": index, "sensor": _safe(code), "reason": refusal}
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


def engine_lock():
    """The rule engine's lock (re-entrant), or nothing when the rules are not installed."""
    try:
        from resilience.monitoring.rules import engine
    except ImportError:  # pragma: no cover - the rules module is part of the app
        return contextlib.nullcontext()
    return engine._lock


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

# Measured here (benchmarks/README.md): for a few hundred rows one INSERT of three text arrays
# is fastest; from a few thousand, COPY (binary) into a temporary table and one INSERT … SELECT.
COPY_FROM = 2000


def _insert_postgresql(readings: dict) -> list[tuple[int, datetime]]:
    with connection.wrap_database_errors, _raw_cursor() as cursor:
        return insert_postgresql(cursor, readings, len(readings) >= COPY_FROM)


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
