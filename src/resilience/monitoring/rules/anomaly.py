"""The ``anomaly`` rule type: a reading far from what is normal for the sensor at that hour.

``anomaly`` ``{"z": 6, "clear": 3, "direction": "above"|"below"|"both"}``
    Raised by a reading whose anomaly score (robust z-score against the sensor's baseline for
    its hour of the day or week, ``monitoring.baseline``) is at least ``z`` in the direction
    given (default "both"); cleared by a reading whose score is back under ``clear`` (default
    half of ``z``). A sensor without a baseline, or a reading in an hour the baseline has too
    few readings for, changes nothing. E.g. an e-bike shed drawing 12 A at 3 p.m., when it
    draws 2 A on a normal afternoon, long before the 16 A overload threshold.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.utils.translation import gettext as _

from resilience.monitoring.rules.logic import CachedRule, SensorInfo, _fmt
from resilience.monitoring.rules.predictive import number


def anomaly_reasons(p: dict) -> list[str]:
    reasons = []
    if not (number(p.get("z")) and p["z"] > 0):
        reasons.append(_('"z" must be a number above 0: how many usual spreads from normal a '
                         'reading must be.'))
    if "clear" in p and not (number(p["clear"]) and p["clear"] >= 0):
        reasons.append(_('"clear" must be a number of 0 or more.'))
    if "direction" in p and p["direction"] not in ("above", "below", "both"):
        reasons.append(_('"direction" must be "above", "below" or "both".'))
    if not reasons and "clear" in p and not p["clear"] < p["z"]:
        reasons.append(_('"clear" must be lower than "z", so that the alarm does not flap.'))
    return reasons


def directed(params: Mapping, score: float) -> float:
    """The score in the rule's direction (a "both" rule looks at its size)."""
    direction = params.get("direction", "both")
    if direction == "above":
        return score
    if direction == "below":
        return -score
    return abs(score)


def anomaly_step(params: Mapping, is_open: bool, score: float | None) -> str:
    """"raise", "hold", "clear" or "" for a reading with this anomaly score."""
    if score is None:
        return "hold" if is_open else ""
    size = directed(params, score)
    if not is_open:
        return "raise" if size >= params["z"] else ""
    return "clear" if size < params.get("clear", params["z"] / 2) else "hold"


def anomaly_message(info: SensorInfo, value: float, score: float, normal: float) -> str:
    words = {"sensor": info.label, "value": _fmt(value), "unit": info.unit,
             "score": _fmt(round(abs(score), 1)), "normal": _fmt(round(normal, 3))}
    if score >= 0:
        return _("%(sensor)s: %(value)s %(unit)s, %(score)s usual spreads above normal for this "
                 "hour (%(normal)s %(unit)s)") % words
    return _("%(sensor)s: %(value)s %(unit)s, %(score)s usual spreads below normal for this "
             "hour (%(normal)s %(unit)s)") % words


def run_anomaly(engine, info: SensorInfo, rules: Sequence[CachedRule],
                readings: Sequence[tuple[datetime, float]], stamps: Sequence[float], state,
                opened: dict, out) -> None:
    """Score each new reading (``stamps``: their Unix times) and run the sensor's anomaly
    rules on it. The common case — no alarm open, nothing unusual — is a few float operations."""
    profile = state.profiles.get(info.id)
    if profile is None:
        return
    offset, bucket_at = state.utc_offset, profile.bucket_at
    median, spreads = profile.median, profile.spread
    alarms = {rule.id: opened.get((info.id, rule.id)) for rule in rules}
    quiet = not any(alarms.values())
    lowest = min(rule.params["z"] for rule in rules)
    for (t, v), stamp in zip(readings, stamps):
        b = bucket_at(stamp, offset)
        spread = spreads[b]
        score = None if spread is None else (v - median[b]) / spread
        if quiet and (score is None or -lowest < score < lowest):
            continue
        quiet = False
        for rule in rules:
            alarm = alarms[rule.id]
            if alarm is not None and t < alarm.last_seen_at:
                continue
            event = anomaly_step(rule.params, alarm is not None, score)
            if event == "raise":
                alarms[rule.id] = engine._raise(
                    info, rule, t, v, anomaly_message(info, v, score, median[b]), out)
            elif event == "hold":
                engine._hold(alarm, rule, t, v, out)
            elif event == "clear":
                engine._clear(alarm, t, v, out)
                alarms[rule.id] = None
