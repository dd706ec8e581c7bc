"""The messages of the alarms the rule engine raises (mixed into ``RuleEngine``)."""
from __future__ import annotations

from django.utils.translation import gettext as _

from resilience.monitoring.rules.logic import CachedRule, SensorInfo, _fmt
from resilience.monitoring.rules.params import combined_ids


class RuleMessages:
    """The alarm messages of ``RuleEngine``, one per rule type."""

    @staticmethod
    def _threshold_message(info: SensorInfo, rule: CachedRule, value: float) -> str:
        p = rule.params
        words = {"sensor": info.label, "value": _fmt(value), "unit": info.unit,
                 "limit": _fmt(p["value"]), "seconds": _fmt(p.get("for_seconds", 0))}
        if p.get("for_seconds"):
            template = (_("%(sensor)s: %(value)s %(unit)s, above %(limit)s %(unit)s for %(seconds)s s")
                        if p["op"] == "above" else
                        _("%(sensor)s: %(value)s %(unit)s, below %(limit)s %(unit)s for %(seconds)s s"))
        else:
            template = (_("%(sensor)s: %(value)s %(unit)s, above %(limit)s %(unit)s")
                        if p["op"] == "above" else
                        _("%(sensor)s: %(value)s %(unit)s, below %(limit)s %(unit)s"))
        return template % words

    @staticmethod
    def _rate_message(info: SensorInfo, rule: CachedRule, change: float, value: float) -> str:
        words = {"sensor": info.label, "change": _fmt(abs(change)), "unit": info.unit,
                 "seconds": _fmt(rule.params["seconds"]), "value": _fmt(value)}
        if rule.params["delta"] > 0:
            return _("%(sensor)s: rose %(change)s %(unit)s within %(seconds)s s, "
                     "to %(value)s %(unit)s") % words
        return _("%(sensor)s: fell %(change)s %(unit)s within %(seconds)s s, "
                 "to %(value)s %(unit)s") % words

    @staticmethod
    def _stale_message(info: SensorInfo, silent: float, never: bool) -> str:
        words = {"sensor": info.label, "minutes": _fmt(round(silent / 60, 1)),
                 "interval": info.interval_seconds}
        if never:
            return _("%(sensor)s: no reading since it was added %(minutes)s min ago "
                     "(expected every %(interval)s s)") % words
        return _("%(sensor)s: no reading for %(minutes)s min (expected every %(interval)s s)") % words

    def _combination_message(self, info: SensorInfo, rule: CachedRule) -> str:
        names = [_(self._rules[i].name) if i in self._rules else f"#{i}"
                 for i in combined_ids(rule.params)]
        words = {"rule": _(rule.name), "place": info.place, "rules": "; ".join(names)}
        if "all" in rule.params:
            return _("%(rule)s at %(place)s: all of %(rules)s") % words
        return _("%(rule)s at %(place)s: one of %(rules)s") % words
