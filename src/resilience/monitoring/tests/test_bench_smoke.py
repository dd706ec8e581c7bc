"""``resilience bench ingest --quick`` runs and writes its table and JSON (SQLite only, so it stays
under a minute; the figures are not checked: benchmarks measure, tests do not time)."""
import json
import os
import subprocess
import sys

from resilience.bench.services import mosquitto_binary
from tests.services import require


def test_the_quick_ingestion_benchmark_runs_on_sqlite(tmp_path):
    require(mosquitto_binary(), "mosquitto is not installed (apt-get install mosquitto)")
    output = tmp_path / "ingest.json"
    env = {**os.environ, "DATABASE_URL": "", "RESILIENCE_DATA_DIR": str(tmp_path / "var"),
           "DJANGO_SETTINGS_MODULE": "resilience.settings_test"}
    result = subprocess.run(
        [sys.executable, "-m", "resilience.cli", "bench", "ingest", "--quick", "--databases",
         "sqlite", "--output", str(output)],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "raw subscriber" in result.stdout and "sqlite end to end" in result.stdout
    assert "set_tcp_nodelay true" in result.stdout  # the broker config is stated
    results = json.loads(output.read_text())
    sqlite = results["databases"]["sqlite"]
    assert [r["readings_per_message"] for r in sqlite["by_batch"]] == [1, 10, 100]
    assert all(r["readings_per_s"] > 0 and r["ratio_to_raw"] > 0 for r in sqlite["by_batch"])
    assert len(sqlite["growth"]) == 3 and "seconds_per_100k" in sqlite["slope"]
    assert sqlite["latency"]["alarms"] > 0 and sqlite["latency"]["p99_ms"] is not None
