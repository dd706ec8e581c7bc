"""``resilience bench ingest``: how fast readings go from MQTT into the database, on this machine.

In one run, against a private Mosquitto with the tuned settings (``services.TUNED``):

1. **raw** — a do-nothing paho subscriber (QoS 1, automatic acknowledgement): the broker's limit
   here, at 1, 10 and 100 readings per message;
2. **end to end** — ``resilience ingest-mqtt`` as a child process (parse, validate, store, rules,
   acknowledgement after commit) into PostgreSQL (a scratch database it creates and drops) and
   SQLite (a temporary file), at 1, 10 and 100 readings per message, with its ratio to (1);
3. **growth** — end to end at 10 readings per message for three stream sizes, and the slope
   (seconds per 100,000 readings, least squares);
4. **latency** — observation → alarm at a paced 5,000 readings/s: threshold rules on some sensors,
   each crossed once at a known publish time; the ingester logs when each alarm's row committed
   (``RESILIENCE_ALARM_LOG``); latency = that time − the publish time.

Every rate is readings ÷ (when the last one arrived or was stored − when the first was published),
with the publisher in a process of its own in both cases.
"""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from resilience.bench.databases import PostgresDatabase, SQLiteDatabase, keys_env, seed_in_child
from resilience.bench.seed import COMMUNITY, STEP_SECONDS, sensor_code
from resilience.bench.services import (TUNED, IngesterProcess, PrivateBroker, mosquitto_binary)

PREFIX = "resilience"
SENSORS = 1000
BATCH_SIZES = (1, 10, 100)
FULL = {"by_batch": {1: 20_000, 10: 100_000, 100: 300_000}, "growth": (20_000, 100_000, 300_000),
        "latency_seconds": 10, "crossings": 200}
QUICK = {"by_batch": {1: 2_000, 10: 5_000, 100: 10_000}, "growth": (2_000, 5_000, 10_000),
         "latency_seconds": 3, "crossings": 30}
LATENCY_RATE = 5_000  # readings per second
LATENCY_PER_MESSAGE = 10
THRESHOLD = 80.0
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/resilience_bench"
INGESTER = {"batch_size": 5000, "batch_ms": 20}  # the defaults of `resilience ingest-mqtt`
TARGETS = {"postgresql_readings_per_s_at_10": 20_000, "ratio_to_raw": 0.5, "p99_ms": 250}


# --- child processes (spawned: no Django in them) -----------------------------------------------

def _client(port: int, client_id: str, clean: bool = True):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client


def _messages(spec: dict):
    """(topic, payload, crossing sensor index or None) of a stream described by ``spec``."""
    per, sensors, base = spec["per_message"], spec["sensors"], spec["base"]
    counts = [0] * sensors
    crossings = spec.get("crossings", {})
    n_messages = spec["readings"] // per
    out = []
    for m in range(n_messages):
        crossing = crossings.get(m)
        s = crossing if crossing is not None else m % sensors
        code = sensor_code(s)
        readings = []
        for _ in range(per):
            t = base + dt.timedelta(milliseconds=spec["step_ms"] * counts[s])
            counts[s] += 1
            value = 90.0 if crossing is not None else 20.0 + (counts[s] % 5) * 0.1
            readings.append({"sensor": code, "time": t.isoformat(), "value": value})
        payload = json.dumps(readings[0] if per == 1 else readings).encode()
        out.append((f"{PREFIX}/{COMMUNITY}/sensors/{code}", payload, crossing))
    return out


def _publish(port: int, spec: dict, conn) -> None:
    """Publish a stream at QoS 1, as fast as possible or at ``spec["rate"]`` readings/s; report
    the start, the end, acknowledgements and the publish time of each crossing."""
    import threading

    messages = _messages(spec)
    client = _client(port, f"bench-publisher-{os.getpid()}")
    done = threading.Event()
    acked = [0]

    def on_publish(c, u, mid, reason, props):
        acked[0] += 1
        if acked[0] >= len(messages):
            done.set()

    connected = threading.Event()
    client.on_connect = lambda c, u, f, r, p: connected.set()
    client.on_publish = on_publish
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    connected.wait(10)
    per = spec["per_message"]
    interval = per / spec["rate"] if spec.get("rate") else 0.0
    marks = {}
    started = time.time()
    for i, (topic, payload, crossing) in enumerate(messages):
        if interval:
            wait = started + i * interval - time.time()
            if wait > 0:
                time.sleep(wait)
        if crossing is not None:
            marks[crossing] = time.time()
        client.publish(topic, payload, qos=1)
    published = time.time()
    done.wait(600)
    conn.send({"started": started, "published": published, "acked_at": time.time(),
               "acked": acked[0], "messages": len(messages), "marks": marks})
    client.disconnect()
    client.loop_stop()


def _subscribe(port: int, expected: int, conn) -> None:
    """A subscriber that does nothing with what it receives: the broker's limit here."""
    import threading

    client = _client(port, f"bench-raw-{os.getpid()}")
    state = {"n": 0, "first": None, "last": None}
    finished = threading.Event()

    def on_message(c, u, msg):
        now = time.time()
        if state["first"] is None:
            state["first"] = now
        state["n"] += 1
        if state["n"] >= expected:
            state["last"] = now
            finished.set()

    ready = threading.Event()
    client.on_message = on_message
    client.on_connect = lambda c, u, f, r, p: c.subscribe(f"{PREFIX}/+/sensors/+", qos=1)
    client.on_subscribe = lambda c, u, mid, codes, p: ready.set()
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    ready.wait(10)
    conn.send("ready")
    finished.wait(600)
    conn.send(state)
    client.disconnect()
    client.loop_stop()


class Bench:
    def __init__(self, quick: bool, workdir: Path) -> None:
        self.quick = quick
        self.sizes = QUICK if quick else FULL
        self.workdir = workdir
        self.ctx = multiprocessing.get_context("spawn")
        self.broker = PrivateBroker(workdir / "broker")
        self.stream_no = 0

    def spec(self, readings: int, per: int, **extra) -> dict:
        # Each stream has its own time range: nothing is a duplicate of an earlier run.
        self.stream_no += 1
        base = (dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=30)
                + dt.timedelta(days=self.stream_no))
        return {"readings": readings, "per_message": per, "sensors": SENSORS, "base": base,
                "step_ms": STEP_SECONDS * 1000, **extra}

    def publish(self, spec: dict):
        parent, child = self.ctx.Pipe()
        process = self.ctx.Process(target=_publish, args=(self.broker.port, spec, child))
        process.start()
        return process, parent

    # 1. raw
    def raw(self, per: int, readings: int) -> dict:
        spec = self.spec(readings, per)
        messages = readings // per
        parent, child = self.ctx.Pipe()
        sub = self.ctx.Process(target=_subscribe, args=(self.broker.port, messages, child))
        sub.start()
        assert parent.recv() == "ready"
        pub, pub_pipe = self.publish(spec)
        report = pub_pipe.recv()
        state = parent.recv()
        pub.join(30)
        sub.join(30)
        seconds = state["last"] - report["started"]
        return {"readings_per_message": per, "readings": messages * per, "messages": messages,
                "seconds": round(seconds, 3), "readings_per_s": round(messages * per / seconds),
                "messages_per_s": round(messages / seconds),
                "publisher_readings_per_s": round(messages * per / (report["published"]
                                                                      - report["started"]))}

    # 2./3. end to end
    def end_to_end(self, database, per: int, readings: int) -> dict:
        spec = self.spec(readings, per)
        n = (readings // per) * per
        before = database.count()
        top = self.top_id(database)
        pub, pipe = self.publish(spec)
        deadline = time.time() + 600
        done_at = None
        # max(id) is an index look-up; count(*) would cost the database a scan every poll. Ids
        # of a rolled-back batch are skipped, so the count confirms at the end.
        while time.time() < deadline:
            if self.top_id(database) - top >= n and database.count() - before >= n:
                done_at = time.time()
                break
            time.sleep(0.01)
        report = pipe.recv()
        pub.join(30)
        if done_at is None:
            raise RuntimeError(f"{database.vendor}: only {database.count() - before} of {n} "
                               "readings stored in 10 minutes")
        seconds = done_at - report["started"]
        return {"readings_per_message": per, "readings": n, "messages": n // per,
                "seconds": round(seconds, 3), "readings_per_s": round(n / seconds)}

    # 4. latency
    def latency(self, database, alarm_log: Path) -> dict:
        seconds, crossings = self.sizes["latency_seconds"], self.sizes["crossings"]
        readings = LATENCY_RATE * seconds
        messages = readings // LATENCY_PER_MESSAGE
        # Crossing k at message m_k, evenly spread after the first second.
        first = messages // seconds
        marks = {first + (k * (messages - first)) // crossings: k for k in range(crossings)}
        spec = self.spec(readings, LATENCY_PER_MESSAGE, rate=LATENCY_RATE, crossings=marks)
        alarm_log.write_text("")
        top = self.top_id(database)
        pub, pipe = self.publish(spec)
        report = pipe.recv()
        pub.join(30)
        deadline = time.time() + 60
        while self.top_id(database) - top < messages * LATENCY_PER_MESSAGE \
                and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        ids = self.sensor_ids(database, crossings)
        alarmed: dict[int, float] = {}
        for line in alarm_log.read_text().splitlines():
            sensor_id, at = line.split("\t")
            alarmed.setdefault(int(sensor_id), float(at))
        samples = []  # (seconds into the stream, latency in ms)
        for k, published in sorted(report["marks"].items(), key=lambda kv: kv[1]):
            at = alarmed.get(ids[sensor_code(int(k))])
            if at is not None:
                samples.append((round(published - report["started"], 3),
                                round((at - published) * 1000, 1)))
        latencies = sorted(ms for _t, ms in samples)
        achieved = messages * LATENCY_PER_MESSAGE / (report["published"] - report["started"])
        return {"rate_target": LATENCY_RATE, "rate_published": round(achieved),
                "crossings": crossings, "alarms": len(latencies),
                "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
                "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
                "max_ms": round(latencies[-1], 1) if latencies else None, "samples": samples}

    @staticmethod
    def top_id(database) -> int:
        return database.scalar("SELECT coalesce(max(id), 0) FROM monitoring_observation")

    @staticmethod
    def sensor_ids(database, n: int) -> dict[str, int]:
        codes = ",".join(f"'{sensor_code(k)}'" for k in range(n))
        with_conn = database.connect()
        try:
            rows = with_conn.execute(f"SELECT code, id FROM monitoring_sensor WHERE code IN ({codes})")  # nosec B608 # codes are bench-NNNNN
            return dict(rows.fetchall())
        finally:
            with_conn.close()

    def run_database(self, database, env: dict) -> dict:
        database.create()
        started = time.time()
        seed_in_child(database, env, SENSORS, threshold_sensors=self.sizes["crossings"],
                      threshold=THRESHOLD)
        setup = time.time() - started
        alarm_log = self.workdir / f"alarms-{database.vendor}.log"
        ingester = IngesterProcess(self.broker.port, {**env, **database.env(),
                                                      "RESILIENCE_ALARM_LOG": str(alarm_log)},
                                   client_id=f"bench-ingester-{database.vendor}", **INGESTER)
        ingester.start()
        result: dict = {"setup_seconds": round(setup, 1)}
        try:
            # A warm-up: caches, connections, the rules' memory.
            self.end_to_end(database, 10, min(5_000, self.sizes["growth"][0]))
            result["by_batch"] = [self.end_to_end(database, per, n)
                                  for per, n in self.sizes["by_batch"].items()]
            by_size = {r["readings"]: r for r in result["by_batch"] if r["readings_per_message"] == 10}
            result["growth"] = [by_size.get(n) or self.end_to_end(database, 10, n)
                                for n in self.sizes["growth"]]
            result["slope"] = slope(result["growth"])
            result["latency"] = self.latency(database, alarm_log)
        finally:
            ingester.stop()
            result["ingester_summary"] = ingester.output().strip().splitlines()[-1:]
        if database.vendor == "postgresql":
            result["insert_methods"] = insert_methods(database)
        return result


def insert_methods(database, batches: int = 10) -> list[dict]:
    """The two ways the pipeline inserts into PostgreSQL, on the observations table itself:
    one INSERT of three arrays, or COPY into a temporary table and INSERT … SELECT (both with
    ON CONFLICT DO NOTHING RETURNING), for a small and a large batch, commits included."""
    from resilience.monitoring.ingest import insert_postgresql

    conn = database.connect()
    conn.autocommit = False
    ids = [row[0] for row in conn.execute(
        "SELECT id FROM monitoring_sensor ORDER BY id LIMIT %s", (SENSORS,))]
    conn.commit()
    base = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    out, offset = [], 0
    try:
        for rows in (200, 5000):
            for method in ("arrays", "copy"):
                seconds = 0.0
                for _ in range(batches):
                    readings = {(ids[i % len(ids)], base + dt.timedelta(seconds=offset + i)): 20.5
                                for i in range(rows)}
                    offset += rows
                    started = time.perf_counter()
                    with conn.cursor() as cursor:
                        new = insert_postgresql(cursor, readings, method == "copy")
                    conn.commit()
                    seconds += time.perf_counter() - started
                    assert len(new) == rows
                out.append({"rows_per_batch": rows, "method": method,
                            "rows_per_s": round(rows * batches / seconds)})
    finally:
        conn.close()
    return out


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if q < 100 \
        else values[-1]


def slope(points: list[dict]) -> dict:
    """Least-squares seconds = a + b·readings; b as seconds per 100,000 readings."""
    xs = [p["readings"] for p in points]
    ys = [p["seconds"] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    return {"seconds_per_100k": round(b * 100_000, 3), "fixed_seconds": round(a, 3),
            "marginal_readings_per_s": round(1 / b) if b > 0 else None}


def postgres_from_url(url: str) -> PostgresDatabase:
    parts = urlparse(url)
    return PostgresDatabase((parts.path or "/resilience_bench").lstrip("/") or "resilience_bench",
                            parts.hostname or "127.0.0.1", parts.port or 5432,
                            unquote(parts.username or "postgres"),
                            unquote(parts.password) if parts.password else None)


def postgres_available(database: PostgresDatabase) -> str | None:
    """None if the server answers, else why not."""
    try:
        with database.connect("postgres"):
            return None
    except Exception as exc:  # any failure means: not available here
        return str(exc).strip().splitlines()[0]


def machine() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "sqlite": __import__("sqlite3").sqlite_version}


def run(args) -> int:
    if mosquitto_binary() is None:
        print("resilience bench ingest: mosquitto is not installed (apt-get install mosquitto)",
              file=sys.stderr)
        return 2
    quick = bool(args.quick)
    wanted = [d.strip() for d in (getattr(args, "databases", None)
                                  or "postgresql,sqlite").split(",") if d.strip()]
    output = Path(args.output or "benchmarks/results/ingest.json")
    env = {**keys_env(), "DJANGO_SETTINGS_MODULE": "resilience.settings",
           "RESILIENCE_LOG_LEVEL": "WARNING"}
    results: dict = {"benchmark": "ingest", "quick": quick, "when": dt.datetime.now(dt.UTC)
                     .isoformat(timespec="seconds"), "machine": machine(),
                     "ingester": INGESTER, "sensors": SENSORS, "targets": TARGETS,
                     "command": "resilience bench ingest" + (" --quick" if quick else "")}
    with tempfile.TemporaryDirectory(prefix="resilience-bench-") as tmp:
        bench = Bench(quick, Path(tmp))
        results["broker"] = {"mosquitto": mosquitto_version(),
                             "config": [line for line in bench.broker.config_lines
                                        if not line.startswith("persistence_location")]}
        bench.broker.start()
        try:
            print(f"Broker: private Mosquitto on port {bench.broker.port}: "
                  + "; ".join(TUNED), flush=True)
            results["raw"] = []
            for per, n in bench.sizes["by_batch"].items():
                print(f"raw subscriber, {per} readings/message…", flush=True)
                results["raw"].append(bench.raw(per, n))
            results["databases"] = {}
            if "postgresql" in wanted:
                pg = postgres_from_url(getattr(args, "postgres", None)
                                       or os.environ.get("RESILIENCE_BENCH_POSTGRES")
                                       or DEFAULT_POSTGRES)
                why = postgres_available(pg)
                if why:
                    print(f"PostgreSQL skipped: {why}", flush=True)
                    results["databases"]["postgresql"] = {"skipped": why}
                else:
                    print(f"PostgreSQL (scratch database {pg.name})…", flush=True)
                    try:
                        results["databases"]["postgresql"] = bench.run_database(pg, env)
                    finally:
                        pg.drop()
            if "sqlite" in wanted:
                print("SQLite (temporary file)…", flush=True)
                results["databases"]["sqlite"] = bench.run_database(
                    SQLiteDatabase(Path(tmp) / "sqlite"), env)
        finally:
            bench.broker.stop()
    add_ratios(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str))
    print(table(results))
    print(f"Results: {output}")
    return 0


def mosquitto_version() -> str:
    import subprocess

    try:
        out = subprocess.run([mosquitto_binary(), "-h"], capture_output=True, text=True,
                             timeout=5).stdout
    except OSError:
        return "?"
    return next((line.split("version")[-1].strip() for line in out.splitlines()
                 if "version" in line), "?")


def add_ratios(results: dict) -> None:
    raw = {r["readings_per_message"]: r["readings_per_s"] for r in results["raw"]}
    for data in results["databases"].values():
        for row in data.get("by_batch", []):
            row["ratio_to_raw"] = round(row["readings_per_s"] / raw[row["readings_per_message"]], 2)


def table(results: dict) -> str:
    lines = ["", "Ingestion (readings/s; ratio to the raw subscriber)", ""]
    header = f"{'readings/message':>17} | {'raw subscriber':>15}"
    names = [n for n, d in results["databases"].items() if "by_batch" in d]
    for name in names:
        header += f" | {name + ' end to end':>24}"
    lines += [header, "-" * len(header)]
    for raw in results["raw"]:
        per = raw["readings_per_message"]
        row = f"{per:>17} | {raw['readings_per_s']:>15,}"
        for name in names:
            e = next(r for r in results["databases"][name]["by_batch"]
                     if r["readings_per_message"] == per)
            row += f" | {e['readings_per_s']:>15,} ({e['ratio_to_raw']:.0%})"
        lines.append(row)
    for name in names:
        data = results["databases"][name]
        lines += ["", f"{name}: growth at 10 readings/message"]
        for g in data["growth"]:
            lines.append(f"  {g['readings']:>9,} readings: {g['seconds']:>7.2f} s "
                         f"({g['readings_per_s']:,}/s)")
        s = data["slope"]
        lines.append(f"  slope: {s['seconds_per_100k']} s per 100,000 readings "
                     f"(marginal {s['marginal_readings_per_s'] or '?':,}/s), fixed "
                     f"{s['fixed_seconds']} s")
        if data.get("insert_methods"):
            lines.append("  insert, rows/s (commit included): " + ", ".join(
                f"{m['method']} × {m['rows_per_batch']}: {m['rows_per_s']:,}"
                for m in data["insert_methods"]))
        lat = data["latency"]
        lines.append(f"  observation → alarm at {lat['rate_published']:,} readings/s: "
                     f"p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms "
                     f"({lat['alarms']}/{lat['crossings']} alarms)")
    for name, data in results["databases"].items():
        if "skipped" in data:
            lines.append(f"{name}: skipped ({data['skipped']})")
    lines += ["", "Broker: Mosquitto " + results["broker"]["mosquitto"] + "; "
              + "; ".join(results["broker"]["config"])]
    return "\n".join(lines)
