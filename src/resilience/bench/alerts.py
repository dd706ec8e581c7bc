"""``resilience bench alerts``: how fast an issued alert becomes queued deliveries, and how fast
the worker sends them, on this machine.

For each database (PostgreSQL, a scratch database created and dropped; SQLite, a temporary file)
and each size (4,000, 40,000 and 400,000 residents in one generated community, every one with a
phone number, 15 % vulnerable), a child process:

1. seeds the community (not timed in the results: it is set-up);
2. issues a red alert to the whole community and runs the fan-out the worker would run — the
   **queue** time is from the start of the issue to the last delivery row committed;
3. runs the worker (``core.worker.Worker``, 4 tasks at a time) against the local fake gateway
   (``alerts.fakegateway``, in the parent process, on loopback) for a bounded time and reports the
   SMS delivery **throughput** (sent per second) and, separately, the throughput of the signed
   webhook to 200 group endpoints.

Both are measured in a separate process from the gateway so that the receiving side does not
share the sender's interpreter lock.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (4_000, 40_000, 400_000)
QUICK_SIZES = (400, 4_000, 40_000)
SEND_SECONDS = 8.0  # the worker's time to send, per size (throughput is sent ÷ time)
WEBHOOK_ENDPOINTS = 200
TARGET_QUEUE_SECONDS = 1.0  # for 4,000 residents
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/resilience_bench"
RESIDENTS_PER_BUILDING = 100
VULNERABLE_SHARE = 0.15


# -- the child: one database, one size ---------------------------------------------------------
def seed(residents: int) -> dict:
    """A community of ``residents`` people in buildings of 100, with a phone each; 15 % tagged
    elderly-alone. Bulk inserts with the derived columns filled as ``Resident.prepare`` does."""
    import datetime as dt

    from django.db import transaction

    from resilience.core import crypto
    from resilience.core.testing import square
    from resilience.people.models import Household, Membership, Resident
    from resilience.people.models.residents import tag_token
    from resilience.places.models import Building, Community, Grid, Region
    from django.contrib.auth import get_user_model

    buildings_n = max(1, residents // RESIDENTS_PER_BUILDING)
    with transaction.atomic():
        region = Region.objects.create(code="bench-street", name="Bench street", level="street")
        community = Community.objects.create(code="bench", name="Bench community", region=region,
                                             geometry=square(121.5, 31.2, 0.05),
                                             latitude=31.225, longitude=121.525)
        grids = [Grid.objects.create(community=community, code=f"G{g}", name=f"Grid {g}")
                 for g in range(10)]
        buildings = Building.objects.bulk_create([
            Building(community=community, grid=grids[b % 10], code=f"B{b}", name=f"Building {b}",
                     latitude=31.2 + (b // 50) * 0.0005, longitude=121.5 + (b % 50) * 0.0005)
            for b in range(buildings_n)])
        households = Household.objects.bulk_create([
            Household(community=community, building=buildings[h % buildings_n], room=str(h),
                      code=f"h{h}") for h in range((residents + 2) // 3)], batch_size=5000)
        elderly = "|" + tag_token("elderly_alone") + "|"
        # One ciphertext per distinct phone would be unrealistic; encrypting 400,000 phones is
        # part of the set-up cost only, so it is done once per person like a real import.
        rows = []
        for i in range(residents):
            phone = f"139{i:08d}"
            rows.append(Resident(
                community=community, household=households[i // 3], name=f"Resident {i}",
                sex="female", birth_date=dt.date(1950, 1, 1), phone=phone,
                phone_hash=crypto.keyed_hash(phone, "phone"),
                tag_index=elderly if i % 100 < VULNERABLE_SHARE * 100 else ""))
            if len(rows) == 5000:
                Resident.objects.bulk_create(rows)
                rows = []
        Resident.objects.bulk_create(rows)
        User = get_user_model()
        staff = User.objects.create_user("bench-staff", password=None)
        Membership.objects.create(user=staff, role="staff", community=community)
        approver = User.objects.create_user("bench-approver", password=None)
        Membership.objects.create(user=approver, role="staff", community=community)
    return {"community": community.pk, "staff": staff.pk, "approver": approver.pk}


def child(size: int, gateway: str) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from resilience.alerts import delivery, services
    from resilience.alerts.models import Delivery, Endpoint
    from resilience.core.worker import Worker, load_handlers
    from resilience.places.models import Community

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    ids = seed(size)
    seed_s = time.perf_counter() - started
    community = Community.objects.get(pk=ids["community"])
    User = get_user_model()
    staff, approver = User.objects.get(pk=ids["staff"]), User.objects.get(pk=ids["approver"])

    # -- queue: issue (draft → submit → approve) and the fan-out the worker runs --------------
    alert = services.draft(staff, community, level=1, event_type="flood", headline="红色暴雨预警",
                           description="地下车库进水，请立即撤离。", instruction="远离地下空间。")
    services.submit(alert, staff)
    t0 = time.perf_counter()
    services.approve(alert, approver)
    issue_s = time.perf_counter() - t0
    queued = delivery.fan_out(alert)
    queue_s = time.perf_counter() - t0

    # -- throughput: the worker against the fake gateway -------------------------------------
    load_handlers()
    sms = _drain("sms", Worker("bench", concurrency=4), alert)

    # What the bounded SMS run left unsent would compete with the webhooks: set it aside.
    from resilience.core.models import Task

    Delivery.objects.filter(status__in=["queued", "sending"]).update(
        status="failed", last_error="bench: not sent within the measured time")
    Task.objects.filter(kind=delivery.SEND).delete()
    for n in range(WEBHOOK_ENDPOINTS):
        Endpoint.objects.create(community=community, name=f"hook {n}", channel="webhook",
                                url=f"{gateway}/hook/bench-{n}", secret="bench-secret")
    hook_alert = services.draft(staff, community, level=3, event_type="flood", headline="黄色预警",
                                description="webhook only", audience="staff")
    services.submit(hook_alert, staff)
    delivery.fan_out(hook_alert)
    hooks = _drain("webhook", Worker("bench-hooks", concurrency=4), hook_alert)
    return {"size": size, "seed_s": seed_s, "issue_s": issue_s, "queue_s": queue_s,
            "deliveries": queued,
            "sms_deliveries": Delivery.objects.filter(alert=alert, channel="sms").count(),
            "sms": sms, "webhook": hooks}


def prepare(size: int) -> dict:
    """For fault tests: migrate, seed ``size`` residents, issue a red alert and fan it out (no
    sending); return the alert and how many deliveries of each channel wait."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count

    from resilience.alerts import delivery, services
    from resilience.alerts.models import Delivery
    from resilience.places.models import Community

    call_command("migrate", verbosity=0)
    ids = seed(size)
    User = get_user_model()
    staff, approver = User.objects.get(pk=ids["staff"]), User.objects.get(pk=ids["approver"])
    alert = services.draft(staff, Community.objects.get(pk=ids["community"]), level=1,
                           event_type="fire", headline="火警", description="请立即撤离。")
    services.submit(alert, staff)
    services.approve(alert, approver)
    delivery.fan_out(alert)
    counts = dict(Delivery.objects.filter(alert=alert).values_list("channel")
                  .annotate(n=Count("pk")).values_list("channel", "n"))
    return {"alert": alert.pk, "deliveries": counts}


def _drain(channel: str, worker, alert) -> dict:
    """Run ``worker`` until the alert's deliveries on ``channel`` are all sent or SEND_SECONDS
    pass; return sent, failed and the rate."""
    import threading

    from resilience.alerts.models import Delivery

    rows = Delivery.objects.filter(alert=alert, channel=channel)
    thread = threading.Thread(target=worker.run, daemon=True)
    started = time.perf_counter()
    thread.start()
    total = rows.count()
    while time.perf_counter() - started < SEND_SECONDS:
        if not rows.filter(status__in=["queued", "sending"]).exists():
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    worker.stop()
    thread.join(timeout=30)
    sent = rows.filter(status="sent").count()
    return {"total": total, "sent": sent, "failed": rows.filter(status="failed").count(),
            "seconds": elapsed, "per_second": sent / elapsed if elapsed else 0.0}


# -- the parent: databases × sizes, the gateway, the table -------------------------------------
def _database_env(vendor: str, workdir: Path, size: int, postgres: str | None):
    from resilience.bench.databases import PostgresDatabase, SQLiteDatabase

    if vendor == "postgresql":
        from urllib.parse import urlparse

        url = urlparse(postgres or os.environ.get("RESILIENCE_BENCH_POSTGRES") or DEFAULT_POSTGRES)
        db = PostgresDatabase(url.path.lstrip("/") or "resilience_bench", url.hostname,
                              url.port, url.username, url.password)
    else:
        db = SQLiteDatabase(workdir / f"sqlite-{size}")
    db.create()
    return db


def run(args) -> int:
    from resilience.alerts.fakegateway import FakeGateway
    from resilience.bench.databases import keys_env

    sizes = QUICK_SIZES if getattr(args, "quick", False) else SIZES
    vendors = [v.strip() for v in (getattr(args, "databases", None) or "postgresql,sqlite")
               .split(",") if v.strip() in ("postgresql", "sqlite")]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp, FakeGateway() as gateway:
        for vendor in vendors:
            for size in sizes:
                try:
                    db = _database_env(vendor, Path(tmp), size, getattr(args, "postgres", None))
                except Exception as exc:  # noqa: BLE001 — no server: say so, measure the rest
                    print(f"{vendor}: skipped ({exc})", flush=True)
                    break
                env = {**os.environ, **keys_env(), **db.env(),
                       "DJANGO_SETTINGS_MODULE": "resilience.settings",
                       "RESILIENCE_SMS_URL": f"{gateway.url}/sms", "RESILIENCE_SMS_KEY": "",
                       "RESILIENCE_ALERT_CHANNELS": "inapp,sms,webhook",
                       "RESILIENCE_DATA_DIR": str(Path(tmp) / f"data-{vendor}-{size}")}
                print(f"{vendor}: {size:,} residents …", flush=True)
                proc = subprocess.run(
                    [sys.executable, "-m", "resilience.bench.alerts", "--child", str(size),
                     "--gateway", gateway.url], env=env, capture_output=True, text=True,
                    timeout=3600)
                if proc.returncode != 0:
                    print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
                    db.drop()
                    return 1
                result = json.loads(proc.stdout.strip().splitlines()[-1])
                result["database"] = vendor
                result["gateway_duplicates"] = getattr(gateway, "duplicates", None)
                results.append(result)
                db.drop()
                _print_row(result)
    _print_table(results)
    path = Path(getattr(args, "output", None) or "benchmarks/results/alerts.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                "results": results}, indent=2))
    print(f"\nResults written to {path}")
    return 0


def _print_row(r: dict) -> None:
    print(f"  queued {r['deliveries']:,} deliveries in {r['queue_s']:.2f} s "
          f"(issue {r['issue_s']:.2f} s); SMS {r['sms']['per_second']:.0f}/s, "
          f"webhook {r['webhook']['per_second']:.0f}/s", flush=True)


def _print_table(results: list[dict]) -> None:
    print("\n| database | residents | deliveries | queued in (s) | per 1,000 (ms) "
          "| SMS sent/s | webhook sent/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        per_k = 1000 * r["queue_s"] / max(r["deliveries"], 1) * 1000
        print(f"| {r['database']} | {r['size']:,} | {r['deliveries']:,} | {r['queue_s']:.2f} "
              f"| {per_k:.1f} | {r['sms']['per_second']:.0f} | "
              f"{r['webhook']['per_second']:.0f} |")
    for vendor in {r["database"] for r in results}:
        rows = [r for r in results if r["database"] == vendor]
        if len(rows) >= 2:
            first, last = rows[0], rows[-1]
            print(f"{vendor}: {last['size'] // first['size']}× the residents took "
                  f"{last['queue_s'] / max(first['queue_s'], 1e-9):.1f}× the queueing time")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--gateway", default="")
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        print(json.dumps(prepare(args.prepare)), flush=True)
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.gateway)), flush=True)
        return 0
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
