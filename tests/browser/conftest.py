"""Browser tests drive Debian's Chromium through Playwright; never a downloaded browser."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run
# beside it though the two never share a connection here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def require_browser() -> None:
    """Skip (or fail, with RESILIENCE_REQUIRE_ALL=1) when Chromium or Playwright is missing."""
    reason = None
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright is not installed (pip install -e '.[test]')"
    if reason is None:
        return
    print(f"browser test not run: {reason}")
    if os.environ.get("RESILIENCE_REQUIRE_ALL") == "1":
        pytest.fail(f"RESILIENCE_REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # Database connections the test opened while Playwright ran belong to Playwright's
            # context and would outlive it (PostgreSQL then refuses to drop the test database).
            from django.db import connections

            connections.close_all()


@pytest.fixture
def results_dir() -> Path:
    RESULTS.mkdir(exist_ok=True)
    return RESULTS


@pytest.fixture
def sign_in():
    """``sign_in(page, live_server, username)``: sign in through the login page."""
    from resilience.core.testing import PASSWORD

    def sign_in(page, live_server, username: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]:has-text('Sign in')")
        page.wait_for_url(f"{live_server.url}/")

    return sign_in
