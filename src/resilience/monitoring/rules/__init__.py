"""Rules: when a sensor's readings mean trouble, and the engine that turns readings into alarms.

Rule types and their ``params``:

``threshold`` ``{"op": "above"|"below", "value": x, "clear": y, "for_seconds": s?}``
    Raised by a reading beyond ``value`` (strictly above / below it), cleared only by a reading
    strictly past ``clear`` on the other side (for "above", ``clear < value``; for "below",
    ``clear > value``). Readings inside the band between the two change nothing, so a noisy
    value near the limit does not flap. With ``for_seconds`` the breach must last: every reading
    from the first one beyond ``value`` to one at least ``for_seconds`` later must be beyond it.
``rate`` ``{"delta": d, "seconds": s}``
    Raised when a reading differs from a reading of the last ``s`` seconds by at least ``d``:
    a rise to the lowest of them if ``d > 0``, a fall from the highest if ``d < 0``. Cleared by
    the first reading for which that no longer holds (or with no earlier reading in the window).
``stale`` ``{"intervals": n}``
    Raised by ``check_stale`` when a sensor has sent nothing for ``n × interval_seconds`` (counted
    from its creation if it never reported); cleared by its next reading. ``check_stale`` also
    keeps the sensor's status: ``stale`` after ``n`` silent intervals, ``offline`` after ``3n``
    (``n`` is the smallest of the sensor's stale rules, 3 if it has none), ``online`` again when
    readings come back. A sensor marked ``fault`` keeps that status until staff change it.
``combination`` ``{"all": [rule id, …]}`` or ``{"any": [...]}``
    Open while alarms of all (any) of the named rules are open together in the sensor's
    **group**: the sensors on the same facility; for a sensor on no facility, those of the same
    building on no facility; for a sensor on neither, the sensor alone. The combination's alarm
    sits on each sensor it applies to (e.g. the smoke detector of the power room), is
    re-examined whenever an alarm of a named rule opens or clears, and cannot name another
    combination.

Which rules watch a sensor: for each rule type, the most specific rules that match it — its own
rules, else its community's rules for its type, else the platform's (community empty); a rule
with ``facility_kind`` matches only sensors on such a facility, a stale rule with no sensor type
matches every sensor. So a community replaces, say, the platform thresholds of its temperature
sensors by giving them thresholds of its own; it needs to restate every level it wants.

The engine (``evaluate``, ``check_stale``) keeps the active rules in memory — by sensor, by
(community, sensor type) and platform-wide — reloaded within ``REFRESH_SECONDS`` when any rule
changes (a save in this process reloads at once), and what it knows of each sensor for
``SENSOR_SECONDS``. The rate and ``for_seconds`` rules need a sensor's recent readings: kept in
memory, and read back from the observations when memory has a gap (after a restart, or when
another ingester took the sensor's previous readings).

The early-warning types ``predictive`` (a pre-alarm on a forecast crossing), ``anomaly`` (a
reading far from the sensor's baseline) and ``upstream`` (a relayed CAP warning joined with local
signs) are described in ``predictive``, ``anomaly`` and ``signals``.

This package holds it by subject: ``params`` (parameter validation, the platform's default
rules), ``logic`` (the state machines, what the engine keeps in memory), ``evaluation``
(``RuleEngine``), ``messages`` (alarm messages). Every name is imported from here:
``resilience.monitoring.rules``; the process's one engine (``engine``) lives in this module.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from resilience.monitoring.models import Alarm
from resilience.monitoring.rules.evaluation import (  # noqa: F401 - re-exported
    DEFAULT_STALE_INTERVALS, OPEN, OPEN_IDS_SQL, RuleEngine,
)
from resilience.monitoring.rules.logic import (  # noqa: F401 - re-exported
    CHUNK, SENSOR_FIELDS, CachedRule, Memory, SensorInfo, breaches, clears, rate_change,
    rate_exceeded, threshold_step,
)
from resilience.monitoring.rules.messages import RuleMessages  # noqa: F401 - re-exported
from resilience.monitoring.rules.predictive import (  # noqa: F401 - re-exported
    ANOMALY, EARLY_KINDS, PREDICTIVE, UPSTREAM, predictive_step,
)
from resilience.monitoring.rules.params import (  # noqa: F401 - re-exported
    COMBINATION, MAX_SECONDS, PARAM_KEYS, RATE, STALE, THRESHOLD, combined_ids, default_rules,
    validate_combination, validate_params,
)

logger = logging.getLogger(__name__)

engine = RuleEngine()


def evaluate(readings_by_sensor: Mapping[int, Sequence[tuple[datetime, float]]],
             now: datetime | None = None) -> list[Alarm]:
    """Run the rules over newly stored readings; return the alarms raised, escalated or cleared.

    ``readings_by_sensor`` maps a sensor id to its new readings ``(time, value)`` (aware
    datetimes; any order; only readings just stored — a resend must not come back here).
    ``now`` dates combination alarms (default: the current time). Call it inside the
    transaction that stored the readings: alarm rows are written in it and the signals
    ``alarm_raised``/``alarm_cleared`` go out after it commits. If that transaction rolls back,
    call again with the same readings: the outcome is the same.

    Cost: the rules and sensors come from memory; the database is read once per batch (the open
    alarms of the batch's sensors) and written once per batch to refresh open alarms, plus a
    statement or two for each alarm raised or cleared and a read of recent readings for a sensor
    whose memory has a gap.
    """
    return engine.evaluate(readings_by_sensor, now)


def check_stale(now: datetime | None = None) -> list[Alarm]:
    """Mark silent sensors stale or offline (and those heard again online), open stale alarms,
    clear stale alarms no longer true and alarms of rules switched off; return the alarms
    raised or cleared. Run it every half a minute or so (``resilience manage check_sensors``)."""
    return engine.check_stale(now)
