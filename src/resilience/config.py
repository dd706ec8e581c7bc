"""Operator configuration read from the environment, kept apart from Django settings.

Every function here either returns a usable value or raises ``ImproperlyConfigured`` with a
message that names the variable to set.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_FILE = "keys.json"


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected 1/0, true/false, yes/no or on/off")


def csv(name: str, default: str) -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


def data_dir() -> Path:
    """Where a laptop install keeps its SQLite database, media and generated keys."""
    path = Path(env("RESILIENCE_DATA_DIR", "var")).resolve()
    return path


def database(data: Path) -> dict:
    """PostgreSQL when DATABASE_URL is set, otherwise SQLite in WAL mode in the data directory."""
    url = env("DATABASE_URL")
    if url:
        import dj_database_url

        try:
            # A connection per request, closed after it: under ASGI each request runs in a
            # thread of its own, so persistent connections would pile up (50 clients took all
            # of PostgreSQL's 100 connections in `resilience bench load`). Long-running
            # workers and ingesters keep theirs: they have no request boundaries.
            db = dj_database_url.parse(url, conn_max_age=0)
        except Exception as exc:  # the library raises several types for bad URLs
            raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
        db.setdefault("TEST", {})["NAME"] = env("RESILIENCE_TEST_DATABASE", "") or None
        if not db["TEST"]["NAME"]:
            del db["TEST"]["NAME"]
        return db
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": data / "resilience.sqlite3",
        "OPTIONS": {
            # WAL lets the web server, worker and ingester read while one of them writes;
            # IMMEDIATE takes the write lock at BEGIN so concurrent writers wait instead of failing.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def _key_file(data: Path) -> dict:
    path = data / KEY_FILE
    if path.exists():
        return json.loads(path.read_text())
    if not flag("RESILIENCE_CREATE_KEYS", False):
        return {}
    # Laptop mode (`resilience demo`, `generate`): make keys once and keep them beside the data,
    # so the data stays readable across restarts.
    keys = {
        "secret_key": secrets.token_urlsafe(50),
        "field_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "hash_key": secrets.token_urlsafe(32),
    }
    data.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys, indent=2))
    path.chmod(0o600)
    return keys


def secret_key(data: Path) -> str:
    value = env("RESILIENCE_SECRET_KEY") or _key_file(data).get("secret_key")
    if not value:
        raise ImproperlyConfigured(
            "RESILIENCE_SECRET_KEY is not set. Set it to a long random string "
            "(or run `resilience demo`, which creates keys in the data directory)."
        )
    return value


def field_keys(data: Path) -> tuple[list[str], str]:
    """Encryption keys for personal data (newest first) and the key of the look-up hash."""
    stored = _key_file(data)
    raw = env("RESILIENCE_FIELD_KEY") or stored.get("field_key", "")
    hash_key = env("RESILIENCE_HASH_KEY") or stored.get("hash_key", "")
    if not raw or not hash_key:
        raise ImproperlyConfigured(
            "RESILIENCE_FIELD_KEY and RESILIENCE_HASH_KEY must be set to encrypt personal data. "
            "Make a field key with: python -c \"from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())\""
        )
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    from cryptography.fernet import Fernet

    for key in keys:
        try:
            Fernet(key)
        except Exception as exc:
            raise ImproperlyConfigured(
                "RESILIENCE_FIELD_KEY holds a key that is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from exc
    return keys, hash_key
