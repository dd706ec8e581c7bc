"""The sensor layer of the community map: sensors coloured by open alarm level, else status."""
from __future__ import annotations

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from resilience.core.scope import can_any
from resilience.monitoring.api.sensors import STATUS_HEX
from resilience.monitoring.models import Sensor
from resilience.monitoring.views.badges import levels
from resilience.monitoring.vocab import SensorKind, SensorStatus

REFRESH_SECONDS = 10


def map_layer(request, community) -> dict:
    """The sensor layer's part of the map's configuration (empty when the user may see none).

    ``script`` is drawn by ``monitoring/map-sensors.js`` on the map that ``resilience/map.js``
    exposes as ``window.resilienceMap``.
    """
    if not can_any(request.user, "view", Sensor):
        return {}
    return {"sensors": {
        "endpoint": reverse("sensor-list") + "?format=geojson&active=true",
        "script": static("monitoring/map-sensors.js"),
        "refreshSeconds": REFRESH_SECONDS,
        "statuses": [{"status": s.value, "label": str(s.label), "hex": STATUS_HEX[s.value]}
                     for s in SensorStatus],
        "levels": [{"level": i["level"], "numeral": i["numeral"], "label": str(i["label"]),
                    "hex": i["hex"]} for i in levels()],
        "kinds": {k: str(v) for k, v in SensorKind.choices},
        "labels": {
            "layer": _("Sensors"), "legend": _("Sensors"), "status": _("Status"),
            "type": _("Type"), "value": _("Last value"), "time": _("Last reading"),
            "battery": _("Battery"), "alarm": _("Open alarm"), "alarms": _("Alarm levels"),
        },
    }}
