"""The worker's alert handlers: fan-out after issue, sending per channel, the periodic safety net
and follow-up tasks. Loaded by ``resilience worker`` (settings ``WORKER_MODULES``)."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings

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


log = logging.getLogger(__name__)


@every(int(getattr(settings, "RESILIENCE_CAP_POLL_SECONDS", 300)), "alerts.poll_cap_feeds")
def poll_cap_feeds(now: dt.datetime) -> int:
    """Relay new alerts from the upstream CAP feeds in ``RESILIENCE_CAP_FEEDS``: each new alert
    whose area covers a community becomes a relayed draft (or is issued, with
    ``RESILIENCE_CAP_AUTO_ISSUE``). A feed that fails is logged and the others still polled; the
    job fails (and is retried) only when every feed failed. Returns how many alerts were relayed."""
    from resilience.alerts.cap import CapError
    from resilience.alerts.cap.relay import poll_feed

    feeds = list(getattr(settings, "RESILIENCE_CAP_FEEDS", []) or [])
    auto_issue = bool(getattr(settings, "RESILIENCE_CAP_AUTO_ISSUE", False))
    relayed, failed = 0, []
    for url in feeds:
        try:
            result = poll_feed(url, auto_issue=auto_issue)
        except CapError as exc:
            failed.append(f"{url}: {exc.reason}")
            log.warning("CAP feed %s refused: %s", url, exc.reason)
            continue
        relayed += len(result)
        for note in result.notes:
            log.info("CAP feed %s: %s", url, note)
    if feeds and len(failed) == len(feeds):
        raise RuntimeError("every CAP feed failed: " + "; ".join(failed))
    return relayed
