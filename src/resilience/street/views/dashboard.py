"""The command dashboard: every community of the user's regions on one map and in one table,
refreshed live (the table by htmx polling, the map by fetching its GeoJSON), each row leading
into the community as far as the user's scope allows."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from resilience.street import dashboard, rollups

REFRESH_SECONDS = 15


def _require(user) -> None:
    if not rollups.may_see_rollups(user):
        raise PermissionDenied(_("The command dashboard is for the street office and community "
                                 "staff."))


@login_required
def board(request):
    """The page; an htmx request gets the table part only."""
    _require(request.user)
    data = dashboard.board(request.user, request.GET.get("region"))
    context = {**data, "refresh_seconds": REFRESH_SECONDS,
               "title": _("Command dashboard")}
    if request.headers.get("HX-Request"):
        return render(request, "street/dashboard_table.html", context)
    region = f"?region={data['region'].code}" if data["region"] else ""
    context["map_config"] = {
        "data": reverse("street_dashboard:data") + region,
        "refreshSeconds": REFRESH_SECONDS,
        "center": list(settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (31.2304, 121.4737))),
        "tileUrl": settings.RESILIENCE_TILE_URL,
        "tileAttribution": settings.RESILIENCE_TILE_ATTRIBUTION,
        "labels": {
            "open": _("Open the community"), "alarms": _("Open alarms"),
            "alerts": _("Active warnings"), "ack": _("Acknowledged"),
            "incidents": _("Open incidents"), "hazards": _("Hazards overdue"),
            "shelters": _("Shelter occupancy"), "needs": _("Unmet needs"),
            "score": _("Resilience score"), "state": _("State"),
            "empty": _("No community in your scope has a position on the map."),
        },
    }
    return render(request, "street/dashboard.html", context)


@login_required
def data(request):
    """The map's GeoJSON: one point per community, coloured by state."""
    _require(request.user)
    rows = dashboard.board(request.user, request.GET.get("region"))["rows"]
    return JsonResponse(dashboard.features(rows))
