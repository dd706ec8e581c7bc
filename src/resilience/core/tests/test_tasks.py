"""The task table and `resilience worker`: idempotent enqueue in the caller's transaction, claims
that never hand one task to two workers, back-off then failure with the reason, leases that
expire, periodic jobs once per period, and a worker that stops cleanly on SIGTERM.

The handlers below are also loaded by the worker subprocesses (``RESILIENCE_WORKER_MODULES``).
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from resilience.core.models import Task
from resilience.core.tasks import claim, enqueue, enqueue_periodic, every, handler, run_one

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
HERE = "resilience.core.tests.test_tasks"
ran: list[int] = []
ran_lock = threading.Lock()


@handler("test.touch")
def touch(payload: dict) -> None:
    time.sleep(payload.get("seconds", 0))
    with open(payload["path"], "a") as f:
        f.write(payload.get("text", "ran") + "\n")


@handler("test.boom")
def boom(payload: dict) -> None:
    raise RuntimeError("sensor gateway unreachable")


@handler("test.count")
def count(payload: dict) -> None:
    with ran_lock:
        ran.append(payload["n"])


@every(10, "test.tick")
def tick(now: dt.datetime) -> None:
    pass


def at(t: dt.datetime):
    return lambda: t


# --- enqueue ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_enqueueing_the_same_key_twice_is_one_task():
    first = enqueue("test.touch", {"path": "/dev/null"}, key="alert-expire:42")
    second = enqueue("test.touch", {"path": "/elsewhere"}, key="alert-expire:42")
    assert first.pk == second.pk and second.payload == {"path": "/dev/null"}
    assert Task.objects.filter(key="alert-expire:42").count() == 1
    assert enqueue("test.touch", {}).pk != enqueue("test.touch", {}).pk  # no key, no de-dup


@pytest.mark.django_db
def test_a_task_enqueued_in_a_rolled_back_transaction_does_not_exist():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        enqueue("test.touch", {}, key="rolled-back")
        1 / 0
    assert not Task.objects.filter(key="rolled-back").exists()


@pytest.mark.django_db
def test_enqueueing_a_taken_key_inside_a_transaction_leaves_it_usable():
    with transaction.atomic():
        enqueue("test.touch", {}, key="k")
        Task.objects.filter(key="k").update(status=Task.Status.DONE)
        assert enqueue("test.touch", {}, key="k").status == Task.Status.DONE
        assert Task.objects.count() == 1  # the transaction still works


# --- run, retry, fail ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_handler_that_succeeds_marks_its_task_done(tmp_path):
    task = enqueue("test.touch", {"path": str(tmp_path / "out")}, run_at=T0)
    assert claim("w", 5, now=T0 - dt.timedelta(seconds=1)) == []  # not due yet
    [claimed] = claim("w", 5, now=T0)
    assert run_one(claimed, now=at(T0)) == Task.Status.DONE
    task.refresh_from_db()
    assert task.status == "done" and task.attempts == 1 and task.finished == T0
    assert (tmp_path / "out").read_text() == "ran\n"


@pytest.mark.django_db
def test_a_failing_task_backs_off_exponentially_then_fails_with_the_reason():
    task = enqueue("test.boom", {}, run_at=T0, max_attempts=3)
    now = T0
    for attempt, base in ((1, 2), (2, 4)):
        [claimed] = claim("w", 1, now=now)
        assert run_one(claimed, now=at(now)) == Task.Status.QUEUED
        task.refresh_from_db()
        assert task.status == "queued" and task.attempts == attempt and not task.locked_by
        delay = (task.run_at - now).total_seconds()
        assert base <= delay <= base * 1.25  # 2**attempts, plus jitter
        assert "RuntimeError: sensor gateway unreachable" in task.last_error
        assert claim("w", 1, now=task.run_at - dt.timedelta(milliseconds=1)) == []
        now = task.run_at
    [claimed] = claim("w", 1, now=now)
    assert run_one(claimed, now=at(now)) == Task.Status.FAILED
    task.refresh_from_db()
    assert task.status == "failed" and task.attempts == 3 and task.finished == now
    assert task.last_error.startswith("RuntimeError: sensor gateway unreachable")
    assert claim("w", 1, now=now + dt.timedelta(days=1)) == []


@pytest.mark.django_db
def test_back_off_stops_growing_at_five_minutes():
    task = enqueue("test.boom", {}, run_at=T0, max_attempts=20)
    Task.objects.filter(pk=task.pk).update(attempts=11)
    [claimed] = claim("w", 1, now=T0)
    run_one(claimed, now=at(T0))
    task.refresh_from_db()
    assert 300 <= (task.run_at - T0).total_seconds() <= 375


@pytest.mark.django_db
def test_a_task_of_an_unknown_kind_is_retried_with_the_reason():
    enqueue("test.nobody-handles-this", {}, run_at=T0)
    [claimed] = claim("w", 1, now=T0)
    assert run_one(claimed, now=at(T0)) == Task.Status.QUEUED
    claimed.refresh_from_db()
    assert "no handler for task kind 'test.nobody-handles-this'" in claimed.last_error


# --- leases -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_task_whose_worker_died_is_claimed_again_once_the_lease_expires(tmp_path):
    task = enqueue("test.touch", {"path": str(tmp_path / "out")}, run_at=T0)
    [lost] = claim("dead", 1, now=T0, lease=dt.timedelta(seconds=60))
    assert claim("alive", 1, now=T0 + dt.timedelta(seconds=59)) == []
    [again] = claim("alive", 1, now=T0 + dt.timedelta(seconds=61))
    assert again.pk == task.pk and again.locked_by == "alive" and again.attempts == 2
    # The presumed-dead worker wakes up and finishes: the row is no longer its to mark.
    run_one(lost, now=at(T0 + dt.timedelta(seconds=62)))
    task.refresh_from_db()
    assert task.status == "running" and task.locked_by == "alive"
    assert run_one(again, now=at(T0 + dt.timedelta(seconds=63))) == Task.Status.DONE


@pytest.mark.django_db
def test_a_task_that_keeps_killing_its_worker_fails_after_max_attempts():
    enqueue("test.touch", {}, run_at=T0, max_attempts=2)
    now = T0
    for _ in range(2):
        claim("doomed", 1, now=now, lease=dt.timedelta(seconds=10))
        now += dt.timedelta(seconds=11)
    [claimed] = claim("next", 1, now=now)
    assert run_one(claimed, now=at(now)) == Task.Status.FAILED
    claimed.refresh_from_db()
    assert "lease expired" in claimed.last_error


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_never_get_the_same_task():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims need PostgreSQL (SKIP LOCKED); SQLite has one writer at a "
                    "time and is covered by the conditional update. Set DATABASE_URL to run it.")
    Task.objects.bulk_create([Task(kind="test.count", payload={"n": n}, run_at=T0)
                              for n in range(200)])
    ran.clear()
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def work(name: str) -> None:
        mine = claimed.setdefault(name, [])
        try:
            start.wait()
            while tasks := claim(name, 3):
                mine.extend(t.pk for t in tasks)
                for task in tasks:
                    run_one(task)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every_claim = [pk for pks in claimed.values() for pk in pks]
    assert len(every_claim) == len(set(every_claim)) == 200
    assert sorted(ran) == list(range(200))  # each task ran exactly once
    assert sum(1 for pks in claimed.values() if pks) > 1  # and the work was shared
    assert Task.objects.filter(status="done").count() == 200


# --- periodic jobs ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_periodic_jobs_are_enqueued_once_per_period():
    enqueue_periodic(T0)
    enqueue_periodic(T0 + dt.timedelta(seconds=5))  # same 10 s period: another worker's try
    assert Task.objects.filter(kind="test.tick").count() == 1
    enqueue_periodic(T0 + dt.timedelta(seconds=10))
    ticks = Task.objects.filter(kind="test.tick").order_by("run_at")
    assert [t.run_at for t in ticks] == [T0, T0 + dt.timedelta(seconds=10)]
    seen: dict[str, int] = {}
    assert enqueue_periodic(T0 + dt.timedelta(seconds=20), seen) >= 1
    assert enqueue_periodic(T0 + dt.timedelta(seconds=21), seen) == 0  # remembered, no queries


@pytest.mark.django_db
def test_the_real_jobs_run_for_a_given_moment():
    from resilience.core import jobs  # noqa: F401  registers them

    for kind in ("monitoring.check_stale", "alerts.expire_due", "hazards.escalate_overdue",
                 "tasks.purge_finished"):
        enqueue(kind, {"now": T0.isoformat()}, run_at=T0)
    claimed = claim("w", 10, now=T0)
    assert len(claimed) == 4
    assert [run_one(t) for t in claimed] == [Task.Status.DONE] * 4


# --- the command --------------------------------------------------------------------------------

def cli(*args: str, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "resilience.cli", *args, "--data-dir", str(data_dir)]


def cli_env() -> dict:
    # SQLite in the given data directory, whatever database the test run itself uses.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "resilience.settings_test"
    env["RESILIENCE_WORKER_MODULES"] = HERE
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[3]),
                                         env.get("PYTHONPATH", "")])
    return env


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worker") / "var"
    done = subprocess.run([sys.executable, "-m", "resilience.cli", "manage", "--data-dir",
                           str(folder), "migrate", "--verbosity", "0"], env=cli_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder


def enqueue_in(data_dir: Path, kind: str, payload: dict) -> None:
    code = f"from resilience.core.tasks import enqueue; enqueue({kind!r}, {payload!r})"
    done = subprocess.run([sys.executable, "-m", "resilience.cli", "manage", "--data-dir",
                           str(data_dir), "shell", "-c", code], env=cli_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_worker_once_runs_a_queued_task_and_exits(data_dir, tmp_path):
    out = tmp_path / "out"
    enqueue_in(data_dir, "test.touch", {"path": str(out), "text": "hello"})
    done = subprocess.run(cli("worker", "--once", "--id", "once", data_dir=data_dir),
                          env=cli_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == "hello\n"
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("worker once: stopped after") and "0 failed" in summary, done.stdout


def test_sigterm_lets_the_running_task_finish_then_stops_the_worker(data_dir, tmp_path):
    out = tmp_path / "out"
    enqueue_in(data_dir, "test.touch", {"path": str(out), "seconds": 2, "text": "finished"})
    worker = subprocess.Popen(cli("worker", "--id", "loop", data_dir=data_dir), env=cli_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "started" in worker.stdout.readline()
        time.sleep(1)  # the slow task is running now
        worker.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    output = worker.stdout.read()
    assert code == 0, worker.stderr.read()
    assert time.monotonic() - started < 10
    assert out.read_text() == "finished\n"  # finished, not abandoned
    assert "worker loop: stopped after" in output
