"""A throwaway PostgreSQL cluster of our own, for fault proofs that restart the database.

The machine's PostgreSQL is shared, so a proof that restarts "the database" runs its own: a
cluster made by ``initdb`` in a temporary directory, on a free loopback port, trust
authentication, a small ``shared_buffers``, its socket in that directory (nothing written to
``/var/run/postgresql``). ``initdb`` refuses to run as root; as root every server command runs as
the ``postgres`` OS user through ``runuser``, in a directory that user owns.

``stop()`` stops it and deletes the directory, whatever state it is in; use it as a context
manager so that happens on every path out.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from resilience.bench.databases import PostgresDatabase
from resilience.bench.services import free_port

SERVER_SETTINGS = (
    "listen_addresses = '127.0.0.1'",
    "shared_buffers = 32MB",
    "max_connections = 100",
    # Migrating a fresh database needs no durability (a quarter of its time is fsync);
    # ``durable()`` turns fsync on before anything is proved on the cluster.
    "fsync = off",
    "log_min_messages = warning",
)


def binaries() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` directory with initdb and pg_ctl, if any."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")
             if os.access(Path(p).parent / "pg_ctl", os.X_OK)]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
               default=None)


def unavailable() -> str | None:
    """Why a throwaway cluster cannot be made here (None when it can)."""
    if binaries() is None:
        return ("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin/ "
                "(initdb, pg_ctl)")
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing (initdb refuses root)"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres OS user to run initdb as"
    return None


class ThrowawayPostgres:
    """initdb, start, restart, stop-and-delete; ``database(name)`` gives a database on it."""

    def __init__(self, port: int | None = None) -> None:
        reason = unavailable()
        if reason:
            raise RuntimeError(reason)
        self.bin = binaries()
        self.port = port or free_port()
        self.root: Path | None = None
        self.data: Path | None = None
        self.started = False

    # -- running the server commands as the right user -------------------------------------
    def _command(self, name: str, *args: str) -> list[str]:
        command = [str(self.bin / name), *args]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, name: str, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(self._command(name, *args), capture_output=True, text=True,
                              timeout=timeout, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{name} {' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout[-1500:]}{done.stderr[-1500:]}\n{self.log()[-1500:]}")
        return done.stdout

    def _pg_ctl(self, *args: str, timeout: float = 120) -> str:
        return self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                         "-w", "-t", str(int(timeout)), *args, timeout=timeout + 10)

    # -- life ------------------------------------------------------------------------------
    def start(self) -> "ThrowawayPostgres":
        """Make the cluster (initdb without syncing its files: it is thrown away) and start it."""
        self.root = Path(tempfile.mkdtemp(prefix="resilience-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--no-instructions")
        extra = [*SERVER_SETTINGS, f"port = {self.port}",
                 f"unix_socket_directories = '{self.root}'"]
        # As the cluster's owner would: the file belongs to postgres and stays so.
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# resilience throwaway cluster\n" + "\n".join(extra) + "\n")
        self._pg_ctl("start")
        self.started = True
        return self

    def durable(self) -> None:
        """Turn fsync on (for good: it is kept across restarts)."""
        with self.database("postgres").connect() as conn:
            conn.execute("ALTER SYSTEM SET fsync = on")
            conn.execute("SELECT pg_reload_conf()")
            deadline = time.monotonic() + 10
            while conn.execute("SHOW fsync").fetchone()[0] != "on":
                if time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not turn fsync on")
                time.sleep(0.05)

    def restart(self, mode: str = "fast") -> float:
        """``pg_ctl restart -m <mode>`` (``fast``: sessions ended, clean shutdown; ``immediate``:
        like a crash, recovery from the WAL on start); return the seconds it took."""
        began = time.monotonic()
        self._pg_ctl("restart", "-m", mode)
        return time.monotonic() - began

    def stop(self) -> None:
        """Stop the server (if running) and delete the directory; safe to call twice."""
        try:
            if self.started and self.data is not None:
                try:
                    self._pg_ctl("stop", "-m", "immediate", timeout=30)
                except (RuntimeError, subprocess.TimeoutExpired):
                    pass  # already stopped, or gone: the directory goes anyway
                self.started = False
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = self.data = None

    def log(self) -> str:
        path = self.root / "server.log" if self.root else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def database(self, name: str) -> PostgresDatabase:
        """A database on this cluster (``create()`` it before use)."""
        return PostgresDatabase(name, "127.0.0.1", self.port, "postgres")

    def __enter__(self) -> "ThrowawayPostgres":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
