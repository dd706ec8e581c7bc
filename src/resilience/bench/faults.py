"""``resilience bench faults``: PostgreSQL restarted during a busy minute (issue 10).

For ``--seconds`` (default 60) a bounded loopback load runs against the real processes, and at
``--restart-at`` (default: the middle) the database restarts under them (``pg_ctl restart -m
fast``, or ``--restart-mode immediate``: killed like a crash, recovered from the WAL). Nobody
restarts the application's processes: they must recover by themselves.

The database is a throwaway cluster of our own (``bench.pginstance``: the machine's PostgreSQL is
shared and is never restarted), with a scratch database holding one small community (``prepare``:
``--residents`` residents, each with a phone and an account, 20 sensors, a staff member). The
processes, as in production: ``resilience serve`` (``bench.load.Server``), ``resilience
ingest-mqtt`` on a private Mosquitto (``bench.services``: our own broker, persistent, so nothing
of another run can mix in), ``resilience worker`` sending SMS to the fake gateway
(``alerts.fakegateway``) in this process. The load:

- numbered sensor readings published at QoS 1 (5 per message, ``READING_RATE`` a second);
- an alert every ``ALERT_EVERY`` seconds through the API (create, then submit: level IV is issued
  at once and fans out to every resident over in-app and SMS); a submit that got no answer or a
  5xx is sent again, which the state machine makes safe (a second submit is refused);
- ``WRITERS`` clients filing needs requests (``POST /api/requests/``, each with a unique marker;
  never retried: the API has no idempotency key) and reading the list;
- a probe on ``/healthz`` (which asks the database) five times a second.

Then it waits (bounded) for the system to settle and checks: every reading the broker
acknowledged stored exactly once; every write that got a 2xx stored exactly once, a failed one at
most once; every alert issued once, with one delivery per recipient and channel, all sent, and no
SMS accepted twice by the gateway; every process alive throughout and stopping cleanly; a final
round of requests all answered. It prints a table, writes JSON (``--output``, default
``benchmarks/results/faults.json``) and exits 1 when a check fails. Recovery is measured from
the start of the restart: until ``/healthz`` answered 200 for good, until a reading was stored
again, until the worker sent again.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from resilience.bench.faults_checks import ok, report, table

RESIDENTS = 200
SENSORS = 20
READINGS_PER_MESSAGE = 5
READING_RATE = 200  # readings per second
ALERT_EVERY = 4.0  # seconds between alerts
WRITERS = 3  # clients filing needs requests
WRITER_PAUSE = 0.05  # seconds between one writer's requests: a bounded load, not a flood
PROBE_EVERY = 0.2
SETTLE_SECONDS = 240.0  # longest wait for the system to settle after the load
SUBMIT_TRIES = 40  # a submit without an answer is sent again, 0.5 s apart


# --- the scratch database (a child process on it, as bench.load.Server runs it) ---------------

def prepare() -> None:
    """Migrate; seed the community (``bench.alerts.seed``), an account for every resident (so
    alerts go in-app as well as by SMS), the sensors (``bench.seed``) and a token for the staff
    member; print what the clients need as one JSON line."""
    from resilience.cli import _migrate, _setup

    _setup(None, laptop=False)
    _migrate(verbose=False)
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from resilience.bench.alerts import seed as seed_people
    from resilience.bench.seed import seed as seed_sensors
    from resilience.bench.seed import sensor_code
    from resilience.people.models import Resident

    ids = seed_people(int(os.environ.get("RESILIENCE_FAULTS_RESIDENTS", RESIDENTS)))
    User = get_user_model()
    residents = list(Resident.objects.filter(community_id=ids["community"]).order_by("pk"))
    users = User.objects.bulk_create([User(username=f"faults-resident-{r.pk}", password="!")
                                      for r in residents])
    for resident, user in zip(residents, users):
        resident.user_id = user.pk
    Resident.objects.bulk_update(residents, ["user"], batch_size=1000)
    seed_sensors(SENSORS)
    staff = User.objects.get(pk=ids["staff"])
    print(json.dumps({"token": Token.objects.get_or_create(user=staff)[0].key,
                      "community": ids["community"],
                      "sensors": [sensor_code(i) for i in range(SENSORS)],
                      "residents": [(r.pk, r.household_id) for r in residents[:50]]}))


# --- what happened, as the clients saw it -------------------------------------------------------

@dataclass
class Call:
    """One HTTP request: what, when (wall clock, seconds), and the answer (0: none)."""

    kind: str
    started: float
    ended: float
    status: int
    marker: str = ""


@dataclass
class Journal:
    """Everything the load did, shared by its threads."""

    calls: list[Call] = field(default_factory=list)
    readings: set = field(default_factory=set)  # (sensor code, time) published
    alerts: list[dict] = field(default_factory=list)  # marker, id, create, submits
    observations: list[tuple[float, int]] = field(default_factory=list)  # (time, rows stored)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, client, kind: str, method: str, path: str, marker: str = "", **kwargs):
        import httpx

        started = time.time()
        try:
            answer = client.request(method, path, **kwargs)
            status = answer.status_code
        except httpx.HTTPError:
            answer, status = None, 0
        with self.lock:
            self.calls.append(Call(kind, started, time.time(), status, marker))
        return answer


class Load:
    """The load's threads: readings, alerts, writers, the probe and the row counter."""

    def __init__(self, url: str, info: dict, broker_port: int, database, run: str) -> None:
        self.url, self.info, self.broker_port, self.database = url, info, broker_port, database
        self.run = run
        self.journal = Journal()
        self.stopping = threading.Event()
        self.api = {"Authorization": f"Token {info['token']}"}
        self.threads: list[threading.Thread] = []
        self.publisher = None

    def start(self) -> None:
        from resilience.bench.services import Publisher

        self.publisher = Publisher(self.broker_port, client_id=f"faults-publisher-{self.run}")
        targets = [self._readings, self._alerts, self._probe, self._count_rows,
                   *[lambda n=n: self._writer(n) for n in range(WRITERS)]]
        self.threads = [threading.Thread(target=t, daemon=True) for t in targets]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def client(self):
        import httpx

        return httpx.Client(base_url=self.url, timeout=10, headers=self.api)

    # -- the threads ----------------------------------------------------------------------
    def _readings(self) -> None:
        from resilience.bench.seed import COMMUNITY

        base = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
        prefix = f"faults-{self.run}"
        started, j, k = time.monotonic(), 0, 0
        while not self.stopping.is_set():
            sensor = self.info["sensors"][k % len(self.info["sensors"])]
            readings = [{"sensor": sensor, "time": (base + dt.timedelta(milliseconds=j + n))
                         .isoformat(), "value": float((j + n) % 50)}
                        for n in range(READINGS_PER_MESSAGE)]
            self.publisher.publish(f"{prefix}/{COMMUNITY}/sensors/{sensor}",
                                   json.dumps(readings).encode())
            with self.journal.lock:
                self.journal.readings.update(
                    (r["sensor"], dt.datetime.fromisoformat(r["time"])) for r in readings)
            j += READINGS_PER_MESSAGE
            k += 1
            ahead = j / READING_RATE - (time.monotonic() - started)
            if ahead > 0:
                self.stopping.wait(ahead)

    def _alerts(self) -> None:
        n = 0
        with self.client() as client:
            while not self.stopping.wait(0 if n == 0 else ALERT_EVERY):
                n += 1
                self.issue(client, f"faults {self.run} alert {n}")

    def issue(self, client, marker: str) -> None:
        """Create a level IV alert with ``marker`` as its headline and submit it; a submit
        without an answer (or a 5xx) is sent again until answered."""
        record = {"marker": marker, "id": None, "create": 0, "submits": []}
        with self.journal.lock:
            self.journal.alerts.append(record)
        answer = self.journal.call(client, "alert create", "POST", "/api/alerts/", marker, json={
            "community": self.info["community"], "level": 4, "event_type": "fire",
            "headline": marker, "description": "Fault proof: the database restarts."})
        record["create"] = answer.status_code if answer is not None else 0
        if answer is None or not ok(answer.status_code):
            return
        record["id"] = answer.json()["id"]
        for _try in range(SUBMIT_TRIES):
            answer = self.journal.call(client, "alert submit", "POST",
                                       f"/api/alerts/{record['id']}/submit/", marker)
            record["submits"].append(answer.status_code if answer is not None else 0)
            if answer is not None and answer.status_code < 500:
                return
            time.sleep(0.5)

    def _writer(self, n: int) -> None:
        i = 0
        with self.client() as client:
            while not self.stopping.is_set():
                i += 1
                self.write(client, f"faults {self.run} request {n}-{i}")
                self.journal.call(client, "requests GET", "GET",
                                  f"/api/requests/?community={self.info['community']}")
                self.stopping.wait(WRITER_PAUSE)

    def write(self, client, marker: str) -> None:
        """File one needs request carrying ``marker`` (never retried)."""
        resident, household = self.info["residents"][hash(marker) % len(self.info["residents"])]
        self.journal.call(client, "requests POST", "POST", "/api/requests/", marker, json={
            "household": household, "resident": resident, "kind": "food", "quantity": 1,
            "description": marker})

    def _probe(self) -> None:
        with self.client() as client:
            while not self.stopping.wait(PROBE_EVERY):
                self.journal.call(client, "healthz", "GET", "/healthz")

    def _count_rows(self) -> None:
        """How many readings are stored, five times a second (the database permitting)."""
        while not self.stopping.wait(PROBE_EVERY):
            try:
                count = self.database.count()
            except Exception:  # noqa: BLE001 - the database is down: no sample
                continue
            with self.journal.lock:
                self.journal.observations.append((time.time(), count))

    def final_round(self) -> list[Call]:
        """After the load: a few of each request, which must all be answered."""
        first = len(self.journal.calls)
        with self.client() as client:
            for i in range(5):
                self.journal.call(client, "healthz", "GET", "/healthz")
                self.write(client, f"faults {self.run} final {i}")
                self.journal.call(client, "requests GET", "GET",
                                  f"/api/requests/?community={self.info['community']}")
            self.issue(client, f"faults {self.run} alert final")
        return self.journal.calls[first:]


# --- the processes --------------------------------------------------------------------------

class Worker:
    """``resilience worker`` as a child process, its output in a file."""

    def __init__(self, env: dict, log: Path) -> None:
        self.env, self.log_path = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "resilience.cli", "worker",
                                         "--concurrency", "2"], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        return self

    def stop(self) -> int | None:
        from resilience.bench.services import terminate

        if self.process is None:
            return None
        code = terminate(self.process)
        self.log.close()
        return code

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def unavailable() -> str | None:
    """Why the scenario cannot run here (None when it can)."""
    from resilience.bench.pginstance import unavailable as no_postgres
    from resilience.bench.services import mosquitto_binary

    if mosquitto_binary() is None:
        # Not the machine's broker: the ingester's persistent session (a week's expiry, a
        # client id per run) would be left behind on a shared broker.
        return "mosquitto is not installed (apt-get install mosquitto)"
    return no_postgres()


def scenario(seconds: float = 60, restart_at: float | None = None, mode: str = "fast",
             residents: int = RESIDENTS, settle: float = SETTLE_SECONDS, say=print) -> dict:
    """Run the busy minute with a database restart in it; return the report (figures and
    checks). Everything started here is stopped and deleted on every path out."""
    from resilience.alerts.fakegateway import FakeGateway
    from resilience.bench.load import Server
    from resilience.bench.pginstance import ThrowawayPostgres
    from resilience.bench.services import IngesterProcess, PrivateBroker

    restart_at = seconds / 2 if restart_at is None else restart_at
    if not 0 < restart_at < seconds:
        raise ValueError(f"--restart-at must be inside the run (0 < {restart_at} < {seconds})")
    run = secrets.token_hex(3)
    setup_began = time.time()
    with tempfile.TemporaryDirectory(prefix="resilience-faults-") as tmp, \
            ThrowawayPostgres() as pg, FakeGateway() as gateway, \
            PrivateBroker(Path(tmp) / "broker") as broker:
        say(f"PostgreSQL {pg.bin.parent.name} of our own on 127.0.0.1:{pg.port}; Mosquitto on "
            f"{broker.port}; fake SMS gateway on {gateway.port}")
        database = pg.database("resilience_faults")
        server = Server(database, Path(tmp), prepare="resilience.bench.faults:prepare")
        server.env.update({"DJANGO_SETTINGS_MODULE": "resilience.settings",
                           "RESILIENCE_FAULTS_RESIDENTS": str(residents),
                           "RESILIENCE_SMS_URL": gateway.sms_url,
                           "RESILIENCE_ALERT_CHANNELS": "inapp,sms"})
        ingester = IngesterProcess(broker.port, server.env, client_id=f"faults-ingest-{run}",
                                   extra=("--prefix", f"faults-{run}"))
        worker = Worker(server.env, Path(tmp) / "worker.log")
        load = None
        try:
            say(f"preparing a scratch database with {residents} residents…")
            server.start()
            pg.durable()
            ingester.start()
            worker.start()
            load = Load(server.url, server.info, broker.port, database, run)
            say(f"load for {seconds:g} s, PostgreSQL restart (-m {mode}) at {restart_at:g} s…")
            began = time.time()
            load.start()
            time.sleep(max(0.0, began + restart_at - time.time()))
            restart = {"mode": mode, "at": time.time()}
            restart["seconds"] = pg.restart(mode)
            restart["up"] = time.time()
            time.sleep(max(0.0, began + seconds - time.time()))
            load.stop()
            ended = time.time()
            alive = {"server": server.process.poll() is None,
                     "ingester": ingester.process.poll() is None,
                     "worker": worker.process.poll() is None}
            say("load stopped; a final round of requests, then waiting for the system to settle…")
            final = load.final_round()
            unacked = _acknowledge_all(load.publisher)
            settled = _settle(database, run, len(load.journal.readings), settle)
            facts = _facts(database, run)
            codes = {"ingester": ingester.stop(), "worker": worker.stop()}
            server.stop()
            codes["server"] = server.process.returncode
            result = report(load.journal, facts, gateway, restart, began, ended, alive, codes,
                            final, unacked, settled, {"ingester": ingester.output(),
                                                      "worker": worker.output()})
            result["setup_s"] = round(began - setup_began, 1)
            return result
        finally:
            if load is not None and load.publisher is not None:
                load.stopping.set()
                load.publisher.close()
            ingester.kill()
            worker.stop()
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - the throwaway cluster goes anyway
                pass


def _acknowledge_all(publisher) -> int:
    """Wait for the broker to acknowledge everything published; send again what it has not;
    return how many messages stayed unacknowledged."""
    if not publisher.wait_acked(30):
        publisher.republish_unacked()
        publisher.wait_acked(30)
    return publisher.unacked()


def _pattern(run: str) -> str:
    return f"faults {run} %"


def _settle(database, run: str, readings: int, timeout: float) -> dict:
    """Wait until every reading is stored and every alert's deliveries are done (sent or
    failed); return how long it took and whether it happened."""
    began = time.monotonic()
    sql = """SELECT
        (SELECT count(*) FROM monitoring_observation),
        (SELECT count(*) FROM alerts_alert a WHERE a.headline LIKE %(p)s AND (a.state = 'draft'
            OR NOT EXISTS (SELECT 1 FROM alerts_alertrecipient r WHERE r.alert_id = a.id))),
        (SELECT count(*) FROM alerts_delivery d JOIN alerts_alert a ON a.id = d.alert_id
            WHERE a.headline LIKE %(p)s AND d.status IN ('queued', 'sending'))"""
    state = None
    while time.monotonic() - began < timeout:
        with database.connect() as conn:
            state = conn.execute(sql, {"p": _pattern(run)}).fetchone()
        if state[0] >= readings and state[1] == 0 and state[2] == 0:
            return {"settled": True, "seconds": round(time.monotonic() - began, 1)}
        time.sleep(0.5)
    return {"settled": False, "seconds": round(time.monotonic() - began, 1),
            "left": {"readings_missing": readings - state[0], "alerts_not_fanned_out": state[1],
                     "deliveries_pending": state[2]}}


def _facts(database, run: str) -> dict:
    """What the database holds at the end."""
    with database.connect() as conn:
        requests = dict(conn.execute(
            "SELECT description, count(*) FROM relief_needrequest WHERE description LIKE %s "
            "GROUP BY description", (_pattern(run),)).fetchall())
        alerts = conn.execute("SELECT id, headline, state FROM alerts_alert WHERE headline LIKE %s",
                              (_pattern(run),)).fetchall()
        ids = [a[0] for a in alerts]
        recipients = conn.execute("SELECT alert_id, id, channels, token FROM "
                                  "alerts_alertrecipient WHERE alert_id = ANY(%s)",
                                  (ids,)).fetchall()
        deliveries = conn.execute("SELECT alert_id, recipient_id, channel, status, sent_at FROM "
                                  "alerts_delivery WHERE alert_id = ANY(%s)", (ids,)).fetchall()
        dead_letters = conn.execute("SELECT count(*) FROM monitoring_deadletter").fetchone()[0]
    return {"observations": database.observation_keys(), "dead_letters": dead_letters,
            "requests": requests, "alerts": alerts, "recipients": recipients,
            "deliveries": deliveries}


# --- the command -------------------------------------------------------------------------------

def run(args) -> int:
    """Entry point of ``resilience bench faults``."""
    seconds = getattr(args, "seconds", None) or 60.0
    restart_at = getattr(args, "restart_at", None)
    mode = getattr(args, "restart_mode", None) or "fast"
    reason = unavailable()
    if reason:
        print(f"resilience bench faults: skipped: {reason}")
        return 1 if os.environ.get("RESILIENCE_REQUIRE_ALL") == "1" else 0
    result = scenario(seconds, restart_at, mode, residents=getattr(args, "residents", None)
                      or RESIDENTS, say=lambda line: print(line, flush=True))
    result.update({"benchmark": "faults", "python": platform.python_version(),
                   "machine": platform.machine(), "cpus": os.cpu_count()})
    print("\n" + table(result))
    output = Path(getattr(args, "output", None) or Path("benchmarks") / "results" / "faults.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(f"\nResults: {output}")
    return 0 if result["passed"] else 1
