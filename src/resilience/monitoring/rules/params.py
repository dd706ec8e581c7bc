"""Rule parameters: what each rule type's ``params`` must hold, and the platform's default rules.

``validate_params`` and ``validate_combination`` serve the ``Rule`` model's validation and the
engine (which ignores a stored rule whose parameters do not validate); ``default_rules`` feeds
migration ``monitoring/0003_default_rules``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from resilience.monitoring.models import Rule
from resilience.monitoring.rules import predictive
from resilience.monitoring.vocab import AlarmLevel, RuleKind, SensorKind

THRESHOLD, RATE, STALE, COMBINATION = (RuleKind.THRESHOLD.value, RuleKind.RATE.value,
                                       RuleKind.STALE.value, RuleKind.COMBINATION.value)
MAX_SECONDS = 86_400          # longest rate window or for_seconds: bounds what memory keeps

PARAM_KEYS = {THRESHOLD: {"op", "value", "clear", "for_seconds"}, RATE: {"delta", "seconds"},
              STALE: {"intervals"}, COMBINATION: {"all", "any"}, **predictive.PARAM_KEYS}


# --- parameters ---------------------------------------------------------------------------------

def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_params(kind, params) -> None:
    """Raise ``ValidationError({"params": [reasons]})`` if ``params`` do not suit rule ``kind``."""
    if kind not in PARAM_KEYS:
        raise ValidationError({"params": [_("Unknown rule type: %(kind)s.") % {"kind": kind}]})
    if not isinstance(params, dict):
        raise ValidationError({"params": [_("Parameters must be a JSON object.")]})
    reasons = []
    unknown = sorted(set(params) - PARAM_KEYS[kind])
    if unknown:
        reasons.append(_("Unexpected parameters for this rule type: %(keys)s.")
                       % {"keys": ", ".join(map(str, unknown))})
    if kind in predictive.EARLY_KINDS:
        reasons += predictive.rule_reasons(kind, params)
    else:
        reasons += {THRESHOLD: _threshold_reasons, RATE: _rate_reasons, STALE: _stale_reasons,
                    COMBINATION: _combination_reasons}[kind](params)
    if reasons:
        raise ValidationError({"params": reasons})


def _threshold_reasons(p: dict) -> list[str]:
    reasons = []
    if p.get("op") not in ("above", "below"):
        reasons.append(_('"op" must be "above" or "below".'))
    if not _number(p.get("value")):
        reasons.append(_('"value" must be a number: the limit that raises the alarm.'))
    if not _number(p.get("clear")):
        reasons.append(_('"clear" must be a number: the value past which the alarm clears.'))
    if not reasons:
        if p["op"] == "above" and not p["clear"] < p["value"]:
            reasons.append(_('For "above", "clear" must be lower than "value", so that a noisy '
                             'value near the limit does not raise and clear the alarm again and '
                             'again.'))
        if p["op"] == "below" and not p["clear"] > p["value"]:
            reasons.append(_('For "below", "clear" must be higher than "value", so that a noisy '
                             'value near the limit does not raise and clear the alarm again and '
                             'again.'))
    if "for_seconds" in p and not (_number(p["for_seconds"]) and 0 <= p["for_seconds"] <= MAX_SECONDS):
        reasons.append(_('"for_seconds" must be a number of seconds from 0 to %(max)s.')
                       % {"max": MAX_SECONDS})
    return reasons


def _rate_reasons(p: dict) -> list[str]:
    reasons = []
    if not _number(p.get("delta")) or p["delta"] == 0:
        reasons.append(_('"delta" must be a number other than 0: positive for a rise, negative '
                         'for a fall.'))
    if not (_number(p.get("seconds")) and 0 < p["seconds"] <= MAX_SECONDS):
        reasons.append(_('"seconds" must be a number of seconds above 0 and at most %(max)s.')
                       % {"max": MAX_SECONDS})
    return reasons


def _stale_reasons(p: dict) -> list[str]:
    if not (_number(p.get("intervals")) and 1 <= p["intervals"] <= 1000):
        return [_('"intervals" must be a number from 1 to 1000: how many expected reporting '
                  'intervals may pass without a reading.')]
    return []


def _combination_reasons(p: dict) -> list[str]:
    keys = [k for k in ("all", "any") if k in p]
    if len(keys) != 1:
        return [_('Give either "all" or "any": a list of rule ids.')]
    ids = p[keys[0]]
    if (not isinstance(ids, list) or len(ids) < 2 or len(set(map(repr, ids))) != len(ids)
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)):
        return [_('"%(key)s" must list at least two different rule ids.') % {"key": keys[0]}]
    return []


def combined_ids(params: Mapping) -> list[int]:
    """The rule ids a combination names."""
    return list(params.get("all") or params.get("any") or [])


def validate_combination(rule: Rule) -> None:
    """The rules a combination names exist, are no combinations and are the community's own or
    the platform's."""
    ids = combined_ids(rule.params)
    found = {r.pk: r for r in Rule.objects.filter(pk__in=ids)}
    foreign = [i for i in ids if i not in found
               or found[i].community_id not in (None, rule.community_id)]
    reasons = []
    if foreign:
        reasons.append(_("Not a rule of this community nor a platform rule: %(ids)s.")
                       % {"ids": ", ".join(map(str, foreign))})
    if rule.pk is not None and rule.pk in ids:
        reasons.append(_("A combination cannot name itself."))
    nested = [i for i in ids if i in found and found[i].kind == COMBINATION and i != rule.pk]
    if nested:
        reasons.append(_("A combination cannot name another combination: %(ids)s.")
                       % {"ids": ", ".join(map(str, nested))})
    if reasons:
        raise ValidationError({"params": reasons})


# --- platform defaults --------------------------------------------------------------------------

def default_rules() -> list[dict]:
    """The platform rules every install starts with (created by migration
    ``monitoring/0003_default_rules``, community empty). A combination names other defaults by
    their ``key``; the migration turns keys into ids. Names are English (marked for translation)."""
    def threshold(op, value, clear):
        return {"op": op, "value": value, "clear": clear}

    return [
        {"key": "power_room_hot", "name": gettext_noop("Power room hot"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.TEMPERATURE, "facility_kind": "power_room",
         "params": threshold("above", 45, 40), "level": AlarmLevel.III},
        {"key": "power_room_overheating", "name": gettext_noop("Power room overheating"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.TEMPERATURE, "facility_kind": "power_room",
         "params": threshold("above", 60, 55), "level": AlarmLevel.II},
        {"key": "smoke", "name": gettext_noop("Smoke detected"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.SMOKE, "facility_kind": "",
         "params": threshold("above", 10, 5), "level": AlarmLevel.I},
        {"key": "garage_water", "name": gettext_noop("Water in the underground garage"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.WATER_LEVEL,
         "facility_kind": "underground_garage", "params": threshold("above", 10, 5),
         "level": AlarmLevel.III},
        {"key": "garage_flooding", "name": gettext_noop("Underground garage flooding"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.WATER_LEVEL,
         "facility_kind": "underground_garage", "params": threshold("above", 30, 20),
         "level": AlarmLevel.II},
        {"key": "gas_leak", "name": gettext_noop("Combustible gas leak"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.GAS, "facility_kind": "",
         "params": threshold("above", 10, 5), "level": AlarmLevel.II},
        {"key": "gas_danger", "name": gettext_noop("Combustible gas near the explosive limit"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.GAS, "facility_kind": "",
         "params": threshold("above", 25, 20), "level": AlarmLevel.I},
        {"key": "ebike_overload", "name": gettext_noop("E-bike charging overload"),
         "kind": THRESHOLD, "sensor_kind": SensorKind.CURRENT, "facility_kind": "ebike_charging",
         "params": threshold("above", 16, 14), "level": AlarmLevel.III},
        {"key": "temperature_rising", "name": gettext_noop("Temperature rising fast"),
         "kind": RATE, "sensor_kind": SensorKind.TEMPERATURE, "facility_kind": "",
         "params": {"delta": 10, "seconds": 300}, "level": AlarmLevel.II},
        {"key": "sensor_silent", "name": gettext_noop("Sensor silent"),
         "kind": STALE, "sensor_kind": "", "facility_kind": "",
         "params": {"intervals": 3}, "level": AlarmLevel.IV},
        {"key": "smoke_and_heat", "name": gettext_noop("Smoke with rising temperature"),
         "kind": COMBINATION, "sensor_kind": SensorKind.SMOKE, "facility_kind": "",
         "params": {"all": ["smoke", "temperature_rising"]}, "level": AlarmLevel.I},
    ]
