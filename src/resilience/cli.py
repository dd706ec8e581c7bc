"""The ``resilience`` command: demo, serve, generate, import, export, manage.

Each subcommand prepares the environment (data directory, keys) *before* Django starts, because
settings are read once at start-up.
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _setup(data_dir: str | None, laptop: bool) -> None:
    """Point settings at the data directory and start Django."""
    if data_dir:
        os.environ["RESILIENCE_DATA_DIR"] = str(Path(data_dir).resolve())
    if laptop and not os.environ.get("DATABASE_URL"):
        # One laptop, one community: create the keys beside the SQLite file on first run.
        os.environ.setdefault("RESILIENCE_CREATE_KEYS", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resilience.settings")
    from django.conf import settings

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def _migrate(verbose: bool = True) -> None:
    from django.core.management import call_command

    if verbose:
        print("Migrating the database…", flush=True)
    call_command("migrate", interactive=False, verbosity=0)


def _ensure_admin() -> str | None:
    """Create the ``admin`` account if missing; return its password if it was just made."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if User.objects.filter(username="admin").exists():
        if os.environ.get("RESILIENCE_DEMO_PASSWORD"):
            user = User.objects.get(username="admin")
            if not user.check_password(os.environ["RESILIENCE_DEMO_PASSWORD"]):
                user.set_password(os.environ["RESILIENCE_DEMO_PASSWORD"])
                user.save(update_fields=["password"])
            return os.environ["RESILIENCE_DEMO_PASSWORD"]
        return None
    password = os.environ.get("RESILIENCE_DEMO_PASSWORD") or secrets.token_urlsafe(12)
    User.objects.create_superuser("admin", "", password, display_name="Administrator")
    return password


class _Stopped(Exception):
    """Raised by our SIGTERM handler once the server has shut down."""


def _on_sigterm(signum, frame):
    raise _Stopped()


def _serve(host: str, port: int, log_level: str = "info", workers: int = 1) -> None:
    import signal

    import uvicorn

    # uvicorn catches SIGINT/SIGTERM, stops accepting, finishes requests, restores the previous
    # handlers and re-raises the signal: ours turns SIGTERM into a clean exit (status 0).
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        # Several processes use several cores: one Python process runs one core at a time (the
        # GIL), whatever the number of request threads. uvicorn's supervisor restarts a worker
        # that dies.
        uvicorn.run("resilience.asgi:application", host=host, port=port, log_level=log_level,
                    lifespan="off", workers=workers)
    except _Stopped:
        print("Stopped.", flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=True)
    _migrate()
    from resilience.demo.generator import generate
    from resilience.places.models import Community

    if not Community.objects.exists():
        n = max(1, getattr(args, "communities", 1))
        print(f"Generating the demo ({n} communit{'y' if n == 1 else 'ies'}, ~3,900 residents "
              "each)…", flush=True)
        counts = generate(communities=n, seed=args.seed, progress=True)
        print("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()), flush=True)
    if getattr(args, "scenario", "") == "lockdown":
        from resilience.relief import lockdown

        community = Community.objects.order_by("pk").first()
        started = lockdown.start(community, days=14)
        print(f"14-day lockdown scenario in {community}: " + (", ".join(
            f"{k}: {v}" for k, v in started.items()) or "already started"), flush=True)
    password = _ensure_admin()
    from resilience.street.demo import seed_street

    street = seed_street(password)  # the street office and its mutual-aid story (issue 13)
    from django.conf import settings

    print(f"Data directory: {settings.DATA_DIR}")
    print(f"Open http://{args.host}:{args.port}/  and sign in as  admin", end="")
    print(f" / {password}" if password else " (password unchanged since the first run)")
    if street:
        print(f"The street office of {street['street'].name}: sign in as  office", end="")
        print(f" / {password}" if password else " (set its password with `resilience manage "
              "changepassword office`)" if street["office_made"] else " (the admin's first "
              "password)")
    settings.RESILIENCE_PUBLIC_URL = f"http://{args.host}:{args.port}"  # links in messages
    gateway = _start_fake_gateway()
    monitoring = _start_monitoring()
    if gateway is not None:
        monitoring.stoppers.append(gateway.stop)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        _serve(args.host, args.port)
    finally:
        monitoring.stop()
    return 0


# --- the demo's live monitoring: simulator → (MQTT → ingester | in-process) → rules -------------

DEMO_BROKER = ("127.0.0.1", 1883)
DEMO_SENSOR_SECONDS = 5.0  # each demo sensor reads every 5 s, so the dashboard moves


class _Background:
    """Daemon threads beside the web server; ``stop()`` asks each to finish and waits a little."""

    def __init__(self) -> None:
        import threading

        self.event = threading.Event()
        self.threads: list = []
        self.stoppers: list = []

    def start(self, name: str, target) -> None:
        import threading

        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop(self, timeout: float = 6.0) -> None:
        self.event.set()
        for stop in self.stoppers:
            stop()
        for thread in self.threads:
            thread.join(timeout)


def _start_fake_gateway():
    """The demo's SMS gateway: a local fake that keeps what it is sent (shown at its own page),
    unless the operator configured a real one (RESILIENCE_SMS_URL)."""
    from django.conf import settings

    if settings.RESILIENCE_SMS_URL:
        print(f"SMS: through the gateway at {settings.RESILIENCE_SMS_URL}", flush=True)
        return None
    from resilience.alerts import channels
    from resilience.alerts.fakegateway import FakeGateway

    port = int(os.environ.get("RESILIENCE_DEMO_GATEWAY_PORT") or 8025)
    try:
        gateway = FakeGateway("127.0.0.1", port).start()
    except OSError:  # the port is taken (a second demo): any free port
        gateway = FakeGateway("127.0.0.1", 0).start()
    settings.RESILIENCE_SMS_URL = f"{gateway.url}/sms"
    channels.reset()
    print(f"SMS: a fake gateway at {gateway.url}/ keeps the messages residents would get "
          "(open it to see them and their acknowledgement links).", flush=True)
    return gateway


def _broker_reachable(host: str, port: int) -> bool:
    import socket

    if os.environ.get("RESILIENCE_DEMO_BROKER", "").lower() in ("off", "0", "no"):
        return False
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _start_monitoring() -> _Background:
    """Simulate the demo sensors and ingest their readings in this process, so the dashboard is
    alive at once: over the local MQTT broker into the ingester when one answers at 127.0.0.1:1883,
    else straight into the ingestion pipeline; plus the background worker (stale sensors every 30 s, alert expiry, hazard escalation)."""
    import hashlib
    from types import SimpleNamespace

    from django.conf import settings

    from resilience.monitoring.simulator import run_simulator

    background = _Background()
    interval = float(os.environ.get("RESILIENCE_SIMULATOR_INTERVAL") or DEMO_SENSOR_SECONDS)
    sim = SimpleNamespace(transport="direct", host=DEMO_BROKER[0], port=DEMO_BROKER[1],
                          prefix=None, community=None, scenario="normal", speed=1.0, duration=0,
                          interval=interval, yield_to_others=True)
    if _broker_reachable(*DEMO_BROKER):
        from resilience.monitoring.mqtt import Ingester

        # A stable client id per data directory keeps the ingester's session across restarts.
        digest = hashlib.sha256(str(settings.DATA_DIR).encode()).hexdigest()[:10]
        ingester = Ingester(host=DEMO_BROKER[0], port=DEMO_BROKER[1],
                            client_id=f"resilience-demo-{digest}")
        background.start("ingest-mqtt", ingester.run)
        background.stoppers.append(ingester.stop)
        sim.transport = "mqtt"
        path = f"over MQTT {DEMO_BROKER[0]}:{DEMO_BROKER[1]} into the ingester"
    else:
        path = f"straight into the database (no MQTT broker at {DEMO_BROKER[0]}:{DEMO_BROKER[1]})"
    background.start("simulator", lambda: run_simulator(sim, stop=background.event))
    # The worker, as `resilience worker` runs it: stale sensors, alert expiry, hazard escalation.
    from resilience.core.worker import Worker, load_handlers

    load_handlers()
    # Six at a time: each alert channel sends as its own task(s) (SMS three at once), so a slow
    # channel holds up no other and the in-app message still shows within seconds.
    worker = Worker("demo", concurrency=6, out=open(os.devnull, "w"))
    background.start("worker", worker.run)
    background.stoppers.append(worker.stop)
    print(f"Monitoring: simulated sensors read every {sim.interval:g} s, {path}; the background "
          f"worker (stale sensors, alert deliveries and expiry, hazard escalation) runs in this process.",
          flush=True)
    return background


def cmd_serve(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=False)
    if args.migrate:
        _migrate()
    _serve(args.host, args.port, workers=args.workers)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=True)
    _migrate(verbose=False)
    import time

    from resilience.demo.generator import generate

    started = time.perf_counter()
    counts = generate(communities=args.communities, seed=args.seed, progress=not args.quiet)
    elapsed = time.perf_counter() - started
    for name, value in counts.items():
        print(f"{name:>22}: {value}")
    print(f"{'seconds':>22}: {elapsed:.1f}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=False)
    from resilience.people.transfer.importing import run_import

    report = run_import(args.kind, Path(args.file), community_code=args.community, crs=args.crs,
                        username=args.as_user, dry_run=args.dry_run, progress=True)
    print(report.as_text())
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=False)
    from resilience.people.transfer.exporting import ExportError, run_export

    try:
        count = run_export(args.kind, Path(args.output), fmt=args.format,
                           community_code=args.community, username=args.as_user, reveal=args.reveal)
    except ExportError as exc:
        print(f"resilience export: {exc}", file=sys.stderr)
        return 1
    print(f"Exported {count} rows to {args.output}")
    return 0


def cmd_ingest_mqtt(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=False)
    from resilience.monitoring.mqtt import run_ingester

    return run_ingester(args) or 0


def cmd_simulate_sensors(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=False)
    from resilience.monitoring.simulator import run_simulator

    return run_simulator(args) or 0


def cmd_bench(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=True)  # a fresh checkout can run it: keys made in the data dir
    from resilience.bench import run_benchmark

    return run_benchmark(args) or 0


def cmd_backtest(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=True)  # in memory: no database is read or written
    from resilience.monitoring.backtest import run

    return run(args) or 0


def cmd_import_cap(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=False)
    from resilience.alerts.cap import CapError
    from resilience.alerts.cap.fetch import read_source
    from resilience.alerts.cap.relay import import_cap

    try:
        data, url = read_source(args.source)
        relayed = import_cap(data, source_url=url, auto_issue=args.auto_issue)
    except CapError as exc:
        print(f"resilience import-cap: refused: {exc.reason}", file=sys.stderr)
        return 1
    cap = relayed.cap
    print(f"Accepted CAP 1.2 {cap.msg_type} {cap.identifier} from {cap.sender}"
          + (" (signature present, not verified)" if cap.signed else "") + ".")
    for alert in relayed:
        print(f"  relayed to {alert.community.name} ({alert.community.code}) as "
              f"{alert.identifier}: {alert.get_msg_type_display()}, {alert.get_state_display()}, "
              f"level {alert.get_level_display()}")
    for alert in relayed.already:
        print(f"  already relayed to {alert.community.name} ({alert.community.code}) as "
              f"{alert.identifier}")
    if relayed.reason or not (relayed or relayed.already):
        print(relayed.reason or "Nothing to relay.")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=False)
    from resilience.core.worker import run_worker

    return run_worker(args.id, concurrency=args.concurrency, once=args.once)


def cmd_index(args: argparse.Namespace) -> int:
    # Pure computation over CSV files: no Django, no database.
    from resilience.assessment.cli import dispatch

    return dispatch(args)


def cmd_backup(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=True)
    from resilience.core.backup import BackupError, backup, default_path

    out = Path(args.out) if args.out else default_path()
    try:
        manifest = backup(out, keys=not args.no_keys)
    except BackupError as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    rows = sum(table["rows"] for table in manifest["tables"].values())
    print(f"Backed up {len(manifest['tables'])} tables ({rows} rows) and "
          f"{len(manifest['media'])} media files of the {manifest['vendor']} database to {out}")
    if manifest["keys"]:
        print("The archive holds the encryption keys: keep it as safe as the keys themselves.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=True)
    from resilience.core.backup import BackupError, read_manifest, restore

    try:
        manifest = read_manifest(Path(args.file))
        if not args.yes:
            answer = input(f"Replace this instance's database and media with the backup of "
                           f"{manifest['created']}? Type yes: ")
            if answer.strip().lower() != "yes":
                print("Nothing changed.")
                return 1
        verification, warnings = restore(Path(args.file))
    except BackupError as exc:
        print(f"Restore failed: {exc}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"Note: {warning}")
    if not verification.identical:
        print("Restored, but these differ from the backup: "
              + ", ".join(verification.differing_tables + verification.differing_files),
              file=sys.stderr)
        return 1
    print(f"Restored and verified: {verification.tables} tables ({verification.rows} rows) and "
          f"{verification.files} media files identical to the backup.")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup(args.data_dir, laptop=False)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["resilience manage", *args.rest])
    return 0


def _at_least(minimum: float, kind=int):
    """An argparse type: a number of ``kind`` no smaller than ``minimum``, else a clear error."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum:g}, not {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resilience",
        description="Resilient Community: know, watch, warn, respond and measure a community.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--data-dir", help="data directory for SQLite, media and keys (default ./var)")
        p.set_defaults(func=func)
        return p

    p = add("demo", cmd_demo, "Migrate, generate the demo community if empty, create the admin "
            "account and serve the web UI.")
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--seed", type=int, default=1, help="seed of the demo generator (default 1)")
    p.add_argument("--communities", type=int, default=2,
                   help="communities generated into an empty database, side by side in one "
                   "street (default 2, for the street office's mutual aid; 1 starts faster)")
    p.add_argument("--scenario", choices=["lockdown"], default="",
                   help="start a scenario in the demo community: lockdown = day one of a 14-day "
                   "lockdown (open needs survey, ~40 open requests, stock, volunteers)")

    p = add("serve", cmd_serve, "Serve the web UI and API on the configured database "
            "(DATABASE_URL for PostgreSQL).")
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--migrate", action="store_true", help="apply migrations first")
    p.add_argument("--workers", type=_at_least(1), default=1,
                   help="web server processes (default 1; one per core serves more at once)")

    p = add("generate", cmd_generate, "Generate deterministic, realistic demo communities.")
    p.add_argument("--communities", type=int, default=1, help="how many communities (default 1)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    kinds = ["residents", "buildings", "facilities", "volunteers"]
    p = add("import", cmd_import, "Import a CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX file, "
            "all or nothing, with a row-level report.")
    p.add_argument("kind", choices=kinds)
    p.add_argument("file")
    p.add_argument("--community", required=True, help="community code to import into")
    p.add_argument("--crs", choices=["wgs84", "gcj02", "bd09"], default="wgs84",
                   help="coordinate system of latitude/longitude columns (default wgs84)")
    p.add_argument("--as-user", help="import with this user's scope (default: full access)")
    p.add_argument("--dry-run", action="store_true", help="check the file, change nothing")

    p = add("export", cmd_export, "Export records to CSV, XLSX or GeoJSON, masked by default.")
    p.add_argument("kind", choices=kinds + ["households", "grids"])
    p.add_argument("--output", "-o", required=True)
    p.add_argument("--format", choices=["csv", "xlsx", "geojson"], default="csv")
    p.add_argument("--community", help="limit to one community (code)")
    p.add_argument("--as-user", help="export what this user may see (default: everything)")
    p.add_argument("--reveal", action="store_true",
                   help="include personal data in clear (written to the access log)")

    p = add("ingest-mqtt", cmd_ingest_mqtt, "Subscribe to sensor readings on MQTT and ingest them "
            "(QoS 1, persistent session; several ingesters share the load with --shared).")
    p.add_argument("--host", default="127.0.0.1", help="MQTT broker host")
    p.add_argument("--port", type=int, default=1883, help="MQTT broker port")
    p.add_argument("--prefix", default=None, help="topic prefix (default: setting, 'resilience')")
    p.add_argument("--client-id", default=None, help="MQTT client id (stable: keeps the session)")
    p.add_argument("--shared", default=None, metavar="GROUP",
                   help="MQTT 5 shared subscription group ($share/GROUP/…) to spread the load")
    p.add_argument("--batch-size", type=int, default=5000,
                   help="most readings stored per batch (default 5000)")
    p.add_argument("--batch-ms", type=int, default=20,
                   help="longest a reading waits for its batch, in ms (default 20)")

    p = add("simulate-sensors", cmd_simulate_sensors, "Publish realistic readings for the demo "
            "sensors, optionally with a scenario that triggers the rules.")
    p.add_argument("--transport", choices=["mqtt", "http"], default="mqtt")
    p.add_argument("--host", default="127.0.0.1", help="MQTT broker host")
    p.add_argument("--port", type=int, default=1883, help="MQTT broker port")
    p.add_argument("--prefix", default=None, help="topic prefix (default: setting, 'resilience')")
    p.add_argument("--url", default="http://127.0.0.1:8000", help="server URL for --transport http")
    p.add_argument("--token", default=None, help="API token for --transport http")
    p.add_argument("--community", default=None, help="only this community (code)")
    p.add_argument("--scenario", default="normal",
                   choices=["normal", "fire", "flood", "gas-leak", "power-room-overheat", "offline"])
    p.add_argument("--speed", type=float, default=1.0, help="time factor (10 = ten times faster)")
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between readings of every sensor (default: each sensor's own)")
    p.add_argument("--duration", type=float, default=0, help="seconds to run (0 = until stopped)")

    p = add("bench", cmd_bench, "Run a benchmark and print its table (results also as JSON "
            "under benchmarks/results/).")
    from resilience.bench import BENCHMARKS

    p.add_argument("name", choices=BENCHMARKS, help="which benchmark")
    p.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    p.add_argument("--output", default=None, help="JSON results file")
    p.add_argument("--databases", default="postgresql,sqlite",
                   help="databases to measure, comma-separated (default postgresql,sqlite; "
                   "PostgreSQL is skipped with a note when the server does not answer)")
    p.add_argument("--postgres", default=None, metavar="URL",
                   help="scratch PostgreSQL database the benchmark creates and drops (default "
                   "RESILIENCE_BENCH_POSTGRES or postgres://postgres@127.0.0.1:5432/resilience_bench)")
    p.add_argument("--url", default=None, help="load: a running server on loopback (default: "
                   "start one on a scratch database per --databases)")
    p.add_argument("--clients", type=_at_least(1), default=None, help="load: concurrent clients (50; quick 10)")
    p.add_argument("--seconds", type=_at_least(1, float), default=None, help="load: duration (60; quick 10)")
    p.add_argument("--restart-at", type=float, default=None, metavar="SECONDS",
                   help="faults: when PostgreSQL restarts (default: the middle of --seconds, 60)")
    p.add_argument("--restart-mode", choices=["fast", "immediate"], default="fast",
                   help="faults: pg_ctl restart mode (immediate: like a crash)")
    p.add_argument("--residents", type=int, default=None,
                   help="faults: residents of the scratch community (default 200)")
    p.add_argument("--mix", choices=["office", "api"], default="office",
                   help="load: what the clients ask — office (pages, API and writes while a "
                   "warning is out; default) or api (API lists and map layers only, DESIGN's bar)")
    p.add_argument("--workers", type=_at_least(1), default=None,
                   help="load: web server processes (default 1; the api mix 2)")
    p.add_argument("--pace", type=_at_least(0, float), default=0,
                   help="load: seconds between one client's requests (default 0: each client "
                   "asks again as soon as answered)")

    p = add("backtest", cmd_backtest, "Replay the simulator's scenarios (with noise, gaps and "
            "false starts) through threshold rules alone and with forecast rules; print alarms, "
            "lead time, false alarms and missed events.")
    p.add_argument("--scenario", default=None,
                   choices=["fire", "flood", "gas-leak", "power-room-overheat", "offline"])
    p.add_argument("--all", action="store_true", help="every scenario (the default)")
    p.add_argument("--days", type=int, default=1, help="days of normal readings (default 1)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    p = add("backup", cmd_backup, "Back up the database, media files and keys into one .tar.gz "
            "with a manifest of checksums (docs/reliability.md).")
    p.add_argument("--out", default=None,
                   help="archive to write (default <data dir>/backups/resilience-<time>.tar.gz)")
    p.add_argument("--no-keys", action="store_true",
                   help="leave the encryption keys out (keep them safe elsewhere)")

    p = add("restore", cmd_restore, "Replace this instance's database, media and keys with a "
            "backup's, then verify every table and file against its manifest.")
    p.add_argument("file", help="archive written by `resilience backup`")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = add("import-cap", cmd_import_cap, "Import an upstream CAP 1.2 alert (file or http(s) "
            "URL) and relay it to the communities its area covers; exit status 1 with the reason "
            "when it is refused.")
    p.add_argument("source", metavar="FILE|URL", help="a CAP 1.2 file or an http(s) URL")
    p.add_argument("--auto-issue", action="store_true",
                   help="issue the relayed alerts at once (default: drafts for staff to review)")

    p = add("worker", cmd_worker, "Run background tasks and periodic jobs from the task table "
            "(any number of workers may share it); SIGTERM stops it cleanly.")
    p.add_argument("--id", default=None, metavar="NAME",
                   help="worker name recorded on the tasks it claims (default host:pid)")
    p.add_argument("--concurrency", type=int, default=1, help="tasks run at a time (default 1)")
    p.add_argument("--once", action="store_true",
                   help="run what is due now (periodic jobs included), then exit")

    p = add("index", cmd_index, "Compute an index from raw inputs, e.g. `resilience index svi "
            "--input ACS.csv --formulas FORMULAS.csv --out OUT.csv` (CDC SVI).")
    from resilience.assessment.cli import add_arguments as add_index_arguments

    add_index_arguments(p)

    p = add("manage", cmd_manage, "Run a Django management command, e.g. `resilience manage "
            "createsuperuser`.")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="the command and its arguments")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from django.core.exceptions import ImproperlyConfigured

        if isinstance(exc, ImproperlyConfigured):
            print(f"resilience: configuration error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
