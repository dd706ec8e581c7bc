"""The ``upstream`` rule type: an upstream warning joined with local signs raises the local level
earlier than the local readings alone would.

``upstream`` ``{"events": ["rainstorm", "flood"], "min_level": 4, "op": "above", "value": 3,
"clear": 1, "rise": 0.2, "window": 600}``
    Raised while an **upstream warning is in force** for the sensor's community — a relayed
    CAP alert (``alerts.Alert`` with source "cap", issued, not an exercise, in effect and not
    expired at the reading's time) of one of ``events`` (the alert event types: rainstorm,
    flood, typhoon…) at level ``min_level`` or more severe (4 = IV blue: any) — **and** the
    sensor shows a local sign: its reading past ``value`` (``op``) and, with ``rise``, rising
    at least ``rise`` units a minute over the last ``window`` seconds (the robust trend of
    ``monitoring.forecast``). Cleared when the warning is no longer in force or the reading
    falls back past ``clear`` (default ``value``). The alarm's message names both signals.

    Put it on the garage water level (rain warning + water rising at the ramp) or on a drainage
    pump's state sensor (rain warning + pump stopped: ``{"op": "below", "value": 0.5}``), at a
    higher level than its own thresholds would give at that reading.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.monitoring import forecast as fc
from resilience.monitoring.rules.logic import CachedRule, SensorInfo, _fmt
from resilience.monitoring.rules.predictive import (
    _op_reasons, _window_reasons, beyond, number,
)


@dataclass(frozen=True, slots=True)
class UpstreamAlert:
    """An upstream warning in force, as the engine keeps it."""

    id: int
    identifier: str
    headline: str
    event_type: str
    level: int
    effective: datetime | None
    expires: datetime | None

    def in_force(self, t: datetime) -> bool:
        return (self.effective is None or self.effective <= t) and \
            (self.expires is None or t < self.expires)


def upstream_reasons(p: dict) -> list[str]:
    reasons = _op_reasons(p)
    events = p.get("events")
    if not (isinstance(events, list) and events and all(isinstance(e, str) and e for e in events)):
        reasons.append(_('"events" must list the upstream alert event types that count, e.g. '
                         '["rainstorm", "flood"].'))
    else:
        known = {choice for choice, _label in _event_choices()}
        unknown = [e for e in events if known and e not in known]
        if unknown:
            reasons.append(_("Unknown alert event types: %(events)s.")
                           % {"events": ", ".join(unknown)})
    if "min_level" in p and p["min_level"] not in (1, 2, 3, 4):
        reasons.append(_('"min_level" must be 1 (I red) to 4 (IV blue): the least severe '
                         'upstream level that counts.'))
    if not number(p.get("value")):
        reasons.append(_('"value" must be a number: the local reading that, with the upstream '
                         'warning, raises the alarm.'))
    if "clear" in p and not number(p["clear"]):
        reasons.append(_('"clear" must be a number: the reading past which the alarm clears.'))
    if "rise" in p and not (number(p["rise"]) and p["rise"] > 0):
        reasons.append(_('"rise" must be a number above 0: units a minute towards "value".'))
    reasons += _window_reasons(p)
    if not reasons and "clear" in p and beyond(p["op"], p["clear"], p["value"]):
        reasons.append(_('"clear" must not be past "value", so that the alarm does not flap.'))
    return reasons


def _event_choices() -> list:
    try:
        from resilience.alerts.vocab import EventType
    except ImportError:  # pragma: no cover - early warning is part of the platform
        return []
    return EventType.choices


def load_alerts(now: datetime | None = None) -> dict[int, list[UpstreamAlert]]:
    """The relayed upstream alerts in force or due, by community (one query)."""
    try:
        Alert = apps.get_model("alerts", "Alert")
    except LookupError:  # pragma: no cover
        return {}
    now = now or timezone.now()
    by_community: dict[int, list[UpstreamAlert]] = {}
    rows = (Alert.objects.filter(source="cap", state="issued", exercise=False)
            .exclude(expires__lte=now)
            .values_list("community_id", "pk", "identifier", "headline", "event_type", "level",
                         "effective", "expires"))
    for community_id, *fields in rows:
        by_community.setdefault(community_id, []).append(UpstreamAlert(*fields))
    return by_community


def matching_alert(params: Mapping, alerts: Sequence[UpstreamAlert],
                   t: datetime) -> UpstreamAlert | None:
    """The most severe of ``alerts`` that the rule counts at ``t``."""
    events, worst = set(params["events"]), params.get("min_level", 4)
    found = [a for a in alerts if a.event_type in events and a.level <= worst and a.in_force(t)]
    return min(found, key=lambda a: (a.level, a.id)) if found else None


def local_sign(params: Mapping, history: Sequence[tuple[datetime, float]], t: datetime,
               v: float) -> tuple[bool, float | None]:
    """Whether the reading is a local sign, and its trend (units a minute) when ``rise`` asks."""
    if not beyond(params["op"], v, params["value"]):
        return False, None
    if "rise" not in params:
        return True, None
    line = fc.trend(fc.window_of(history, t, params.get("window", fc.DEFAULT_WINDOW)),
                    params.get("min_points", fc.DEFAULT_MIN_POINTS))
    if line is None:
        return False, None
    per_minute = line.slope * 60 * (1 if params["op"] == "above" else -1)
    return per_minute >= params["rise"], per_minute


def upstream_step(params: Mapping, is_open: bool, alert: UpstreamAlert | None,
                  history: Sequence[tuple[datetime, float]], t: datetime,
                  v: float) -> tuple[str, float | None]:
    """``(event, trend per minute)`` for the reading ``(t, v)`` with this upstream ``alert``."""
    if is_open:
        if alert is None or beyond(params["op"], params.get("clear", params["value"]), v):
            return "clear", None
        return "hold", None
    if alert is None:
        return "", None
    sign, trend = local_sign(params, history, t, v)
    return ("raise" if sign else ""), trend


def upstream_message(info: SensorInfo, value: float, trend: float | None,
                     alert: UpstreamAlert) -> str:
    words = {"sensor": info.label, "value": _fmt(value), "unit": info.unit,
             "rate": _fmt(round(trend, 3)) if trend is not None else "",
             "headline": alert.headline, "level": {1: "I", 2: "II", 3: "III", 4: "IV"}[alert.level],
             "identifier": alert.identifier}
    if trend is not None:
        return _("Upstream warning “%(headline)s” (level %(level)s) in force and %(sensor)s "
                 "at %(value)s %(unit)s, rising %(rate)s %(unit)s/min") % words
    return _("Upstream warning “%(headline)s” (level %(level)s) in force and %(sensor)s "
             "at %(value)s %(unit)s") % words


def run_upstream(engine, info: SensorInfo, rules: Sequence[CachedRule],
                 history: Sequence[tuple[datetime, float]],
                 readings: Sequence[tuple[datetime, float]], state, opened: dict, out) -> None:
    """Run the sensor's upstream rules at its latest reading."""
    t, v = readings[-1]
    alerts = state.alerts.get(info.community_id, ())
    for rule in rules:
        alarm = opened.get((info.id, rule.id))
        if alarm is not None and t < alarm.last_seen_at:
            continue
        alert = matching_alert(rule.params, alerts, t)
        event, trend = upstream_step(rule.params, alarm is not None, alert, history, t, v)
        if event == "raise":
            engine._raise(info, rule, t, v, upstream_message(info, v, trend, alert), out)
        elif event == "hold":
            engine._hold(alarm, rule, t, v, out)
        elif event == "clear":
            engine._clear(alarm, t, v, out)
