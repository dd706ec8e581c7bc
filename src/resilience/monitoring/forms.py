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
