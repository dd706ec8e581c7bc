"""Fire in a chosen building: everyone leaves it, the vulnerable with help, for a night out.

Reads the building (floors, units = stairwells), its residents by floor, its vulnerable residents
(tags and mobility), the helpers living in its grid and the grid's workers, the newest drill
timing of the building, the shelters near it and the community's walking paths (through
``shelters.evacuation.plan``), and the supplies for one night against the reserve norms.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from resilience.assessment.stress import common as c

KIND = "fire"
# Egress estimate when no drill has timed the building (approximate figures of the fire
# engineering literature, e.g. the SFPE handbook's stair travel and flow):
PRE_MOVEMENT_MINUTES = 2.0        # noticing, dressing, waking the household
SECONDS_PER_FLOOR = 15            # walking down one storey of stairs
SECONDS_PER_FLOOR_CARRIED = 45    # carrying someone down one storey in an evacuation chair
STAIR_FLOW_PER_MINUTE = 40        # people a 1.1–1.2 m stairwell passes per minute
NIGHTS_OUT = 1                    # supplies for the residents' first night in a shelter

PARAMETERS = (
    c.Param("building", gettext_lazy("building"), "building", required=True,
            help=gettext_lazy("The building on fire.")),
    c.Param("floor", gettext_lazy("floor of the fire"), "int", default=1, minimum=1, maximum=200,
            help=gettext_lazy("Residents on this floor and above are in the smoke's way.")),
)


def clean(community, params: dict) -> dict:
    """The floor must exist in the chosen building."""
    from resilience.places.models import Building

    floors = Building.objects.filter(pk=params["building"]).values_list("floors", flat=True).first()
    if floors and params["floor"] > floors:
        raise ValidationError({"floor": _("The building has %(n)s floors.") % {"n": floors}})
    return params


def compute(community, params: dict, at: dt.datetime) -> dict:
    """The building-fire result (see ``assessment.stress`` for the shape)."""
    from resilience.places.models import Unit

    place = c.buildings(community, [params["building"]])[params["building"]]
    fire_floor = params["floor"]
    floors = c.residents_by_floor(community, [place.id]).get(place.id, {})
    residents = sum(floors.values())
    counts = c.residents_by_building(community, [place.id]).get(place.id, {})
    households = counts.get("households", 0)
    needing = [p for p in c.vulnerable_people(community, [place.id]) if p.needs_evacuation_help]
    found = c.helpers(community, [place.grid])
    in_building = _volunteers_in(community, place.id)
    stairwells = max(Unit.objects.filter(building=place.id).count(), 1)

    egress, source = _egress_minutes(community, place, residents, stairwells, needing)
    shelters = c.shelters(community)
    nearby = [s for s in shelters if place.lat is None or s.lat is None
              or _metres(place, s) <= c.NEARBY_METRES]
    walk, walk_source = _walk_minutes(community, place, residents, len(needing), nearby)

    norms, built_in = c.norms_in_force(community)
    wanted = [d for d in c.demands(norms, residents, households)
              if d.per_day is not None or d.category == "blankets"]
    rows, _days = c.supplies(community, wanted, NIGHTS_OUT, at.date())

    result = c.new_result()
    result.update(
        people_affected=residents,
        vulnerable_needing_help=len(needing),
        helpers_available=found["total"],
        helpers_needed=sum(p.escort_helpers() for p in needing),
        shelter_places_needed=residents,
        shelter_places_available=sum(s.free for s in nearby),
        supplies=rows,
        evacuation_minutes=round(egress + walk, 1) if walk is not None else round(egress, 1),
    )
    result["details"] = {
        "building": place.id,
        "building_name": place.name,
        "floors": place.floors,
        "fire_floor": fire_floor,
        "stairwells": stairwells,
        "households": households,
        "residents_at_or_above_fire": sum(n for f, n in floors.items()
                                          if f is not None and f >= fire_floor),
        "vulnerable_at_or_above_fire": sum(1 for p in needing
                                           if p.floor is not None and p.floor >= fire_floor),
        "carried": sum(1 for p in needing if p.carried),
        "helpers_in_building": in_building,
        "volunteers": found["volunteers"],
        "grid_workers": found["grid_workers"],
        "egress_minutes": round(egress, 1),
        "egress_source": source,
        "walk_minutes": walk,
        "walk_source": walk_source,
        "nearby_shelters": len(nearby),
    }
    result["assumptions"] = [
        _("Everyone in the building leaves; residents needing help (elderly, disabled, "
          "bedridden, on a home device, pregnant, an infant, a language barrier…) get one "
          "escort, two to carry someone who cannot walk."),
        _("Egress: the newest drill timing of this building if there is one; otherwise "
          "%(pre)s min to start + %(floor)s s per floor + residents ÷ (%(flow)s people/min × "
          "stairwells), and %(carried)s s per floor for the highest person carried.")
        % {"pre": PRE_MOVEMENT_MINUTES, "floor": SECONDS_PER_FLOOR, "flow": STAIR_FLOW_PER_MINUTE,
           "carried": SECONDS_PER_FLOOR_CARRIED},
        _("Walk to a shelter on the community's walking paths (evacuation planner) when it has "
          "them, else straight line × %(detour)s; at the pace of someone needing help when "
          "anyone does.") % {"detour": c.DETOUR_FACTOR},
        _("The residents spend a night out: shelter places within %(m)s m, supplies for "
          "%(nights)s day and a blanket each.") % {"m": c.NEARBY_METRES, "nights": NIGHTS_OUT},
        _("Helpers: active volunteers living in the building's grid and its grid workers."),
        _("Floors are read from room numbers (1203 → floor 12)."),
    ]
    if built_in:
        result["assumptions"].append(_("No reserve norms are installed: the platform's built-in "
                                       "default norms were used."))
    return c.finish(result)


def _volunteers_in(community, building: int) -> int:
    from resilience.people.models import Volunteer

    return Volunteer.objects.filter(community=community, active=True,
                                    home_building=building).count()


def _metres(place: c.Place, shelter: c.ShelterPlaces) -> float:
    from resilience.shelters.graph import haversine

    return haversine((place.lat, place.lng), (shelter.lat, shelter.lng))


def _egress_minutes(community, place: c.Place, residents: int, stairwells: int,
                    needing: list[c.Person]) -> tuple[float, str]:
    """Minutes until the last resident is out of the building, and where the figure comes from
    (``drill`` or ``estimate``)."""
    from resilience.participation.models import DrillTiming
    from resilience.participation.vocab_learning import DrillStatus

    timing = (DrillTiming.objects.filter(building=place.id, drill__status=DrillStatus.DONE)
              .order_by("-drill__finished_at", "-drill__planned_at", "-id").first())
    if timing is not None and timing.evacuation_seconds:
        return timing.evacuation_seconds / 60, "drill"
    if residents == 0:
        return 0.0, "estimate"
    walking = (PRE_MOVEMENT_MINUTES + place.floors * SECONDS_PER_FLOOR / 60
               + residents / (STAIR_FLOW_PER_MINUTE * stairwells))
    carried_floors = [p.floor or place.floors for p in needing if p.carried]
    carried = (PRE_MOVEMENT_MINUTES + max(carried_floors) * SECONDS_PER_FLOOR_CARRIED / 60
               if carried_floors else 0.0)
    return max(walking, carried), "estimate"


def _walk_minutes(community, place: c.Place, people: int, helped: int,
                  shelters: list[c.ShelterPlaces]) -> tuple[float | None, str | None]:
    """Minutes from the building to the shelters that take its residents, and how it was found
    (``paths``: the evacuation planner on the walking graph; ``straight_line``)."""
    from resilience.shelters import evacuation
    from resilience.shelters.graph import segments_of

    usable = [s for s in shelters if s.free > 0 and s.lat is not None and s.lng is not None]
    if place.lat is None or place.lng is None or not usable or people == 0:
        return None, None
    segments = segments_of(community)
    if segments:
        planned = evacuation.plan(
            [evacuation.BuildingIn(place.id, place.name, place.lat, place.lng, people, helped)],
            [evacuation.ShelterIn(s.id, s.name, s.lat, s.lng, s.free) for s in usable], segments)
        if planned.assignments:
            return max(a.minutes_helped if a.needing_help else a.minutes
                       for a in planned.assignments), "paths"
    return c.nearest_walk_minutes(place, usable, helped=bool(helped)), "straight_line"
