"""The worker's response jobs (settings ``WORKER_MODULES``): overdue task escalation."""
from __future__ import annotations

import datetime as dt

from resilience.core.tasks import every


@every(300, "response.escalate_overdue")
def escalate_overdue(now: dt.datetime) -> None:
    """Overdue open tasks go up one escalation level (at most once an hour each)."""
    from resilience.response.services.tasks import escalate_overdue as run

    run(now)
