"""``resilience bench load``: a bounded load on a running server (DESIGN §6, issue 10).

N clients (threads, each with its own ``httpx`` connection; default 50, ``--quick`` 10) send
requests for T seconds (default 60, ``--quick`` 10) over a mix a community office makes while a
warning is out: the dashboard page, the resident list API, the buildings map layer, the alert
board, a batch of sensor observations posted over HTTP and a needs request (``--mix office``), or
the API lists and map layers of DESIGN's bar (``--mix api``: 20 clients, 2 server processes).
``--pace S`` makes each client ask once every S seconds, as a person reading the answer would,
instead of again at once. Then it stops by itself and reports, per endpoint, requests, errors (a 5xx or no answer; 4xx count as answers but
are shown), throughput and p50/p95/p99 latency.

Without ``--url`` it starts the server itself, per database of ``--databases``: a scratch
database (SQLite in a temporary data directory, or PostgreSQL ``--postgres``/
``RESILIENCE_BENCH_POSTGRES``, created and dropped here) with one generated demo community and a
staff member of it, then ``resilience serve`` on a free loopback port. With ``--url`` it loads
that server (loopback only) as ``RESILIENCE_LOAD_USER``/``RESILIENCE_LOAD_PASSWORD`` (default
``admin`` and ``RESILIENCE_DEMO_PASSWORD``).
"""
from __future__ import annotations

import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from resilience.bench.services import free_port, terminate

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/resilience_bench_load"
USER = "bench-load"

# name → share of the requests (the office watches pages more than it writes)
OFFICE = {
    "dashboard page": 20,
    "residents API": 20,
    "map buildings": 20,
    "alert board": 15,
    "observations POST": 15,
    "needs request POST": 10,
}
# DESIGN §6's bar is about these: the API lists and the map layers of a 4,000-resident community.
API = {
    "residents API": 20,
    "households API": 10,
    "map buildings": 15,
    "map facilities": 15,
    "map risks": 15,
    "sensors API": 10,
    "alerts API": 5,
    "needs API": 10,
}
MIXES = {"office": OFFICE, "api": API}
# The API reads of both mixes: name → path.
API_READS = {
    "residents API": "/api/residents/?community={community}&page={page}",
    "households API": "/api/households/?community={community}&page={page}",
    "map buildings": "/api/geo/buildings/?community={community}",
    "map facilities": "/api/geo/facilities/?community={community}",
    "map risks": "/api/geo/risks/?community={community}",
    "sensors API": "/api/sensors/?community={community}",
    "alerts API": "/api/alerts/?community={community}",
    "needs API": "/api/requests/?community={community}",
}


# --- preparing a scratch instance (runs in a child process on the scratch database) -------------

def prepare() -> None:
    """Migrate, generate one demo community, make a staff member with a token and an issued
    warning; print what the clients need as one JSON line."""
    from resilience.cli import _migrate, _setup

    _setup(None, laptop=True)
    _migrate(verbose=False)
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from resilience.core.roles import Role
    from resilience.demo.generator import generate
    from resilience.monitoring.models import Sensor
    from resilience.people.models import Membership, Resident
    from resilience.places.models import Community

    if not Community.objects.exists():
        generate(communities=1, seed=1, progress=False)
    community = Community.objects.order_by("pk").first()
    password = secrets.token_urlsafe(12)
    User = get_user_model()
    user = User.objects.filter(username=USER).first() or User.objects.create_user(USER)
    user.set_password(password)
    user.save()
    Membership.objects.get_or_create(user=user, role=Role.STAFF, community=community)
    token = Token.objects.get_or_create(user=user)[0].key
    sensors = list(Sensor.objects.filter(community=community).values_list("code", flat=True)[:20])
    residents = list(Resident.objects.filter(community=community, household__isnull=False)
                     .values_list("pk", "household_id")[:200])
    print(json.dumps({"user": USER, "password": password, "token": token,
                      "community": community.pk, "sensors": sensors, "residents": residents,
                      "alert": _issued_alert(user, community)}))


def _issued_alert(user, community) -> int | None:
    from resilience.alerts import services
    from resilience.alerts.models import Alert
    from resilience.alerts.vocab import EventType, Level

    alert = Alert.objects.filter(community=community).order_by("-pk").first()
    if alert is None:
        alert = services.draft(user, community, level=Level.IV, event_type=EventType.values[0],
                               headline="Load test warning", description="Bench load.")
        services.issue(alert, user)
    return alert.pk


def _child_env(database, data_dir: Path) -> dict:
    from resilience.bench.databases import keys_env

    env = {**os.environ, **keys_env(), **database.env(), "RESILIENCE_DATA_DIR": str(data_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


class Server:
    """``resilience serve`` on a scratch database, prepared first by ``prepare`` (``module:function``
    run in a child process on it, printing what the clients need as its last line of JSON);
    stopped with SIGTERM."""

    def __init__(self, database, data_dir: Path,
                 prepare: str = "resilience.bench.load:prepare", workers: int = 1) -> None:
        self.database, self.data_dir, self.workers = database, data_dir, workers
        self.prepare = prepare
        self.env = _child_env(database, data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.info: dict = {}

    def start(self) -> None:
        self.database.create()
        module, _, function = self.prepare.partition(":")
        done = subprocess.run([sys.executable, "-c", f"from {module} import {function}; "
                               f"{function}()"], env=self.env, capture_output=True, text=True,
                              timeout=1800)
        if done.returncode:
            raise RuntimeError(f"preparing the scratch instance failed:\n{done.stderr[-2000:]}")
        self.info = json.loads(done.stdout.strip().splitlines()[-1])
        self.log = open(self.data_dir / "serve.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "resilience.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers)], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: see {self.data_dir / 'serve.log'}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("the server did not answer within 120 s")

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process, 20)
        if getattr(self, "log", None):
            self.log.close()
        self.database.drop()


# --- the clients -------------------------------------------------------------------------------

class Target:
    """What the clients send, for one server: URLs, credentials, ids to post about."""

    def __init__(self, url: str, info: dict) -> None:
        self.url, self.info = url.rstrip("/"), info

    def session_cookies(self):
        """Sign in once through the login form; every client reuses the session (as one office
        with many tabs would)."""
        import httpx

        with httpx.Client(base_url=self.url, timeout=30, follow_redirects=False) as client:
            page = client.get("/login/")
            token = client.cookies.get("csrftoken")
            answer = client.post("/login/", data={"username": self.info["user"],
                                                   "password": self.info["password"],
                                                   "csrfmiddlewaretoken": token},
                                 headers={"Referer": self.url + "/login/"})
            if answer.status_code != 302 or page.status_code != 200:
                raise RuntimeError(f"cannot sign in as {self.info['user']}: {answer.status_code}")
            return dict(client.cookies)

    def request(self, name: str, rng: random.Random) -> tuple[str, str, dict]:
        """(method, path, httpx keyword arguments) of one request of kind ``name``."""
        api = {"headers": {"Authorization": f"Token {self.info['token']}"}}
        community = self.info["community"]
        if name == "dashboard page":
            return "GET", "/", {}
        if name in API_READS:  # a page of 20 is drawn at random for the paginated lists
            path = API_READS[name].format(community=community, page=rng.randint(1, 20))
            return "GET", path, api
        if name == "alert board":
            alert = self.info.get("alert")
            return "GET", (f"/alerts/alerts/{alert}/board/" if alert else "/alerts/"), {}
        if name == "observations POST":
            now = datetime.now(timezone.utc)
            sensors = self.info["sensors"] or ["none"]
            batch = [{"sensor": code, "time": now.isoformat(), "value": round(rng.uniform(18, 30), 2)}
                     for code in rng.sample(sensors, min(10, len(sensors)))]
            return "POST", "/api/observations/", {**api, "json": batch}
        if name == "needs request POST":
            resident, household = rng.choice(self.info["residents"])
            return "POST", "/api/requests/", {**api, "json": {
                "household": household, "resident": resident, "kind": "food", "quantity": 1,
                "description": "load test: rice and water"}}
        raise ValueError(name)


def _client(target: Target, cookies: dict, stop_at: float, seed_value: int, results: dict,
            lock: threading.Lock, mix: dict, pace: float) -> None:
    """One client: requests drawn from ``mix`` until ``stop_at``; with ``pace``, one request
    every ``pace`` seconds (a person reading what came back), else the next at once."""
    import httpx

    rng = random.Random(seed_value)
    names, weights = list(mix), list(mix.values())
    local: dict = defaultdict(list)
    if pace:
        time.sleep(rng.uniform(0, pace))  # clients out of step, as people are
    with httpx.Client(base_url=target.url, timeout=30, cookies=cookies) as client:
        while time.monotonic() < stop_at:
            name = rng.choices(names, weights)[0]
            method, path, kwargs = target.request(name, rng)
            started = time.perf_counter()
            try:
                status = client.request(method, path, **kwargs).status_code
            except httpx.HTTPError:
                status = 0  # no answer
            took = time.perf_counter() - started
            local[name].append((took, status))
            if pace and took < pace:
                time.sleep(min(pace - took, max(0.0, stop_at - time.monotonic())))
    with lock:
        for name, rows in local.items():
            results[name].extend(rows)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def load(target: Target, clients: int, seconds: float, mix: dict = OFFICE,
         pace: float = 0) -> dict:
    """Run the clients for ``seconds``; per endpoint and overall figures."""
    cookies = target.session_cookies()
    results: dict = defaultdict(list)
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds
    threads = [threading.Thread(target=_client, args=(target, cookies, stop_at, i, results, lock,
                                                      mix, pace),
                                daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)  # each request has a 30 s timeout: bounded
    elapsed = time.monotonic() - started
    rows = {}
    for name in [*mix, "all"]:
        sample = [r for rows_ in results.values() for r in rows_] if name == "all" else results.get(name, [])
        ms = [t * 1000 for t, _ in sample]
        errors = sum(1 for _, s in sample if s == 0 or s >= 500)
        statuses: dict = defaultdict(int)
        for _, s in sample:
            statuses[str(s)] += 1
        rows[name] = {
            "requests": len(sample), "errors": errors,
            "error_rate": round(errors / len(sample), 4) if sample else 0.0,
            "per_second": round(len(sample) / elapsed, 1),
            "p50_ms": round(_percentile(ms, 50), 1), "p95_ms": round(_percentile(ms, 95), 1),
            "p99_ms": round(_percentile(ms, 99), 1),
            "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0,
            "statuses": dict(sorted(statuses.items())),
        }
    return {"clients": clients, "pace": pace, "seconds": round(elapsed, 1), "endpoints": rows}


# --- the command -------------------------------------------------------------------------------

def _loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"resilience bench load: {url} is not on loopback; refusing to load it")


def _external_info(url: str) -> dict:
    """Credentials and ids for a server someone else started (``--url``)."""
    import httpx

    user = os.environ.get("RESILIENCE_LOAD_USER", "admin")
    password = os.environ.get("RESILIENCE_LOAD_PASSWORD") or os.environ.get("RESILIENCE_DEMO_PASSWORD")
    if not password:
        raise SystemExit("resilience bench load --url: set RESILIENCE_LOAD_PASSWORD (and "
                         "RESILIENCE_LOAD_USER, default admin)")
    with httpx.Client(base_url=url, timeout=30) as client:
        token = client.post("/api/auth/token/", data={"username": user, "password": password})
        token.raise_for_status()
        key = token.json()["token"]
        api = {"Authorization": f"Token {key}"}
        community = client.get("/api/communities/", headers=api).json()["results"][0]["id"]
        sensors = [s["code"] for s in client.get(f"/api/sensors/?community={community}",
                                                  headers=api).json().get("results", [])][:20]
        residents = [(r["id"], r["household"]) for r in client.get(
            f"/api/residents/?community={community}", headers=api).json().get("results", [])
            if r.get("household")]
        alerts = client.get(f"/api/alerts/?community={community}", headers=api).json().get("results", [])
    return {"user": user, "password": password, "token": key, "community": community,
            "sensors": sensors, "residents": residents, "alert": alerts[0]["id"] if alerts else None}


def _databases(args) -> list:
    from resilience.bench.databases import PostgresDatabase, SQLiteDatabase

    wanted = [d.strip() for d in (getattr(args, "databases", None) or "postgresql,sqlite").split(",") if d.strip()]
    out = []
    for vendor in wanted:
        if vendor == "sqlite":
            out.append(("sqlite", lambda d: SQLiteDatabase(d)))
        elif vendor in ("postgresql", "postgres"):
            url = urlparse(getattr(args, "postgres", None) or os.environ.get(
                "RESILIENCE_BENCH_POSTGRES") or DEFAULT_POSTGRES)
            pg = PostgresDatabase(url.path.lstrip("/"), url.hostname, url.port, url.username, url.password)
            try:
                pg.connect("postgres").close()
            except Exception as exc:  # noqa: BLE001 - any failure to connect means "skip"
                print(f"PostgreSQL skipped: {exc}".splitlines()[0])
                continue
            out.append(("postgresql", lambda d, pg=pg: pg))
    return out


def _server_errors(log: Path) -> dict:
    """The exceptions the server logged, counted by their last line (what a 5xx was)."""
    import re

    counts: dict = defaultdict(int)
    for line in log.read_text(errors="replace").splitlines():
        if re.match(r"^[\w.]+(Error|Exception|Timeout)\b.*:", line):
            counts[line[:200]] += 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:5])


def _table(vendor: str, result: dict) -> None:
    paced = f", one request per {result['pace']} s each" if result.get("pace") else ""
    print(f"\n{vendor}: {result['clients']} clients{paced} for {result['seconds']} s, "
          f"{result.get('workers', 1)} server process(es)")
    print(f"{'endpoint':<20} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'p99 ms':>8}  statuses")
    for name, row in result["endpoints"].items():
        print(f"{name:<20} {row['requests']:>8} {row['errors']:>6} {row['per_second']:>7} "
              f"{row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8}  "
              + " ".join(f"{k}×{v}" for k, v in row["statuses"].items()))
    for line, count in result.get("server_errors", {}).items():
        print(f"  server logged {count}×: {line}")


def run(args) -> int:
    quick = getattr(args, "quick", False)
    seconds = getattr(args, "seconds", None) or (10 if quick else 60)
    mix_name = getattr(args, "mix", None) or "office"
    mix, pace = MIXES[mix_name], getattr(args, "pace", 0) or 0
    clients = getattr(args, "clients", None) or (10 if quick else 20 if mix_name == "api" else 50)
    workers = getattr(args, "workers", None) or (2 if mix_name == "api" else 1)
    report = {"benchmark": "load", "mix": mix_name, "pace": pace, "quick": quick, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "runs": {}}
    url = getattr(args, "url", None)
    if url:
        _loopback(url)
        report["runs"]["external"] = result = load(Target(url, _external_info(url)), clients, seconds,
                                                    mix, pace)
        _table(url, result)
    else:
        for vendor, make in _databases(args):
            with tempfile.TemporaryDirectory(prefix=f"resilience-load-{vendor}-") as tmp:
                data_dir = Path(tmp)
                server = Server(make(data_dir), data_dir, workers=workers)
                print(f"{vendor}: preparing a scratch instance with one demo community…", flush=True)
                try:
                    server.start()
                    result = load(Target(server.url, server.info), clients, seconds, mix, pace)
                    result["workers"] = workers
                    result["server_errors"] = _server_errors(data_dir / "serve.log")
                finally:
                    server.stop()
            report["runs"][vendor] = result
            _table(vendor, result)
    name = "load" if mix_name == "office" else f"load-{mix_name}"
    output = Path(getattr(args, "output", None) or Path("benchmarks") / "results" / (
        f"{name}-quick.json" if quick else f"{name}.json"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nResults: {output}")
    worst = max((r["endpoints"]["all"]["error_rate"] for r in report["runs"].values()), default=0.0)
    return 0 if worst == 0 else 1
