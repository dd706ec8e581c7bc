"""The data behind the street / district command dashboard.

``board(user, region)`` gives every community in the user's scope (``rollups.communities_for``:
an office its region, staff their own community, admins all) with the live roll-up sections —
open alarms, active warnings and their acknowledgement rate, open incidents, hazards overdue,
shelter occupancy, unmet needs, latest score — a state for the map colour, and totals. It never
touches the resident register, so it stays fast at hundreds of communities (``resilience bench
street``).

State (the marker colour): **critical** (red) with an open incident, an active warning of level
I or II, or an open alarm of level I or II; **warning** (amber) with any other open alarm, active
warning, overdue hazard or overdue need; **normal** (green) otherwise.
"""
from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.places.models import Region
from resilience.street import rollups

CRITICAL, WARNING, NORMAL = "critical", "warning", "normal"
STATES = {
    CRITICAL: {"label": _("critical"), "hex": "#cf222e"},
    WARNING: {"label": _("needs attention"), "hex": "#bf8700"},
    NORMAL: {"label": _("normal"), "hex": "#1a7f37"},
}
SUMMED = ("open_alarms", "open_alarms_severe", "active_alerts", "alert_recipients",
          "alert_acknowledged", "open_incidents", "hazards_open", "hazards_overdue",
          "shelters", "shelter_places", "shelters_open", "shelter_occupancy", "unmet_needs",
          "unmet_needs_overdue")


def state_of(row: dict) -> str:
    """critical / warning / normal for one community's live roll-up."""
    level = row.get("active_alert_level")
    if row.get("open_incidents") or row.get("open_alarms_severe") or (level and level <= 2):
        return CRITICAL
    if (row.get("open_alarms") or row.get("active_alerts") or row.get("hazards_overdue")
            or row.get("unmet_needs_overdue")):
        return WARNING
    return NORMAL


def regions_of(communities) -> list[Region]:
    """The streets holding the communities, and the districts above them when there are
    several streets: the choices of the region picker."""
    streets = list(Region.objects.filter(pk__in=communities.values("region_id"))
                   .select_related("parent").order_by("code"))
    if len(streets) < 2:
        return streets
    parents = {s.parent_id: s.parent for s in streets if s.parent_id}
    multi = [p for pid, p in parents.items()
             if sum(1 for s in streets if s.parent_id == pid) > 1]
    return sorted(multi, key=lambda r: r.code) + streets


def board(user, region_code: str | None = None, *, now: dt.datetime | None = None) -> dict:
    """Rows (one per community, most urgent first), totals, the region picker's choices and the
    chosen region. An unknown or foreign ``region_code`` shows everything in scope."""
    now = now or timezone.now()
    scope = rollups.communities_for(user)
    regions = regions_of(scope)
    region = next((r for r in regions if r.code == region_code), None) if region_code else None
    communities = rollups.in_region(scope, region) if region else scope
    rows = rollups.compute(communities, sections=rollups.LIVE_SECTIONS, now=now)
    order = {CRITICAL: 0, WARNING: 1, NORMAL: 2}
    for row in rows:
        row["state"] = state_of(row)
        row["state_label"] = STATES[row["state"]]["label"]
        row["url"] = reverse("places:community_detail", args=[row["community_id"]])
    rows.sort(key=lambda r: (order[r["state"]], r["region_code"], r["community_name"]))
    totals = {name: sum(r.get(name) or 0 for r in rows) for name in SUMMED}
    totals["alert_ack_rate"] = rollups._rate(totals["alert_acknowledged"],
                                             totals["alert_recipients"])
    totals["shelter_occupancy_rate"] = rollups._rate(totals["shelter_occupancy"],
                                                     totals["shelter_places"])
    summary = [{"state": state, "label": style["label"], "hex": style["hex"],
                "count": sum(1 for r in rows if r["state"] == state)}
               for state, style in STATES.items()]
    return {"rows": rows, "totals": totals, "states": summary, "regions": regions,
            "region": region, "generated_at": now}


def features(rows: list[dict]) -> dict:
    """The communities as a GeoJSON FeatureCollection of points for the map (those without a
    position are in the table only)."""
    keep = ("community_code", "community_name", "region_name", "state", "open_alarms",
            "active_alerts", "alert_ack_rate", "open_incidents", "hazards_overdue",
            "shelter_occupancy", "shelter_places", "unmet_needs", "score", "url")
    result = []
    for row in rows:
        if row.get("latitude") is None or row.get("longitude") is None:
            continue
        props = {k: row.get(k) for k in keep}
        props["state_label"] = str(row["state_label"])
        props["hex"] = STATES[row["state"]]["hex"]
        result.append({"type": "Feature", "properties": props,
                       "geometry": {"type": "Point",
                                    "coordinates": [row["longitude"], row["latitude"]]}})
    return {"type": "FeatureCollection", "features": result}
