"""Settings for the test suite: fixed keys, so encryption works without a data directory."""
import os
from pathlib import Path

os.environ.setdefault("RESILIENCE_SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("RESILIENCE_FIELD_KEY", "l8k2-S2G4-nK0y3hEBsW0dJ6Y8a8h7Q2cWmXk3bXkUQ=")
os.environ.setdefault("RESILIENCE_HASH_KEY", "test-hash-key")
os.environ.setdefault("RESILIENCE_DATA_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test"))

from resilience.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file in WAL mode, as in production, rather than Django's in-memory shared-cache
    # database: there a second writer (the live server's request, the worker's thread) gets
    # "database table is locked" at once, while a file makes it wait its turn (busy timeout).
    _folder = Path(os.environ["RESILIENCE_DATA_DIR"])
    _folder.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_folder / "test.sqlite3")}  # noqa: F405
