"""Background work through one outbox table (``core.Task``) shared by any number of workers.

Write side: ``enqueue()`` inside the caller's transaction, so the task exists only if the caller's
change commits (the outbox pattern). Read side: ``resilience worker`` claims due tasks with a
conditional update and runs them with ``run_one()``.

Delivery is **at least once**: a worker may die after a handler's effect committed but before the
task was marked done, and the task then runs again once its lease expires. Handlers must therefore
be idempotent; exactly-once *effects* are the handler's job — a de-duplication key, or a
conditional update such as ``UPDATE … WHERE state = 'issued'`` that does nothing the second time.

Handlers::

    @handler("alerts.send")
    def send(payload: dict) -> None: ...

    enqueue("alerts.send", {"alert": alert.pk}, key=f"alert-send:{alert.pk}")

Periodic jobs take ``now``; the worker enqueues each one once per period with the key
``every:<kind>:<period number>``, so several workers never double a period::

    @every(60, "alerts.expire_due")
    def expire(now): ...
"""
from __future__ import annotations

import datetime as dt
import random
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.db import Error, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from resilience.core.models import Task

LEASE = dt.timedelta(minutes=5)  # a task still "running" after this is taken to be abandoned
MAX_BACKOFF = 300  # seconds
ERROR_CHARS = 4000
# Seconds a worker keeps trying to give back work it holds while the database is away (a restart
# takes seconds); past that the lease brings the work back, only later.
GIVE_BACK_PATIENCE = 60.0

Handler = Callable[[dict], object]
_handlers: dict[str, Handler] = {}


@dataclass(frozen=True)
class Periodic:
    kind: str
    seconds: int
    max_attempts: int


_periodic: dict[str, Periodic] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn(payload)`` as the handler of ``kind``."""
    def register(fn: Handler) -> Handler:
        _handlers[kind] = fn
        return fn
    return register


def handlers() -> dict[str, Handler]:
    return dict(_handlers)


def every(seconds: int, kind: str, *, max_attempts: int = 3):
    """Register ``fn(now)`` as a periodic job run every ``seconds`` (periods counted from the Unix
    epoch, so every worker agrees on them). A failed run is retried a few times; the next period
    runs anyway. The payload may carry ``{"now": ISO 8601}`` to run it for a given moment."""
    if seconds < 1:
        raise ValueError("a periodic job runs at most once a second")

    def register(fn: Callable[[dt.datetime], object]):
        def run(payload: dict) -> object:
            now = parse_datetime(payload["now"]) if payload.get("now") else timezone.now()
            return fn(now)

        _handlers[kind] = run
        _periodic[kind] = Periodic(kind, int(seconds), max_attempts)
        return fn
    return register


def periodic() -> dict[str, Periodic]:
    return dict(_periodic)


def enqueue(kind: str, payload: dict | None = None, *, run_at: dt.datetime | None = None,
            key: str | None = None, max_attempts: int | None = None) -> Task:
    """Add a task; with ``key``, return the existing task of that key instead of a second one.

    Call it inside the caller's transaction: if that rolls back, so does the task."""
    return _enqueue(kind, payload, run_at=run_at, key=key, max_attempts=max_attempts)[0]


def _enqueue(kind: str, payload: dict | None, *, run_at: dt.datetime | None, key: str | None,
             max_attempts: int | None) -> tuple[Task, bool]:
    fields = {"kind": kind, "payload": payload or {}, "run_at": run_at or timezone.now()}
    if max_attempts is not None:
        fields["max_attempts"] = max_attempts
    if key is None:
        return Task.objects.create(**fields), True
    existing = Task.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # a savepoint: losing the race must not spoil the caller's
            return Task.objects.create(key=key, **fields), True
    except IntegrityError:
        return Task.objects.get(key=key), False


def _claimable(now: dt.datetime) -> Q:
    # Due, or claimed by a worker whose lease ran out (it died or hung).
    return (Q(status=Task.Status.QUEUED, run_at__lte=now)
            | Q(status=Task.Status.RUNNING, locked_until__lt=now))


def claim(worker_id: str, limit: int = 1, now: dt.datetime | None = None,
          lease: dt.timedelta = LEASE) -> list[Task]:
    """Claim up to ``limit`` due tasks for ``worker_id``: mark them running, leased until
    ``now + lease``, one more attempt each; return them.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent workers take different rows
    without waiting. SQLite (one writer at a time; our connections BEGIN IMMEDIATE): a conditional
    ``UPDATE … WHERE id IN (…) AND <still claimable>`` — a row another worker took in between no
    longer matches and is simply not ours."""
    now = now or timezone.now()
    until = now + lease
    with transaction.atomic():
        candidates = Task.objects.filter(_claimable(now)).order_by("run_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Task.objects.filter(_claimable(now), id__in=ids).update(
            status=Task.Status.RUNNING, locked_by=worker_id, locked_until=until,
            attempts=F("attempts") + 1)
        return list(Task.objects.filter(id__in=ids, status=Task.Status.RUNNING,
                                        locked_by=worker_id, locked_until=until)
                    .order_by("run_at", "id"))


def release(tasks: list[Task], worker_id: str) -> int:
    """Give back claimed tasks that were never started (a worker stopping): queued again, the
    attempt not counted."""
    if not tasks:
        return 0
    return Task.objects.filter(id__in=[t.pk for t in tasks], status=Task.Status.RUNNING,
                               locked_by=worker_id).update(
        status=Task.Status.QUEUED, locked_by="", locked_until=None, attempts=F("attempts") - 1)


def when_database_answers(write: Callable[[], object], patience: float = GIVE_BACK_PATIENCE,
                          stop: threading.Event | None = None) -> bool:
    """Run ``write()`` — bookkeeping such as giving back claimed work — retrying while the
    database is unavailable, for up to ``patience`` seconds (or until ``stop`` is set). Return
    whether it was written. Inside the caller's transaction there is nothing to retry on: the
    database error is raised."""
    deadline = time.monotonic() + patience
    delay = 0.2
    while True:
        try:
            write()
            return True
        except Error:
            if connection.in_atomic_block:
                raise
            connection.close()  # a broken connection is never reused: the next try opens one
            if time.monotonic() + delay > deadline or (stop is not None and stop.is_set()):
                return False
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)
            delay = min(delay * 2, 2.0)


def backoff(attempts: int) -> float:
    """Seconds before retry number ``attempts``: 2, 4, 8 … at most 300, plus up to 25 % jitter so
    tasks that failed together do not all come back together."""
    base = min(2 ** attempts, MAX_BACKOFF)
    return base + random.uniform(0, base / 4)


def _mine(task: Task):
    # Only while we still hold it: after a lost lease another worker owns the row.
    return Task.objects.filter(pk=task.pk, status=Task.Status.RUNNING, locked_by=task.locked_by)


def run_one(task: Task, now: Callable[[], dt.datetime] = timezone.now) -> str:
    """Run a claimed task's handler; mark it done, or queued again with back-off, or failed after
    ``max_attempts`` with the reason. Return the resulting status."""
    fn = _handlers.get(task.kind)
    if task.attempts > task.max_attempts:
        error = (f"gave up after {task.max_attempts} attempts: the worker was lost while "
                 "running it (lease expired)")
    elif fn is None:
        error = f"no handler for task kind {task.kind!r} in this worker"
    else:
        try:
            fn(task.payload)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"
            # A handler that broke the connection must not take the worker down with it (inside
            # a transaction, e.g. a test's, the connection is the caller's to manage).
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        else:
            _mine(task).update(status=Task.Status.DONE, finished=now(), locked_until=None,
                               last_error="")
            return Task.Status.DONE
    error = error[:ERROR_CHARS]
    if task.attempts >= task.max_attempts:
        _mine(task).update(status=Task.Status.FAILED, finished=now(), locked_until=None,
                           last_error=error)
        return Task.Status.FAILED
    _mine(task).update(status=Task.Status.QUEUED, locked_by="", locked_until=None,
                       run_at=now() + dt.timedelta(seconds=backoff(task.attempts)),
                       last_error=error)
    return Task.Status.QUEUED


def period_of(job: Periodic, now: dt.datetime) -> tuple[int, dt.datetime]:
    number = int(now.timestamp()) // job.seconds
    return number, dt.datetime.fromtimestamp(number * job.seconds, tz=dt.timezone.utc)


def enqueue_periodic(now: dt.datetime | None = None, seen: dict[str, int] | None = None) -> int:
    """Enqueue each periodic job for the current period unless it already is (by key); return how
    many were new. ``seen`` (kind → last period enqueued) spares the look-ups within a period."""
    now = now or timezone.now()
    added = 0
    for job in _periodic.values():
        number, start = period_of(job, now)
        if seen is not None and seen.get(job.kind) == number:
            continue
        _, created = _enqueue(job.kind, {}, run_at=start, key=f"every:{job.kind}:{number}",
                              max_attempts=job.max_attempts)
        added += created
        if seen is not None:
            seen[job.kind] = number
    return added


def purge_finished(now: dt.datetime, keep_done: dt.timedelta = dt.timedelta(days=7),
                   keep_failed: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Delete finished tasks: done ones after a week, failed ones (kept for a look) after 30 days."""
    deleted, _ = Task.objects.filter(
        Q(status=Task.Status.DONE, finished__lt=now - keep_done)
        | Q(status=Task.Status.FAILED, finished__lt=now - keep_failed)).delete()
    return deleted
