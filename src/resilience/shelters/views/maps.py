"""The shelter layer of the community map: shelters by status with live occupancy, and the
current evacuation routes of the selected community."""
from __future__ import annotations

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from resilience.core.scope import can_any
from resilience.shelters.models import EvacuationPlan, Shelter, ShelterStatus

REFRESH_SECONDS = 10
STATUS_HEX = {ShelterStatus.OPEN: "#1a7f37", ShelterStatus.FULL: "#cf222e",
              ShelterStatus.CLOSED: "#8c959f"}


def map_layer(request, community) -> dict:
    """The shelter layer's part of the map configuration (empty when the user may see none)."""
    if not can_any(request.user, "view", Shelter):
        return {}
    routes = None
    if community is not None and can_any(request.user, "view", EvacuationPlan):
        routes = reverse("evacuation-detail", args=[community.pk]) + "?format=geojson"
    return {"shelters": {
        "endpoint": reverse("shelter-list") + "?format=geojson"
                    + (f"&community={community.pk}" if community is not None else ""),
        "routes": routes,
        "script": static("shelters/map-shelters.js"),
        "refreshSeconds": REFRESH_SECONDS,
        "statuses": [{"status": s.value, "label": str(s.label), "hex": STATUS_HEX[s]}
                     for s in ShelterStatus],
        "labels": {
            "layer": _("Shelters"), "routes": _("Evacuation routes"), "legend": _("Shelters"),
            "status": _("Status"), "occupancy": _("Occupancy"), "capacity": _("Capacity"),
            "people": _("People"), "distance": _("Distance"), "minutes": _("Walking time"),
            "minutesUnit": _("min"), "metres": _("m"),
        },
    }}
