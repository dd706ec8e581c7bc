"""Backup and restore of a whole instance: database, media files and keys (issue 10).

``resilience backup`` writes one ``.tar.gz`` holding

- ``manifest.json``: format version, time, database vendor, the applied migrations, and for every
  table its row count and a SHA-256 over its rows in primary-key order, and for every media file
  its SHA-256 — so a restore can prove it brought back exactly what was saved;
- the database in the vendor's own format: SQLite through its online backup API (a consistent
  copy while the server runs), PostgreSQL through ``pg_dump --format=custom``;
- ``media/``: uploaded photos and documents;
- ``keys.json`` (unless ``--no-keys``): the secret key, the field-encryption keys and the look-up
  hash key. Without them the encrypted personal data in the database cannot be read, so a backup
  without keys is only useful beside a separate copy of the keys.

``resilience restore`` puts the three back into the configured instance (same database vendor),
keeping the media directory it replaces beside it, then recomputes the checksums and reports any
table or file that differs (exit status 1).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

FORMAT = 1
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Verification:
    """What a restore compared: tables and files that differ from the manifest (empty: equal)."""

    tables: int = 0
    rows: int = 0
    files: int = 0
    differing_tables: list[str] = field(default_factory=list)
    differing_files: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differing_tables and not self.differing_files


# --- checksums ---------------------------------------------------------------------------------

def _tables() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return sorted(name for name in names if not name.startswith("sqlite_"))


def table_checksums() -> dict[str, dict]:
    """Row count and SHA-256 of every table's rows in primary-key order (first column order when
    a table has no single primary key)."""
    result = {}
    with connection.cursor() as cursor:
        for table in _tables():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY 1")  # noqa: S608  # nosec B608  # table names from introspection, quoted with quote_name; no input reaches it
            digest, rows = hashlib.sha256(), 0
            while batch := cursor.fetchmany(2000):
                for row in batch:
                    digest.update(repr(tuple(row)).encode())
                    rows += 1
            result[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def media_checksums(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {path.relative_to(root).as_posix(): _file_sha256(path)
            for path in sorted(root.rglob("*")) if path.is_file()}


def _migrations() -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [list(row) for row in cursor.fetchall()]


# --- database dumps ----------------------------------------------------------------------------

def _pg_env_and_args() -> tuple[dict, list[str]]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--dbname", str(connection.settings_dict["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, args


def _run(command: list[str], env: dict) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (apt-get install postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-500:]}")


def _dump_database(target: Path) -> None:
    if connection.vendor == "sqlite":
        if connection.in_atomic_block:  # SQLite's backup would wait forever on its own lock
            raise BackupError("a backup cannot run inside a database transaction")
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)  # consistent even while others write
        finally:
            destination.close()
    elif connection.vendor == "postgresql":
        env, args = _pg_env_and_args()
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)
    else:
        raise BackupError(f"backups of a {connection.vendor} database are not supported")


def _load_database(source: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        origin = sqlite3.connect(source)
        try:
            origin.backup(connection.connection)  # replaces every page of the live database
        finally:
            origin.close()
    else:
        env, args = _pg_env_and_args()
        connection.close()  # pg_restore drops tables this connection might hold locks on
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              *args, str(source)], env)


# --- keys --------------------------------------------------------------------------------------

def _keys() -> dict:
    return {"secret_key": settings.SECRET_KEY,
            "field_keys": list(settings.RESILIENCE_FIELD_KEYS),
            "hash_key": settings.RESILIENCE_HASH_KEY}


def _restore_keys(saved: dict) -> list[str]:
    """Put the saved keys where this instance reads them; return warnings for keys set in the
    environment that differ (the operator must change those)."""
    warnings = []
    from resilience.config import KEY_FILE

    if os.environ.get("RESILIENCE_FIELD_KEY") or os.environ.get("RESILIENCE_HASH_KEY"):
        if saved["field_keys"] != list(settings.RESILIENCE_FIELD_KEYS):
            warnings.append("RESILIENCE_FIELD_KEY differs from the backup's field keys: set it to "
                            "the backup's keys (keys.json in the archive), or personal data "
                            "cannot be decrypted")
        if saved["hash_key"] != settings.RESILIENCE_HASH_KEY:
            warnings.append("RESILIENCE_HASH_KEY differs from the backup's: set it to the "
                            "backup's, or look-ups by ID number and phone will find nothing")
        return warnings
    path = Path(settings.DATA_DIR) / KEY_FILE
    path.write_text(json.dumps({"secret_key": saved["secret_key"],
                                "field_key": ",".join(saved["field_keys"]),
                                "hash_key": saved["hash_key"]}, indent=2))
    path.chmod(0o600)
    return warnings


# --- backup and restore ------------------------------------------------------------------------

def default_path() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / "backups" / f"resilience-{stamp}.tar.gz"


def backup(out: Path, *, keys: bool = True) -> dict:
    """Write the archive to ``out`` and return its manifest."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    media = Path(settings.MEDIA_ROOT)
    dump_name = DUMP_NAMES.get(connection.vendor)
    if dump_name is None:
        raise BackupError(f"backups of a {connection.vendor} database are not supported")
    with tempfile.TemporaryDirectory(prefix="resilience-backup-") as work:
        dump = Path(work) / dump_name
        _dump_database(dump)
        manifest = {
            "format": FORMAT,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(),
            "vendor": connection.vendor,
            "migrations": _migrations(),
            "tables": table_checksums(),
            "media": media_checksums(media),
            "keys": keys,
        }
        partial = out.with_name(out.name + ".partial")  # never leave a half archive under the name
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
            archive.add(dump, arcname=dump_name)
            if keys:
                _add_bytes(archive, "keys.json", json.dumps(_keys(), indent=1).encode())
            for name in manifest["media"]:
                archive.add(media / name, arcname=f"media/{name}")
        partial.replace(out)
        out.chmod(0o600)  # it may hold the keys
    return manifest


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def read_manifest(path: Path) -> dict:
    try:
        with tarfile.open(path, "r:gz") as archive:
            handle = archive.extractfile("manifest.json")
            if handle is None:
                raise KeyError("manifest.json")
            manifest = json.load(handle)
    except (OSError, tarfile.TarError, KeyError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is not a Resilient Community backup: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has backup format {manifest.get('format')!r}; this version "
                          f"reads format {FORMAT}")
    return manifest


def restore(path: Path) -> tuple[Verification, list[str]]:
    """Replace this instance's database, media and (where kept in the data directory) keys with
    the archive's; return the verification and any warnings."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest["vendor"] != connection.vendor:
        raise BackupError(f"the backup is of a {manifest['vendor']} database; this instance uses "
                          f"{connection.vendor}. Restore it into a {manifest['vendor']} instance.")
    warnings: list[str] = []
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="resilience-restore-") as work:
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(work, filter="data")  # refuses absolute paths and links out
        work_path = Path(work)
        _load_database(work_path / DUMP_NAMES[manifest["vendor"]])
        if media.exists() and any(media.iterdir()):
            kept = media.with_name(f"{media.name}.before-restore-"
                                   f"{dt.datetime.now():%Y%m%d-%H%M%S}")
            media.rename(kept)
            warnings.append(f"the media directory it replaced is kept at {kept}")
        media.mkdir(parents=True, exist_ok=True)
        restored_media = work_path / "media"
        if restored_media.exists():
            shutil.copytree(restored_media, media, dirs_exist_ok=True)
        if manifest.get("keys") and (work_path / "keys.json").exists():
            warnings += _restore_keys(json.loads((work_path / "keys.json").read_text()))
    return verify(manifest), warnings


def verify(manifest: dict) -> Verification:
    """Compare this instance with a manifest, table by table and file by file."""
    now = table_checksums()
    result = Verification(tables=len(manifest["tables"]), files=len(manifest["media"]))
    for table, saved in manifest["tables"].items():
        result.rows += saved["rows"]
        if now.get(table) != saved:
            result.differing_tables.append(table)
    result.differing_tables += sorted(set(now) - set(manifest["tables"]))
    media_now = media_checksums(Path(settings.MEDIA_ROOT))
    result.differing_files = sorted(name for name in set(media_now) | set(manifest["media"])
                                    if media_now.get(name) != manifest["media"].get(name))
    return result
