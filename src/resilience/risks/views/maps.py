"""The four-colour risk map: the layer on the community map, the printable sheet, the residents' page."""
from __future__ import annotations

import math

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import gettext_lazy as _l

from resilience.core.scope import can_any, memberships_of
from resilience.places.models import Building, Community, Facility, Grid
from resilience.places.vocab import FacilityKind
from resilience.risks.api.sources import feature_collection
from resilience.risks.models import RiskSource
from resilience.risks.views.grades import grade_badge, grade_info, legend
from resilience.risks.views.svgmap import SheetMap
from resilience.risks.vocab import GRADE_ORDER, Grade, RiskType

PAPER = {"a4": "A4", "a3": "A3"}
MAIN_GRADES = (Grade.MAJOR, Grade.HIGH)
SHELTERS_SHOWN = 5


def map_layer(request, community) -> dict:
    """The risk layer's part of the community map's configuration (empty when not allowed)."""
    if not can_any(request.user, "view", RiskSource):
        return {}
    endpoint = reverse("risksource-list") + "?format=geojson&active=true"
    print_url = reverse("risks:map_print")
    if community is not None:
        print_url += f"?community={community.pk}"
    return {"risks": {
        "endpoint": endpoint,
        "printUrl": print_url,
        "grades": [{"grade": g["grade"], "label": str(g["label"]), "hex": g["hex"]}
                   for g in legend()],
        "types": {k: str(v) for k, v in RiskType.choices},
        "labels": {
            "layer": _("Risks"), "legend": _("Risk grades"), "type": _("Risk type"),
            "allTypes": _("All types"), "grade": _("Grade"), "score": pgettext("risk", "Score"),
            "print": _("Print the risk map"),
        },
    }}


@login_required
def risk_map(request):
    """The four-colour map is the community map with its risk layer."""
    query = f"?community={request.GET['community']}" if request.GET.get("community", "").isdigit() else ""
    return redirect(reverse("map") + query)


def _community(request):
    """The community asked for (404 outside the user's scope), or the only one they may see."""
    communities = Community.objects.visible_to(request.user, "view").order_by("name")
    value = request.GET.get("community", "")
    if value:
        if not value.isdigit():
            raise Http404
        community = communities.filter(pk=int(value)).first()
        if community is None:
            raise Http404
        return community
    choices = list(communities[:2])
    return choices[0] if len(choices) == 1 else None


@login_required
def print_map(request):
    """A sheet to post on the notice board: map, legend, date, community and the main risks."""
    if not can_any(request.user, "view", RiskSource):
        raise PermissionDenied
    community = _community(request)
    size = request.GET.get("size", "a4").lower()
    if size not in PAPER:
        size = "a4"
    if community is None:
        communities = Community.objects.visible_to(request.user, "view").order_by("name")[:500]
        return render(request, "risks/print_choose.html", {"communities": communities, "size": size})
    user = request.user
    risks = (RiskSource.objects.visible_to(user, "view")
             .filter(community=community, active=True).exclude(grade=""))
    collection = feature_collection(risks)
    by_id = {r.pk: r for r in risks.select_related("building", "facility", "grid", "owner")}
    main = sorted((by_id[f["id"]] for f in collection["features"] if f["id"] in by_id
                   and by_id[f["id"]].grade in MAIN_GRADES),
                  key=lambda r: (GRADE_ORDER.index(r.grade), -(r.score or 0), r.name))
    numbers = {r.pk: n for n, r in enumerate(main, start=1)}
    sheet = SheetMap(width=1000, height=640 if size == "a4" else 660)
    if community.geometry:
        sheet.add_area(community.geometry, "community")
    for grid in Grid.objects.visible_to(user, "view").filter(community=community):
        if grid.geometry:
            sheet.add_area(grid.geometry, "grid", label=grid.name)
    for building in Building.objects.visible_to(user, "view").filter(community=community):
        geometry = building.geometry or (
            {"type": "Point", "coordinates": [building.longitude, building.latitude]}
            if building.latitude is not None and building.longitude is not None else None)
        if geometry:
            sheet.add_area(geometry, "building")
    rank = {g: i for i, g in enumerate(GRADE_ORDER)}
    for feature in sorted(collection["features"],
                          key=lambda f: -rank.get(f["properties"]["grade"], 9)):
        props = feature["properties"]
        info = grade_info(props["grade"])
        sheet.add_risk(feature["geometry"], info["hex"], info["text"], grade=props["grade"],
                       number=numbers.get(feature["id"]), title=props["name"])
    counts = {g: 0 for g in GRADE_ORDER}
    for feature in collection["features"]:
        counts[feature["properties"]["grade"]] = counts.get(feature["properties"]["grade"], 0) + 1
    return render(request, "risks/print_map.html", {
        "community": community,
        "size": size,
        "paper": PAPER[size],
        "svg": sheet.render(title=_("Four-colour risk map of %(community)s") % {
            "community": community.name}),
        "legend": [{**g, "count": counts.get(g["grade"], 0)} for g in legend()],
        "main": [{"number": numbers[r.pk], "risk": r, "badge": grade_badge(r.grade, r.score)}
                 for r in main],
        "unmapped": risks.count() - len(collection["features"]),
        "today": timezone.localdate(),
        "sizes": [(k, v) for k, v in PAPER.items()],
    })


def _home(user) -> tuple[float, float] | None:
    """Where the user lives (their household's building), to sort shelters by distance."""
    for membership in memberships_of(user):
        household = membership.household
        building = household.building if household is not None else None
        if building is not None and building.latitude is not None:
            return building.latitude, building.longitude
    return None


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (latitude, longitude) points."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2)
    return 2 * 6371000 * math.asin(math.sqrt(h))


WHERE_UNKNOWN = _l("in the community")


@login_required
def residents(request):
    """For residents, on a phone: the main risks in plain words, what to do, the nearest shelters."""
    if not can_any(request.user, "view", RiskSource):
        raise PermissionDenied
    community = _community(request)
    if community is None:
        communities = Community.objects.visible_to(request.user, "view").order_by("name")[:500]
        return render(request, "risks/residents_choose.html", {"communities": communities})
    risks = (RiskSource.objects.visible_to(request.user, "view")
             .filter(community=community, active=True).exclude(grade="")
             .select_related("building", "facility", "grid").order_by("-score", "name"))
    groups = []
    for grade in GRADE_ORDER:
        items = [{"risk": r, "where": r.facility or r.building or r.grid or WHERE_UNKNOWN}
                 for r in risks if r.grade == grade]
        if items:
            groups.append({**grade_info(grade), "risks": items,
                           "meaning": GRADE_MEANING[grade]})
    home = _home(request.user)
    shelters = []
    for shelter in (Facility.objects.visible_to(request.user, "view")
                    .filter(community=community, kind=FacilityKind.SHELTER)
                    .exclude(status=Facility.Status.OUT_OF_SERVICE).select_related("building")):
        distance = None
        if home is not None and shelter.latitude is not None and shelter.longitude is not None:
            distance = distance_m(home, (shelter.latitude, shelter.longitude))
        shelters.append({"shelter": shelter, "distance": distance})
    shelters.sort(key=lambda s: (s["distance"] is None, s["distance"] or 0, s["shelter"].name))
    return render(request, "risks/residents.html", {
        "community": community,
        "groups": groups,
        "shelters": shelters[:SHELTERS_SHOWN],
        "more_shelters": max(0, len(shelters) - SHELTERS_SHOWN),
        "legend": legend(),
    })


# What each grade means for a resident, in plain words.
GRADE_MEANING = {
    Grade.MAJOR: _l("Major risk: could hurt many people. Know what to do and act at once."),
    Grade.HIGH: _l("High risk: serious if it happens. Take care and follow the advice."),
    Grade.MEDIUM: _l("Medium risk: be aware and take simple precautions."),
    Grade.LOW: _l("Low risk: kept under control; report anything unusual."),
}
