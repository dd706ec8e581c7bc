"""``resilience worker``: claim due tasks, run them, sleep briefly when idle, stop on SIGTERM.

Any number of workers on any number of machines share the task table (see ``core.tasks``). On
SIGTERM or SIGINT a worker finishes the tasks it is running, gives back those it claimed but had
not started, prints a summary and exits 0; a second signal leaves at once (what it was running is
taken up again by another worker when the lease expires).
"""
from __future__ import annotations

import importlib
import os
import signal
import socket
import sys
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import DatabaseError, Error, close_old_connections, connections
from django.utils import timezone

from resilience.core import tasks as outbox
from resilience.core.models import Task

IDLE_SECONDS = 0.5


def load_handlers() -> list[str]:
    """Import the modules that register handlers: our periodic jobs, plus those named in the
    ``WORKER_MODULES`` setting or the ``RESILIENCE_WORKER_MODULES`` variable (comma-separated)."""
    names = ["resilience.core.jobs", *getattr(settings, "WORKER_MODULES", [])]
    names += [n.strip() for n in os.environ.get("RESILIENCE_WORKER_MODULES", "").split(",")
              if n.strip()]
    for name in names:
        importlib.import_module(name)
    return names


def default_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(self, worker_id: str | None = None, concurrency: int = 1,
                 idle: float = IDLE_SECONDS, out=None) -> None:
        self.id = worker_id or default_id()
        self.concurrency = max(1, concurrency)
        self.idle = idle
        self.out = out or sys.stdout
        self.stopping = threading.Event()
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def stop(self) -> None:
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        def on_signal(signum, frame) -> None:
            if self.stopping.is_set():
                raise KeyboardInterrupt  # asked twice: leave now
            self.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def say(self, line: str) -> None:
        print(f"worker {self.id}: {line}", file=self.out, flush=True)

    def run(self, once: bool = False) -> Counter[str]:
        """Work until stopped, or with ``once`` until nothing is due; return the outcome counts."""
        seen: dict[str, int] = {}
        pool = ThreadPoolExecutor(self.concurrency) if self.concurrency > 1 else None
        running: set[Future] = set()
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    outbox.enqueue_periodic(timezone.now(), seen)
                    claimed = outbox.claim(self.id, self.concurrency - len(running))
                except DatabaseError as exc:
                    # The database restarting or busy: say so and try again, never die of it.
                    print(f"worker {self.id}: database unavailable ({exc}); retrying",
                          file=sys.stderr, flush=True)
                    connections.close_all()
                    self.stopping.wait(min(5.0, self.idle * 4))
                    continue
                if pool is None:
                    self._run_in_turn(claimed)
                else:
                    running |= {pool.submit(self._run_in_thread, t) for t in claimed}
                if claimed or running:
                    if running:
                        _, running = wait(running, timeout=self.idle, return_when=FIRST_COMPLETED)
                    continue
                if once:
                    break
                self.stopping.wait(self.idle)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)  # the running tasks finish; unstarted ones release
            connections.close_all()
        return self.counts

    def _run_in_turn(self, claimed: list[Task]) -> None:
        for i, task in enumerate(claimed):
            if self.stopping.is_set():
                self.counts["released"] += outbox.release(claimed[i:], self.id)
                return
            self._run(task)

    def _run_in_thread(self, task: Task) -> None:
        try:
            if self.stopping.is_set():
                released = outbox.release([task], self.id)
                with self._lock:
                    self.counts["released"] += released
                return
            self._run(task)
        finally:
            connections.close_all()  # this thread's connection only

    def _run(self, task: Task) -> None:
        try:
            status = outbox.run_one(task)
        except Error as exc:
            # The database went away while the outcome was written: give the task back as soon
            # as it answers again, rather than leave it "running" until its lease (minutes) ends.
            print(f"worker {self.id}: {task.kind} #{task.pk} interrupted, database unavailable "
                  f"({str(exc).strip()[:200]}); giving it back", file=sys.stderr, flush=True)
            if outbox.when_database_answers(lambda: outbox.release([task], self.id),
                                            stop=self.stopping):
                with self._lock:
                    self.counts["released"] += 1
            return
        if status != Task.Status.DONE:
            error = (Task.objects.filter(pk=task.pk).values_list("last_error", flat=True).first()
                     or "").split("\n", 1)[0]
            verb = "failed for good" if status == Task.Status.FAILED else "will retry"
            print(f"worker {self.id}: {task.kind} #{task.pk} attempt {task.attempts} {verb}: "
                  f"{error}", file=sys.stderr, flush=True)
        with self._lock:
            self.counts[{Task.Status.DONE: "done", Task.Status.FAILED: "failed"}
                        .get(status, "retried")] += 1


def run_worker(worker_id: str | None = None, concurrency: int = 1, once: bool = False) -> int:
    load_handlers()
    worker = Worker(worker_id, concurrency)
    worker.install_signal_handlers()
    started = time.monotonic()
    worker.say(f"started ({worker.concurrency} at a time, {len(outbox.handlers())} handlers, "
               f"{len(outbox.periodic())} periodic jobs)")
    counts = worker.run(once=once)
    ran = counts["done"] + counts["retried"] + counts["failed"]
    worker.say(f"stopped after {ran} tasks ({counts['done']} done, {counts['retried']} to retry, "
               f"{counts['failed']} failed, {counts['released']} given back) in "
               f"{time.monotonic() - started:.1f} s")
    return 0
