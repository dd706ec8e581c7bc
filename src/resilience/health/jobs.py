"""The worker's health jobs (settings ``WORKER_MODULES``): a screening round when an incident
closes (queued by ``health.signals`` in the closing transaction)."""
from __future__ import annotations

from resilience.core.tasks import handler


@handler("health.start_screening")
def start_screening(payload: dict) -> None:
    """Start the post-crisis screening round of the closed incident, once."""
    from resilience.health.services.screening import start_round_for

    start_round_for(int(payload["incident"]))
