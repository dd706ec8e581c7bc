"""End to end: `resilience demo` on a fresh data directory serves a populated community and stops
cleanly on SIGTERM (issue 2, "Done when")."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str | None = None, data: dict | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def wait_until_up(base: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"resilience demo exited with {process.returncode}: "
                                 f"{process.stdout.read() if process.stdout else ''}")
        try:
            if get(base + "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("resilience demo did not come up in time")


def test_every_subcommand_has_help():
    for command in ["demo", "serve", "generate", "import", "export", "manage"]:
        result = subprocess.run([sys.executable, "-m", "resilience.cli", command, "--help"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "usage: resilience " + command in result.stdout


def test_demo_serves_a_populated_community_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RESILIENCE_", "DATABASE_URL"))}
    env["RESILIENCE_DEMO_PASSWORD"] = "demo-password-123"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "resilience.cli", "demo", "--port", str(port),
         "--data-dir", str(tmp_path / "var")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Read the output as it comes: a full pipe would block the demo's next print.
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        status, body = get(base + "/api/schema/?format=json")
        assert status == 200 and json.loads(body)["openapi"].startswith("3.")
        status, body = get(base + "/api/auth/token/", data={"username": "admin",
                                                             "password": "demo-password-123"})
        token = json.loads(body)["token"]
        status, body = get(base + "/api/residents/?page_size=5", token=token)
        page = json.loads(body)
        assert page["count"] > 3000
        for row in page["results"]:
            masked = row["id_number_masked"]
            assert len(masked) == 18 and masked[3:14] == "*" * 11
        status, body = get(base + "/api/geo/buildings/", token=token)
        assert len(json.loads(body)["features"]) == 60  # two communities of 30 buildings
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("resilience demo did not stop within 20 s of SIGTERM:\n"
                                 + "".join(lines)[-3000:])
        reader.join(5)
    output = "".join(lines)
    assert process.returncode == 0, output
    assert "admin" in output and "demo-password-123" in output
    assert "office" in output  # the street office of the two demo communities
    assert (tmp_path / "var" / "resilience.sqlite3").exists()


@pytest.mark.parametrize("argv, wrong", [
    (["serve", "--workers", "0"], "--workers: must be at least 1, not 0"),
    (["bench", "load", "--pace", "-1"], "--pace: must be at least 0, not -1"),
    (["bench", "load", "--clients", "many"], "--clients: 'many' is not a number"),
])
def test_a_count_out_of_range_is_refused_naming_the_option(argv, wrong, capsys):
    from resilience.cli import build_parser

    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(argv)
    assert stopped.value.code == 2
    assert wrong in capsys.readouterr().err
