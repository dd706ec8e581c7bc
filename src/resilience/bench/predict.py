"""``resilience bench predict``: what forecasts and anomaly scores cost an ingestion cycle.

One **cycle** is every sensor reporting once: a batch of N readings (one per sensor) through the
whole pipeline — parse, check, store, rules (``monitoring.ingest.store``) — as the ingester runs
it. For N = 1,000 / 3,000 / 10,000 temperature sensors, on SQLite (a temporary file) and
PostgreSQL (a scratch database it creates and drops), each in a child process, three rule sets:

- **thresholds** — set A: the platform defaults that watch them (rate of rise, silence) and a
  community threshold at 80 °C: the ingestion benchmark's rules;
- **forecasts** — set B: the same, plus a forecast rule (pre-alarm 80 °C within 500 s, armed
  from 0 °C: every sensor armed) and an anomaly rule with a 24-hour baseline for every sensor:
  each reading updates the sensor's running trend and gets its anomaly score; readings steady
  (the normal case: the running trend keeps the Theil–Sen fit asleep);
- **forecasts, rising** — the same rules with every sensor (of A and B) rising 0.05 °C/s, so
  that the limit is 10–20 minutes away: outside the horizon, and — once the running trends have
  caught the climb, after ``RISING_WARMUP`` cycles — inside the gate (3 × 500 s), so every
  sensor needs the Theil–Sen fit and no alarm opens (the worst case short of an alarm storm).
  The fits follow their schedule (``rules.predictive.next_fit``): all at the cycle each sensor
  enters the gate, then again as the crossing nears the horizon;
- **rising, fit every reading** — the same, with that schedule off (``REFIT_SHARE = 0``): the
  fit runs for every sensor every cycle, as before the schedule existed.

Set A and set B (N sensors each) report in turn, cycle after cycle, so a busy machine weighs on
both alike. Per size and mode: ``warmup`` cycles (memory filling), then the median of
``cycles`` timed cycles (the garbage collector run before each cycle, untimed, and off within
it — as ``timeit`` does — for both sets); readings/s = N ÷ that; the ratio of set A's median
to set B's of the same run (same readings, same cycles); the same from the **CPU time** of the process (which
holds the engine, and on SQLite the database: on a machine shared with other work the wall clock
swings with the neighbours' load, the CPU time much less; on PostgreSQL it leaves out the
server's share, which is the same for both sets, so its ratio is the harsher); the fits per
timed cycle, and the timed cycle with the most fits (the sensors entering the gate together)
with its CPU time and ratio to set A's cycle of the same readings.
"""
from __future__ import annotations

import datetime as dt
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from resilience.bench.databases import SQLiteDatabase, keys_env
from resilience.bench.seed import STEP_SECONDS, sensor_code

FULL = {"sizes": (1_000, 3_000, 10_000), "warmup": 3, "cycles": 7}
QUICK = {"sizes": (100, 300, 1_000), "warmup": 2, "cycles": 3}
MODES = ("thresholds", "forecasts", "forecasts, rising", "rising, fit every reading")
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/resilience_bench_predict"
FORECAST = {"op": "above", "value": 80, "arm": 0, "horizon": 1000, "window": 600,
            "min_points": 5}
RISE_PER_SECOND = 0.03  # 9 °C in 5 minutes: short of the platform's rate rule (10 °C)
RISING_WARMUP = 18  # cycles before the running trends put the limit inside the gate: about 20
BASELINE_SPREAD = 1.0  # °C: the rising readings (to ~28 °C) stay well short of the anomaly z


# --- in the child process -----------------------------------------------------------------------

def b_code(i: int) -> str:
    return f"bench-b-{i:05d}"


def _prepare(sizes) -> dict:
    """Two sets of temperature sensors: set A watched by the thresholds, set B (on a power room)
    by the same rules and the forecast and anomaly rules (which name that facility type), each
    sensor of B with a 24-hour baseline."""
    from resilience.bench.seed import seed
    from resilience.monitoring.baseline import compute
    from resilience.monitoring.models import Baseline, Rule, Sensor
    from resilience.places.models import Facility

    n = max(sizes)
    info = seed(n)
    community_id = info["community"]
    room = Facility.objects.create(community_id=community_id, kind="power_room", code="bench-pr",
                                   name="Bench power room")
    Sensor.objects.bulk_create([
        Sensor(community_id=community_id, facility=room, code=b_code(i), name=f"Bench B {i}",
               kind="temperature", interval_seconds=STEP_SECONDS) for i in range(n)
    ], batch_size=1000)
    common = {"community_id": community_id, "sensor_kind": "temperature"}
    Rule.objects.create(name="Hot", kind="threshold", level=2,
                        params={"op": "above", "value": 80, "clear": 75}, **common)
    Rule.objects.create(name="Heading for 80", kind="predictive", level=3, params=FORECAST,
                        facility_kind="power_room", **common)
    Rule.objects.create(name="Unusual", kind="anomaly", level=3, params={"z": 20, "clear": 10},
                        facility_kind="power_room", **common)
    now = dt.datetime.now(dt.UTC)
    times = [now - dt.timedelta(minutes=20 * k) for k in range(24 * 3 * 7)]
    rng = random.Random(1)
    data = compute(times, [20 + rng.gauss(0, BASELINE_SPREAD) for _ in times], 24)
    Baseline.objects.bulk_create([
        Baseline(community_id=community_id, sensor_id=pk, since=times[-1], until=times[0],
                 readings=len(times), **data)
        for pk in Sensor.objects.filter(facility=room).values_list("pk", flat=True)
    ], batch_size=1000)
    return info


def _payload(codes, at: dt.datetime, k: int, rising: bool, rng) -> bytes:
    items = []
    for code in codes:
        value = 20 + (RISE_PER_SECOND * STEP_SECONDS * k if rising else 0) + rng.gauss(0, 0.1)
        items.append({"sensor": code, "time": at.isoformat(), "value": round(value, 3)})
    return json.dumps(items).encode()


def _timed_store(payload: bytes, n: int) -> tuple[float, float]:
    """Store one cycle's batch: (wall seconds, CPU seconds of this process)."""
    from resilience.monitoring.ingest import Batch, store

    # As ``timeit`` does: the collector's full passes (~0.1 s at 10,000 sensors a set, every two
    # or three cycles, whichever set's allocations trip them) would land on either set at random;
    # collected before each cycle, untimed, and off within it — for both sets alike.
    gc.collect()
    gc.disable()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        batch = Batch("http")
        batch.add_payload(payload)
        result = store(batch)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        gc.enable()
    if result.stored != n:
        raise RuntimeError(f"stored {result.stored} of {n} readings")
    return elapsed, cpu


def _measure(n: int, mode: str, base: dt.datetime, warmup: int, cycles: int) -> list[dict]:
    """Cycles of set A (thresholds) and set B (with forecasts) in turn, so the load of the
    machine weighs on both alike."""
    from resilience.monitoring.models import Alarm
    from resilience.monitoring.rules import engine, predictive

    rising = mode != MODES[1]
    shipped = predictive.REFIT_SHARE
    if mode == MODES[3]:
        predictive.REFIT_SHARE = 0.0
    rng = random.Random(n)
    a_codes = [sensor_code(i) for i in range(n)]
    b_codes = [b_code(i) for i in range(n)]
    alarms_before = Alarm.objects.count()
    timings: dict[str, list[float]] = {"A": [], "B": []}
    cpu: dict[str, list[float]] = {"A": [], "B": []}
    fits = []
    for k in range(warmup + cycles):
        at = base + dt.timedelta(seconds=STEP_SECONDS * k)
        order = ("A", "B") if k % 2 else ("B", "A")
        for which in order:
            codes = a_codes if which == "A" else b_codes
            before = engine._early.fits
            elapsed, spent = _timed_store(_payload(codes, at, k, rising, rng), n)
            if k >= warmup:
                timings[which].append(elapsed)
                cpu[which].append(spent)
                if which == "B":
                    fits.append(engine._early.fits - before)
    predictive.REFIT_SHARE = shipped
    opened = Alarm.objects.count() - alarms_before
    rows = []
    for which, name in (("A", "thresholds"), ("B", mode)):
        median = statistics.median(timings[which])
        rows.append({"sensors": n, "mode": name, "cycle_ms": round(median * 1000, 1),
                     "readings_per_s": round(n / median),
                     "alarms_opened": opened if which == "B" else 0})
    for row, which in zip(rows, "AB"):
        row["cpu_ms"] = round(statistics.median(cpu[which]) * 1000, 1)
    # The cycle with the most fits (the one where the sensors enter the gate together).
    peak = max(range(cycles), key=lambda c: (fits[c], cpu["B"][c]))
    rows[1].update({
        "ratio": round(statistics.median(timings["A"]) / statistics.median(timings["B"]), 3),
        "cpu_ratio": round(statistics.median(cpu["A"]) / statistics.median(cpu["B"]), 3),
        "fits_per_cycle": round(statistics.fmean(fits)), "fits_max": fits[peak],
        "peak_cpu_ms": round(cpu["B"][peak] * 1000, 1),
        "peak_cpu_ratio": round(cpu["A"][peak] / cpu["B"][peak], 3)})
    return rows


def child(spec: dict) -> dict:
    """Migrate the database the environment names, seed it, measure every size and mode."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resilience.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    _prepare(spec["sizes"])
    rows = []
    base = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=2)
    run = 0
    for n in spec["sizes"]:
        thresholds = []
        for mode in MODES[1:]:
            start = base + dt.timedelta(hours=run)  # a fresh stretch of time for each run
            warmup = spec["warmup"] if mode == MODES[1] else RISING_WARMUP
            a_row, b_row = _measure(n, mode, start, warmup, spec["cycles"])
            thresholds.append(a_row)
            rows.append(b_row)
            run += 1
        # Set A measured once per mode: its row shows the mean (each ratio is to its own run).
        cycle_ms = round(statistics.fmean(r["cycle_ms"] for r in thresholds), 1)
        rows.insert(len(rows) - len(MODES) + 1, {
            "sensors": n, "mode": MODES[0], "cycle_ms": cycle_ms,
            "cpu_ms": round(statistics.fmean(r["cpu_ms"] for r in thresholds), 1),
            "readings_per_s": round(n / (cycle_ms / 1000)), "alarms_opened": 0, "ratio": 1.0,
            "cpu_ratio": 1.0})
    return {"vendor": connection.vendor, "rows": rows}


# --- in the parent -------------------------------------------------------------------------------

def _run_child(database, spec: dict, env: dict) -> dict:
    child_env = {**os.environ, **env, **database.env(),
                 "DJANGO_SETTINGS_MODULE": "resilience.settings"}
    result = subprocess.run([sys.executable, "-m", "resilience.bench.predict", json.dumps(spec)],
                            env=child_env, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"{database.vendor}: {result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def add_ratios(rows: list[dict]) -> None:
    """Rows of older result files had no ratio: to the thresholds row of their size."""
    base = {r["sensors"]: r["readings_per_s"] for r in rows if r["mode"] == "thresholds"}
    for r in rows:
        if r.get("ratio") is None:
            r["ratio"] = round(r["readings_per_s"] / base[r["sensors"]], 3) \
                if r["sensors"] in base else None


def slope(rows: list[dict], mode: str) -> float | None:
    """Milliseconds per 1,000 sensors of a cycle (least squares over the sizes)."""
    points = [(r["sensors"], r["cycle_ms"]) for r in rows if r["mode"] == mode]
    if len(points) < 2:
        return None
    mx = statistics.fmean(p[0] for p in points)
    my = statistics.fmean(p[1] for p in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return round(b * 1000, 2)


def table(results: dict) -> str:
    lines = [f"{'database':<11}{'sensors':>8}  {'rules':<26}{'cycle ms':>9}{'readings/s':>11}"
             f"{'ratio':>6}{'cpu ms':>8}{'ratio':>6}{'alarms':>7}{'fits/cycle':>11}"
             f"  most fits: cpu ms (ratio, fits)"]
    for vendor, data in results["databases"].items():
        if "skipped" in data:
            lines.append(f"{vendor:<11} skipped: {data['skipped']}")
            continue
        for r in data["rows"]:
            ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else "—"
            peak = (f"{r['peak_cpu_ms']} ({r['peak_cpu_ratio']:.2f}, {r['fits_max']})"
                    if "peak_cpu_ms" in r else "")
            cpu_ratio = f"{r['cpu_ratio']:.2f}" if r.get("cpu_ratio") is not None else "—"
            lines.append(f"{vendor:<11}{r['sensors']:>8}  {r['mode']:<26}{r['cycle_ms']:>9}"
                         f"{r['readings_per_s']:>11}{ratio:>6}{r.get('cpu_ms', '—'):>8}"
                         f"{cpu_ratio:>6}{r['alarms_opened']:>7}"
                         f"{r.get('fits_per_cycle', ''):>11}  {peak}")
        for mode in MODES:
            lines.append(f"{vendor:<11} slope, {mode}: {data['slopes'][mode]} ms per 1,000 sensors")
    return "\n".join(lines)


def run(args) -> int:
    """Entry point of ``resilience bench predict``."""
    from resilience.bench.ingest import machine, postgres_available, postgres_from_url

    spec = dict(QUICK if args.quick else FULL)
    wanted = [d.strip() for d in (getattr(args, "databases", None) or "postgresql,sqlite")
              .split(",") if d.strip()]
    output = Path(args.output or "benchmarks/results/predict.json")
    results: dict = {"benchmark": "predict", "quick": bool(args.quick),
                     "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     "machine": machine(), "spec": spec, "databases": {}}
    env = keys_env()
    for vendor in wanted:
        if vendor == "postgresql":
            database = postgres_from_url(getattr(args, "postgres", None)
                                         or os.environ.get("RESILIENCE_BENCH_POSTGRES")
                                         or DEFAULT_POSTGRES)
            why = postgres_available(database)
            if why:
                results["databases"]["postgresql"] = {"skipped": why}
                continue
            database.create()
            try:
                results["databases"]["postgresql"] = _run_child(database, spec, env)
            finally:
                database.drop()
        elif vendor == "sqlite":
            with tempfile.TemporaryDirectory(prefix="bench-predict-") as tmp:
                database = SQLiteDatabase(Path(tmp))
                database.create()
                results["databases"]["sqlite"] = _run_child(database, spec, env)
    for data in results["databases"].values():
        if "rows" in data:
            add_ratios(data["rows"])
            data["slopes"] = {mode: slope(data["rows"], mode) for mode in MODES}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"\nResults written to {output}")
    return 0


if __name__ == "__main__":
    print(json.dumps(child(json.loads(sys.argv[1]))))
