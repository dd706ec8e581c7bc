"""Pages that are not about one model: the dashboard of the user's scope and the map."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _

from resilience.core.scope import can_any
from resilience.people.models import Household, Resident, Volunteer
from resilience.people.models.residents import tag_filter
from resilience.people.vocab import HEALTH_TAGS, Vulnerability
from resilience.places.models import Building, Community, Facility
from resilience.places.vocab import FacilityKind

# Facility kinds on the map: one colour each, so a legend can tell them apart.
FACILITY_COLOURS = {
    FacilityKind.SHELTER: "#1a7f37",
    FacilityKind.HYDRANT: "#d1242f",
    FacilityKind.FIRE_EQUIPMENT: "#a40e26",
    FacilityKind.POWER_ROOM: "#bf8700",
    FacilityKind.GAS: "#e16f24",
    FacilityKind.EBIKE_CHARGING: "#8250df",
    FacilityKind.ELEVATOR: "#57606a",
    FacilityKind.PARKING: "#6e7781",
    FacilityKind.UNDERGROUND_GARAGE: "#24292f",
    FacilityKind.WAREHOUSE: "#9a6700",
    FacilityKind.CLINIC: "#cf222e",
    FacilityKind.PUMP: "#0969da",
    FacilityKind.AED: "#fa4549",
    FacilityKind.COMMUNITY_CENTRE: "#1f6feb",
    FacilityKind.SCHOOL: "#bc4c00",
    FacilityKind.ELDERLY_CARE: "#bf3989",
    FacilityKind.OTHER: "#8c959f",
}

# Other apps add to the map and the dashboard without core knowing them (see RisksConfig.ready):
# MAP_LAYERS: callables (request, community or None) -> dict merged into the map's configuration;
# DASHBOARD_PANELS: callables (request) -> {"template": ..., …} or None, one panel each.
MAP_LAYERS: list = []
DASHBOARD_PANELS: list = []
# HOME_VIEWS: callables (request) -> response or None; the first response is served instead of
# the dashboard (residents get their portal, see ParticipationConfig.ready).
HOME_VIEWS: list = []


def _count(model, user) -> int | None:
    if not can_any(user, "view", model):
        return None
    return model.objects.visible_to(user, "view").count()


@login_required
def dashboard(request):
    """Counts of the registry inside the user's scope, and links to where the work is."""
    user = request.user
    for home in HOME_VIEWS:
        response = home(request)
        if response is not None:
            return response
    cards = []

    def card(label, value, url_name=None, query=""):
        if value is None:
            return
        url = reverse(url_name) + query if url_name else None
        cards.append({"label": label, "value": value, "url": url})

    card(_("Communities"), _count(Community, user), "places:community_list")
    card(_("Buildings"), _count(Building, user), "places:building_list")
    card(_("Households"), _count(Household, user), "people:household_list")

    residents = None
    vulnerable_by_tag = []
    if can_any(user, "view", Resident):
        tags = list(Vulnerability)
        counts = Resident.objects.visible_to(user, "view").aggregate(
            total=Count("pk"),
            vulnerable=Count("pk", filter=~Q(tag_index="")),
            **{f"tag_{t.value}": Count("pk", filter=tag_filter(t.value)) for t in tags},
        )
        residents = counts["total"]
        card(_("Residents"), residents, "people:resident_list")
        card(_("Vulnerable residents"), counts["vulnerable"], "people:resident_list",
             "?vulnerable=true")
        # Listing who has a health condition is for roles that may reveal it; counts are not.
        may_list_health = can_any(user, "reveal", Resident)
        vulnerable_by_tag = [
            {"label": t.label, "count": counts[f"tag_{t.value}"],
             "url": reverse("people:resident_list") + f"?tag={t.value}"
             if may_list_health or t not in HEALTH_TAGS else None}
            for t in tags if counts[f"tag_{t.value}"]
        ]
    card(_("Volunteers"), _count(Volunteer, user), "people:volunteer_list")

    facilities_by_kind, shelters = [], None
    if can_any(user, "view", Facility):
        facilities = Facility.objects.visible_to(user, "view")
        labels = dict(FacilityKind.choices)
        facilities_by_kind = [
            {"kind": row["kind"], "label": labels.get(row["kind"], row["kind"]), "count": row["n"],
             "colour": FACILITY_COLOURS.get(row["kind"], "#8c959f"),
             "url": reverse("places:facility_list") + f"?kind={row['kind']}"}
            for row in facilities.values("kind").annotate(n=Count("pk")).order_by("-n", "kind")
        ]
        shelters = facilities.filter(kind=FacilityKind.SHELTER).aggregate(
            count=Count("pk"), capacity=Sum("capacity"))
        shelters["capacity"] = shelters["capacity"] or 0
        shelters["per_resident"] = (
            shelters["capacity"] / residents if residents else None)
        card(_("Facilities"), sum(f["count"] for f in facilities_by_kind), "places:facility_list")

    communities = []
    if can_any(user, "view", Community):
        communities = list(Community.objects.visible_to(user, "view").order_by("name")[:50])

    panels = [p for p in (panel(request) for panel in DASHBOARD_PANELS) if p]
    return render(request, "core/dashboard.html", {
        "cards": cards,
        "panels": panels,
        "vulnerable_by_tag": vulnerable_by_tag,
        "facilities_by_kind": facilities_by_kind,
        "shelters": shelters,
        "communities": communities,
    })


def _api(path: str) -> str:
    return f"{get_script_prefix()}api/geo/{path}"


@login_required
def map_view(request):
    """The community map: grids, buildings and facilities as layers over optional base tiles."""
    user = request.user
    communities = Community.objects.visible_to(user, "view").order_by("name")
    selected = None
    if request.GET.get("community"):
        try:
            selected = communities.get(pk=int(request.GET["community"]))
        except (ValueError, Community.DoesNotExist):
            raise Http404
    else:
        first_two = list(communities[:2])
        if len(first_two) == 1:
            selected = first_two[0]
    center = settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (31.2304, 121.4737))
    if selected is not None and selected.latitude is not None:
        center = (selected.latitude, selected.longitude)
    config = {
        "community": selected.pk if selected else None,
        "center": list(center),
        "zoom": settings.LEAFLET_CONFIG.get("DEFAULT_ZOOM", 16),
        "tileUrl": settings.RESILIENCE_TILE_URL,
        "tileAttribution": settings.RESILIENCE_TILE_ATTRIBUTION,
        "endpoints": {name: _api(f"{name}/") for name in
                      ("communities", "grids", "buildings", "facilities")},
        "colours": {str(k): v for k, v in FACILITY_COLOURS.items()},
        "kindLabels": {k: str(v) for k, v in FacilityKind.choices},
        "labels": {
            "communities": _("Communities"),
            "grids": _("Grids"),
            "buildings": _("Buildings"),
            "facilities": _("Facilities"),
            "capacity": _("Capacity"),
            "floors": _("Floors"),
            "type": _("Type"),
            "code": _("Code"),
            "open": _("Open"),
            "legend": _("Facilities"),
            "failed": _("Could not load the %(layer)s layer."),
            "empty": _("Nothing to show on the map yet."),
        },
    }
    for layer in MAP_LAYERS:
        config.update(layer(request, selected))
    return render(request, "core/map.html", {
        "communities": list(communities[:500]),
        "selected": selected,
        "map_config": config,
    })
