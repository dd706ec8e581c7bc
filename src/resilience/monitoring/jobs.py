"""The worker's monitoring jobs (settings ``WORKER_MODULES``): refreshing sensor baselines."""
from __future__ import annotations

import datetime as dt

from resilience.core.tasks import every


@every(3600, "monitoring.refresh_baselines")
def refresh_baselines(now: dt.datetime) -> None:
    """Recompute every active sensor's baseline from its last four weeks (safe to run twice)."""
    from resilience.monitoring.baseline import refresh_baselines as run

    run(now=now)
