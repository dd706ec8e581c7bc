"""PostgreSQL restarted during a busy stretch of ingestion, alert fan-out and requests (issue 10):
nothing acknowledged is lost, nothing is doubled, every process recovers by itself.

The short form of ``resilience bench faults`` (see ``resilience.bench.faults``): 20 seconds of
load with the database killed like a crash (``pg_ctl restart -m immediate``) at 8 seconds, on a
throwaway PostgreSQL cluster of its own — never the machine's, which others use. It asserts the
scenario's checks, not its timings; the recovery seconds are printed.

It always brings its own database, so it runs once: in the SQLite phase of the suite (no
``DATABASE_URL``); the PostgreSQL phase would only repeat it.

Below it, the two repairs the proof needed, each shown without a real outage (so on both
databases, every time): a worker whose database went away while it held work gives that work
back as soon as the database answers again, instead of leaving it leased for minutes.
"""
import datetime as dt
import os

import pytest
from django.db import OperationalError
from django.utils import timezone

from resilience.bench import faults
from resilience.bench.faults_checks import table
from tests.services import require


@pytest.mark.postgres
def test_a_database_crash_mid_load_loses_and_doubles_nothing_and_everything_recovers():
    if os.environ.get("DATABASE_URL"):
        pytest.skip("brings its own PostgreSQL, so it runs once: in the suite's SQLite phase")
    reason = faults.unavailable()
    require(reason is None, reason or "")

    result = faults.scenario(seconds=20, restart_at=8, mode="immediate", settle=90)
    print("\n" + table(result))

    failed = [f"{c['check']}: {c['detail']}" for c in result["checks"] if not c["passed"]]
    assert not failed, "\n".join(failed)
    # The crash was felt: requests failed while it lasted and the ingester's writes were refused
    # (it retried them); the checks above say nothing was lost or doubled for all that.
    assert sum(row.get("5xx", 0) + row.get("no answer", 0)
               for row in result["errors"]["by_kind"].values()) > 0
    assert result["processes"]["ingester_database_errors"] > 0
    assert result["readings"]["published"] > 0 and result["alerts"]["issued"] > 0
    assert result["writes"]["answered_2xx"] > 0


def failing(real, times: int, calls: list):
    """``real``, except that its first ``times`` calls fail as a database restarting does."""
    def call(*args, **kwargs):
        calls.append(args)
        if len(calls) <= times:
            raise OperationalError("the database system is starting up")
        return real(*args, **kwargs)
    return call


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_loses_the_database_mid_task_gives_it_back_when_the_database_returns(
        monkeypatch):
    from resilience.core import tasks as outbox
    from resilience.core.models import Task
    from resilience.core.worker import Worker

    task = outbox.enqueue("faults.example", {})
    [claimed] = outbox.claim("w1")

    def lost(task, now=None):  # the handler and the writing of its outcome both failed
        raise OperationalError("terminating connection due to administrator command")

    calls: list = []
    monkeypatch.setattr(outbox, "run_one", lost)
    monkeypatch.setattr(outbox, "release", failing(outbox.release, 2, calls))
    worker = Worker("w1")
    worker._run(claimed)

    task.refresh_from_db()
    assert len(calls) == 3 and worker.counts["released"] == 1
    # Queued again at once, the interrupted attempt not counted — not "running" for a lease.
    assert (task.status, task.attempts, task.locked_by) == (Task.Status.QUEUED, 0, "")


@pytest.mark.django_db(transaction=True)
def test_deliveries_claimed_when_the_database_went_away_are_given_back_when_it_returns(
        world, settings, monkeypatch):
    from resilience.alerts import channels, delivery, services
    from resilience.alerts.models import Delivery
    from resilience.alerts.tests.test_delivery import Recorder

    settings.RESILIENCE_ALERT_CHANNELS = ["sms"]
    channels.reset()
    recorder = channels._instances["sms"] = Recorder()
    try:
        alert = services.submit(services.draft(world.staff_a, world.community_a, level=3,
                                               event_type="fire", headline="火警",
                                               description="3号楼起火"), world.staff_a)
        delivery.fan_out(alert)
        rows = Delivery.objects.filter(alert=alert, channel="sms")
        # The gateway took the first message; then the database went away before it was marked.
        monkeypatch.setattr(delivery, "_mark_sent", failing(delivery._mark_sent, 1, []))
        give_backs: list = []
        monkeypatch.setattr(delivery, "_give_back", failing(delivery._give_back, 2, give_backs))
        with pytest.raises(OperationalError):
            delivery.send_due("sms", "w1")
        assert len(give_backs) == 3
        assert set(rows.values_list("status", "attempts")) == {("queued", 0)}

        later = timezone.now() + dt.timedelta(seconds=5)  # past the give-back's short delay
        assert delivery.send_due("sms", "w2", clock=lambda: later)["sent"] == rows.count()
    finally:
        channels.reset()
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    refs = [ref for ref, _text in recorder.sent]
    # The first went out again with the same idempotency key: a real gateway refuses it as a
    # duplicate (the scenario above counts those), so the phone gets it once.
    assert len(refs) == rows.count() + 1 and len(set(refs)) == rows.count()
