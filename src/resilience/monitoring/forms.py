"""Forms of the monitoring app: sensors and rules (alarms are raised by rules, not typed in)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.monitoring.models import Rule, Sensor
from resilience.monitoring.vocab import RuleKind

PARAMS_HELP = {
    RuleKind.THRESHOLD: _('{"op": "above", "value": 45, "clear": 40} raises above 45 and clears '
                          'below 40; add "for_seconds": 60 to wait for a lasting breach'),
    RuleKind.RATE: _('{"delta": 10, "seconds": 300}: a rise of 10 within five minutes '
                     '(a negative delta for a fall)'),
    RuleKind.STALE: _('{"intervals": 3}: no reading within three expected intervals'),
    RuleKind.COMBINATION: _('{"all": [<rule id>, <rule id>]} (or "any"): alarms of these rules '
                            'open together on the same facility or building'),
    RuleKind.PREDICTIVE: _('{"op": "above", "value": 30, "arm": 5, "horizon": 900}: a pre-alarm '
                           'when the reading is past 5 and its trend reaches 30 within 15 minutes '
                           '(optional "clear", "window" seconds, "min_points")'),
    RuleKind.ANOMALY: _('{"z": 6, "clear": 3, "direction": "above"}: a reading 6 usual spreads '
                        'from the sensor\'s baseline for the hour'),
    RuleKind.UPSTREAM: _('{"events": ["rainstorm"], "op": "above", "value": 3, "rise": 0.2}: a '
                         'relayed rainstorm warning in force and the reading past 3, rising '
                         '0.2 a minute'),
}


class SensorForm(ScopedModelForm):
    class Meta:
        model = Sensor
        fields = ["community", "code", "name", "kind", "grid", "building", "facility", "risk",
                  "owner", "latitude", "longitude", "interval_seconds", "battery", "status",
                  "active"]


class RuleForm(ScopedModelForm):
    """A rule on one sensor or on every sensor of a type in a community."""

    class Meta:
        model = Rule
        fields = ["community", "name", "sensor", "sensor_kind", "facility_kind", "kind", "params",
                  "level",
                  "auto_alert", "active"]
        widgets = {"params": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "params" in self.fields:
            self.fields["params"].help_text = " — ".join(
                f"{label}: {PARAMS_HELP[kind]}" for kind, label in RuleKind.choices
                if kind in PARAMS_HELP)
        if "sensor" in self.fields:
            self.fields["sensor"].queryset = self.fields["sensor"].queryset.select_related(
                "community")
