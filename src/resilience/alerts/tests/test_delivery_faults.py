"""A worker killed (SIGKILL) in the middle of a large fan-out, then started again: every delivery
ends sent exactly once — the gateway accepted each message once, and the database says sent.

Everything runs as it would in production: a child process seeds a community of 600 residents,
issues a red alert and fans it out; ``resilience worker`` child processes send through the fake
SMS gateway (in this process, on loopback, slowed to 10 ms a message so the kill lands mid-way).
The killed worker's leased deliveries are taken up again once their lease (2 s here) runs out,
with the same idempotency key, so a message the gateway had already accepted is refused as a
duplicate rather than sent twice. The database is a scratch one of the vendor under test.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from resilience.alerts.fakegateway import FakeGateway
from resilience.bench.databases import PostgresDatabase, SQLiteDatabase, keys_env

RESIDENTS = 600


@pytest.fixture
def scratch(tmp_path):
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        database = PostgresDatabase(f"resilience_fault_{os.getpid()}", s.get("HOST"),
                                    s.get("PORT"), s.get("USER"), s.get("PASSWORD"))
    else:
        database = SQLiteDatabase(tmp_path / "scratch")
    database.create()
    yield database
    database.drop()


def statuses(database) -> dict[str, int]:
    if database.vendor == "sqlite":
        conn = database.connect()
        try:
            rows = conn.execute("SELECT status, count(*) FROM alerts_delivery "
                                "WHERE channel = 'sms' GROUP BY status").fetchall()
        finally:
            conn.close()
    else:
        with database.connect() as conn:
            rows = conn.execute("SELECT status, count(*) FROM alerts_delivery "
                                "WHERE channel = 'sms' GROUP BY status").fetchall()
    return dict(rows)


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "resilience.cli", "worker", "--concurrency", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.django_db
def test_a_worker_killed_mid_fan_out_leaves_every_message_sent_exactly_once(scratch):
    with FakeGateway() as gateway:
        gateway.delay = 0.01
        env = {**os.environ, **keys_env(), **scratch.env(),
               "DJANGO_SETTINGS_MODULE": "resilience.settings_test",
               "RESILIENCE_SMS_URL": f"{gateway.url}/sms", "RESILIENCE_ALERT_CHANNELS": "inapp,sms",
               "RESILIENCE_DELIVERY_LEASE_SECONDS": "2"}
        prepared = subprocess.run([sys.executable, "-m", "resilience.bench.alerts", "--prepare",
                                   str(RESIDENTS)], env=env, capture_output=True, text=True,
                                  timeout=300)
        assert prepared.returncode == 0, prepared.stderr[-3000:]
        expected = json.loads(prepared.stdout.strip().splitlines()[-1])["deliveries"]["sms"]
        assert expected == RESIDENTS

        first = start_worker(env)
        try:
            assert wait_for(lambda: len(gateway.sms) >= expected // 3, 60), first.stdout
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        at_kill = len(gateway.sms)
        assert 0 < at_kill < expected  # the kill did land in the middle

        second = start_worker(env)
        try:
            done = wait_for(lambda: statuses(scratch).get("sent", 0) == expected, 90)
        finally:
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=30)
        assert done, (statuses(scratch), output[-3000:])
        assert second.returncode == 0, output[-3000:]

    refs = [m["ref"] for m in gateway.sms]
    assert len(refs) == expected and len(set(refs)) == expected  # each accepted exactly once
    assert statuses(scratch) == {"sent": expected}  # none failed, none left queued or sending
    print(f"\n{expected} SMS: {at_kill} before the kill, the rest after; "
          f"{gateway.duplicates} re-sends refused by the gateway as duplicates")


@pytest.mark.django_db(transaction=True)
def test_a_channel_that_times_out_never_holds_up_the_others(settings):
    """The SMS gateway answers nothing in time (every request times out) while the worker runs:
    the in-app messages of the same alert are all sent within seconds, and the SMS are queued
    again for a later attempt — none lost, none failed early."""
    from django.contrib.auth import get_user_model

    from resilience.alerts import channels, services
    from resilience.alerts.models import Delivery
    from resilience.core.testing import build_world
    from resilience.core.worker import Worker, load_handlers

    world = build_world()
    for name in ("resident_a1", "resident_a2"):
        resident = getattr(world, name)
        resident.user = get_user_model().objects.create_user(f"{name}-account")
        resident.save()
    with FakeGateway() as gateway:
        gateway.delay = 3.0  # longer than the channel's timeout below
        settings.RESILIENCE_SMS_URL = f"{gateway.url}/sms"
        settings.RESILIENCE_ALERT_CHANNELS = ["inapp", "sms"]
        channels.reset()
        channels.get("sms").timeout = 0.5
        alert = services.draft(world.staff_a, world.community_a, level=3, event_type="flood",
                               headline="积水", description="地下车库积水")
        services.submit(alert, world.staff_a)
        load_handlers()
        worker = Worker("timeouts", concurrency=4)
        import threading

        thread = threading.Thread(target=worker.run, daemon=True)
        started = time.monotonic()
        thread.start()
        try:
            inapp = Delivery.objects.filter(alert=alert, channel="inapp")
            # Seconds here (about 2); the bound is loose because SQLite's writers take turns.
            assert wait_for(lambda: inapp.exists() and not inapp.exclude(status="sent").exists(),
                            30)
            in_app_seconds = time.monotonic() - started
            sms = Delivery.objects.filter(alert=alert, channel="sms")
            assert wait_for(lambda: sms.filter(status="queued", attempts__gte=1).exists(), 10)
        finally:
            worker.stop()
            thread.join(15)
            channels.reset()
    assert in_app_seconds < 30, in_app_seconds
    assert not sms.filter(status="failed").exists()
    assert "Timeout" in sms.exclude(last_error="").first().last_error or \
        "timed out" in sms.exclude(last_error="").first().last_error.lower()
    print(f"\nin-app sent {in_app_seconds:.1f} s after issue while every SMS timed out")
