"""Databases the ingester child process writes to, seen from the parent: the environment that
points a child at them, and plain-driver reads of what was stored (no Django needed)."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

OBSERVATION_KEYS = ("SELECT s.code, o.time FROM monitoring_observation o "
                    "JOIN monitoring_sensor s ON s.id = o.sensor_id")


def keys_env() -> dict:
    """The keys a child process needs, taken from this process's settings."""
    from django.conf import settings

    return {"RESILIENCE_SECRET_KEY": settings.SECRET_KEY,
            "RESILIENCE_FIELD_KEY": ",".join(settings.RESILIENCE_FIELD_KEYS),
            "RESILIENCE_HASH_KEY": settings.RESILIENCE_HASH_KEY}


CHILD_APPLICATION = "resilience-child"  # how the children's PostgreSQL sessions are named


class PostgresDatabase:
    vendor = "postgresql"

    def __init__(self, name: str, host: str = "127.0.0.1", port: int | str = 5432,
                 user: str = "postgres", password: str | None = None) -> None:
        self.name, self.host, self.port = name, host or "127.0.0.1", int(port or 5432)
        self.user, self.password = user or "postgres", password or None

    @classmethod
    def from_settings(cls, settings_dict: dict) -> "PostgresDatabase":
        return cls(settings_dict["NAME"], settings_dict.get("HOST"), settings_dict.get("PORT"),
                   settings_dict.get("USER"), settings_dict.get("PASSWORD"))

    @property
    def url(self) -> str:
        auth = quote(self.user) + (":" + quote(self.password) if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{self.name}"

    def env(self) -> dict:
        return {"DATABASE_URL": f"{self.url}?application_name={CHILD_APPLICATION}"}

    def connect(self, database: str | None = None):
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user,
                               password=self.password, dbname=database or self.name,
                               autocommit=True)

    def create(self) -> None:
        """(Re)create this database empty (a scratch database of the benchmark)."""
        with self.connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self.connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def scalar(self, sql: str):
        with self.connect() as conn:
            return conn.execute(sql).fetchone()[0]

    def count(self) -> int:
        return self.scalar("SELECT count(*) FROM monitoring_observation")

    def dead_letters(self) -> int:
        return self.scalar("SELECT count(*) FROM monitoring_deadletter")

    def observation_keys(self) -> list[tuple[str, dt.datetime]]:
        with self.connect() as conn:
            return [(code, t.astimezone(dt.UTC)) for code, t in conn.execute(OBSERVATION_KEYS)]

    def refuse_writes(self) -> int:
        """Make every new session read-only and end the children's sessions: their writes fail
        with "cannot execute INSERT in a read-only transaction" until ``allow_writes``.
        Returns how many sessions were ended."""
        # From the maintenance database: a session of this one would be born read-only too.
        with self.connect("postgres") as conn:
            conn.execute(f'ALTER DATABASE "{self.name}" SET default_transaction_read_only = on')
            return self.terminate_children(conn)

    def allow_writes(self) -> None:
        with self.connect("postgres") as conn:
            conn.execute(f'ALTER DATABASE "{self.name}" RESET default_transaction_read_only')

    def terminate_children(self, conn=None) -> int:
        if conn is None:
            with self.connect() as own:
                return self.terminate_children(own)
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s",
            (self.name, CHILD_APPLICATION)).fetchall()
        return len(rows)


class SQLiteDatabase:
    """SQLite in WAL mode in a data directory, as ``resilience`` configures it without a URL."""

    vendor = "sqlite"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / "resilience.sqlite3"

    def env(self) -> dict:
        return {"DATABASE_URL": "", "RESILIENCE_DATA_DIR": str(self.data_dir)}

    def create(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def drop(self) -> None:
        self.create()

    def connect(self):
        conn = sqlite3.connect(self.path, timeout=30)
        return conn

    def scalar(self, sql: str):
        conn = self.connect()
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()

    def count(self) -> int:
        return self.scalar("SELECT count(*) FROM monitoring_observation")

    def dead_letters(self) -> int:
        return self.scalar("SELECT count(*) FROM monitoring_deadletter")

    def observation_keys(self) -> list[tuple[str, dt.datetime]]:
        conn = self.connect()
        try:
            return [(code, dt.datetime.fromisoformat(t).replace(tzinfo=dt.UTC))
                    for code, t in conn.execute(OBSERVATION_KEYS)]
        finally:
            conn.close()


def seed_in_child(database, env: dict, sensors: int, threshold_sensors: int = 0,
                  threshold: float = 80.0, settings_module: str = "resilience.settings") -> None:
    """Migrate ``database`` and seed it, in a child process pointed at it."""
    child_env = {**os.environ, **env, **database.env(), "DJANGO_SETTINGS_MODULE": settings_module}
    result = subprocess.run(
        [sys.executable, "-m", "resilience.bench.seed", "--migrate", "--sensors", str(sensors),
         "--threshold-sensors", str(threshold_sensors), "--threshold", str(threshold)],
        env=child_env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"seeding {database.vendor} failed:\n{result.stdout}\n{result.stderr}")
