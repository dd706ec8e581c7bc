"""The worker's alert handlers: fan-out after issue, sending per channel, the periodic safety net
and follow-up tasks. Loaded by ``resilience worker`` (settings ``WORKER_MODULES``)."""
from __future__ import annotations

import datetime as dt

from resilience.alerts import delivery
from resilience.core.tasks import every, handler


@handler(delivery.FAN_OUT)
def fan_out(payload: dict) -> None:
    from resilience.alerts.models import Alert

    alert = Alert.objects.filter(pk=payload["alert"]).first()
    if alert is not None:  # deleted since: nothing to send
        delivery.fan_out(alert)


@handler(delivery.SEND)
def send(payload: dict) -> None:
    channel = payload["channel"]
    delivery.send_due(channel, worker=payload.get("worker") or _worker_name())
    delivery.schedule_next(channel)


def _worker_name() -> str:
    import os
    import socket
    import threading

    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@every(delivery.RESUME_SECONDS, "alerts.resume_sending")
def resume_sending(now: dt.datetime) -> None:
    """Channels with due deliveries and no task (a lost one, an expired lease) get one."""
    delivery.resume_sending(now)


@every(60, "alerts.follow_up")
def follow_up(now: dt.datetime) -> None:
    """Tasks for the helpers of vulnerable residents who have not acknowledged in time."""
    delivery.follow_up(now)
