"""The periodic jobs ``resilience worker`` runs. Imported by the worker, not by the apps, so the
web server never schedules anything. Each job takes ``now`` and is safe to run twice."""
from __future__ import annotations

import datetime as dt

from resilience.core.tasks import every, purge_finished

DAY = 24 * 3600


@every(30, "monitoring.check_stale")
def check_stale(now: dt.datetime) -> None:
    """Mark silent sensors stale or offline and raise their alarms."""
    from resilience.monitoring import rules

    rules.check_stale(now)


@every(60, "alerts.expire_due")
def expire_alerts(now: dt.datetime) -> None:
    """Mark issued alerts past their ``expires`` as expired."""
    from resilience.alerts.services import expire_due

    expire_due(now)


@every(DAY, "hazards.escalate_overdue")
def escalate_hazards(now: dt.datetime) -> None:
    """Raise overdue hazards one level (itself at most once per hazard per interval)."""
    from resilience.risks.hazards import escalate_overdue

    escalate_overdue(now)


@every(DAY, "tasks.purge_finished")
def purge_tasks(now: dt.datetime) -> None:
    """Keep the task table small: the staleness check alone adds 2,880 done tasks a day."""
    purge_finished(now)
