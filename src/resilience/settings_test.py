"""Settings for the test suite: fixed keys, so encryption works without a data directory."""
import os
from pathlib import Path

os.environ.setdefault("RESILIENCE_SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("RESILIENCE_FIELD_KEY", "l8k2-S2G4-nK0y3hEBsW0dJ6Y8a8h7Q2cWmXk3bXkUQ=")
os.environ.setdefault("RESILIENCE_HASH_KEY", "test-hash-key")
os.environ.setdefault("RESILIENCE_DATA_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test"))

from resilience.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
