"""Skip a test when something it needs is missing — or fail, when CI demands everything."""
import os

import pytest


def require(available, reason: str) -> None:
    """Skip with ``reason`` if ``available`` is falsy; with RESILIENCE_REQUIRE_ALL=1, fail instead."""
    if available:
        return
    if os.environ.get("RESILIENCE_REQUIRE_ALL") == "1":
        pytest.fail(f"required but missing (RESILIENCE_REQUIRE_ALL=1): {reason}")
    pytest.skip(reason)
