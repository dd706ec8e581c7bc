"""Writing readings to the database: the multi-row insert that skips stored readings (PostgreSQL:
arrays through ``unnest`` or binary COPY into a staging table; SQLite: chunked ``VALUES``), and
the update that moves each sensor's latest reading. ``insert_observations`` (in
``resilience.monitoring.ingest``) picks the path."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import connection

from resilience.monitoring.vocab import SensorStatus

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


def _raw_cursor():
    """A server-side-binding psycopg cursor on Django's connection, inside its transaction."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _array(items: Iterable[str]) -> str:
    return "{" + ",".join(items) + "}"


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
    sql = ("INSERT INTO monitoring_observation (sensor_id, time, value) VALUES "  # nosec B608 # only placeholders
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

