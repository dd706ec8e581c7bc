"""The worker's street jobs (settings ``WORKER_MODULES``): loans past their end are closed."""
from __future__ import annotations

import datetime as dt

from resilience.core.tasks import every


@every(60, "street.end_expired_loans")
def end_expired_loans(now: dt.datetime) -> int:
    """Loans whose time is up become *ended*; their volunteers' open tasks there go back to the
    receiving community's staff (the memberships lapsed by themselves at ``valid_until``)."""
    from resilience.street.aid import end_expired_loans as run

    return run(now)
