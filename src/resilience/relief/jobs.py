"""The worker's relief jobs (settings ``WORKER_MODULES``): priorities follow waiting time, and
overdue requests are escalated once."""
from __future__ import annotations

import datetime as dt

from resilience.core.tasks import every


@every(300, "relief.recompute_priorities")
def recompute_priorities(now: dt.datetime) -> int:
    """Every active request's priority again (waiting time and concentration change), in bulk."""
    from resilience.relief.requests import recompute_priorities as run

    return run(now=now)


@every(300, "relief.escalate_overdue")
def escalate_overdue(now: dt.datetime) -> int:
    """Requests past their service-time target are escalated to staff, once each."""
    from resilience.relief.requests import escalate_overdue as run

    return run(now)
