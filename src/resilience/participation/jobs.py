"""The worker's participation jobs (settings ``WORKER_MODULES``): consultations that opened get
their electorate frozen, those past their closing time are closed and counted."""
from __future__ import annotations

import datetime as dt

from resilience.core.tasks import every


@every(60, "participation.close_consultations")
def close_consultations(now: dt.datetime) -> dict[str, int]:
    """Freeze the voter count of consultations that opened; count those that ended."""
    from resilience.participation.consultations import close_ended

    return close_ended(now)
