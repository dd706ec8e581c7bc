"""`resilience import-cap FILE|URL`: exit status 0 when accepted, 1 with the reason when refused."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from resilience.alerts.cap.testing import EXAMPLES, cap_document, loopback_server, square_ring
from tests.services import require

OVER_COMMUNITY = square_ring(31.231, 121.471, 0.005)
SETUP = """
from resilience.core.testing import square
from resilience.places.models import Community, Region
street = Region.objects.create(code="310101001", name="Street", level="street")
Community.objects.create(code="comm-a", name="Community A", region=street,
                         geometry=square(121.47, 31.23, 0.01))
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A fresh SQLite data directory with one community, made through the CLI itself."""
    folder = tmp_path_factory.mktemp("cli") / "var"
    for args in (["migrate", "--verbosity", "0"], ["shell", "-c", SETUP]):
        done = run("manage", "--data-dir", str(folder), *args, timeout=300)
        assert done.returncode == 0, done.stderr
    return folder


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    # SQLite in the given data directory, whatever database the test run itself uses.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "resilience.settings_test"
    return subprocess.run([sys.executable, "-m", "resilience.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def import_cap(data_dir, source: str, *flags: str) -> subprocess.CompletedProcess:
    return run("import-cap", "--data-dir", str(data_dir), source, *flags)


def test_import_cap_has_help():
    result = run("import-cap", "--help")
    assert result.returncode == 0 and "usage: resilience import-cap" in result.stdout
    assert "--auto-issue" in result.stdout


def test_an_alert_over_the_community_is_relayed_once(data_dir, tmp_path):
    path = tmp_path / "over.cap"
    path.write_bytes(cap_document("CLI-1", polygons=(OVER_COMMUNITY,)))
    first = import_cap(data_dir, str(path), "--auto-issue")
    assert first.returncode == 0, first.stderr
    assert "relayed to Community A (comm-a)" in first.stdout and "issued" in first.stdout
    again = import_cap(data_dir, str(path))
    assert again.returncode == 0, again.stderr
    assert "already relayed to Community A" in again.stdout


def test_an_accepted_alert_that_covers_no_community_exits_0_and_says_so(data_dir):
    require((EXAMPLES / "world").is_dir(), f"reference data missing: {EXAMPLES}")
    result = import_cap(data_dir, str(EXAMPLES / "world" / "canada.cap"))
    assert result.returncode == 0, result.stderr
    assert "Accepted CAP 1.2" in result.stdout and "No community" in result.stdout


@pytest.mark.parametrize(("name", "reason"), [
    ("world/earthquake.cap", "CAP 1.1 is not accepted"),
    ("world/invalid.cap", "Not valid CAP 1.2"),
    ("world/rfs.xml", "EDXL-DE"),
    ("attack/xxe.cap", "DOCTYPE"),
])
def test_a_refused_document_exits_1_with_the_reason(data_dir, name, reason):
    require((EXAMPLES / name).is_file(), f"reference data missing: {EXAMPLES / name}")
    result = import_cap(data_dir, str(EXAMPLES / name))
    assert result.returncode == 1
    assert "refused" in result.stderr and reason in result.stderr


@pytest.mark.parametrize(("source", "reason"), [
    ("file:///etc/passwd", "Only http and https"),
    ("ftp://example.org/alert.cap", "Only http and https"),
    ("/no/such/file.cap", "Cannot read"),
])
def test_unusable_sources_exit_1_with_the_reason(data_dir, source, reason):
    result = import_cap(data_dir, source)
    assert result.returncode == 1 and reason in result.stderr


def test_an_alert_is_fetched_from_a_url(data_dir):
    routes = {"/alert.xml": (cap_document("CLI-URL", polygons=(OVER_COMMUNITY,)),
                             "application/cap+xml")}
    with loopback_server(routes) as server:
        result = import_cap(data_dir, server.base + "/alert.xml")
        missing = import_cap(data_dir, server.base + "/missing.xml")
    assert result.returncode == 0, result.stderr
    assert "relayed to Community A" in result.stdout and "draft" in result.stdout
    assert missing.returncode == 1 and "404" in missing.stderr
