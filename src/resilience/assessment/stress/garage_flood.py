"""Flood of the underground garages and basements (waterlogging after a rainstorm).

Reads the buildings with floors below ground, the underground garages (their capacity in parking
places) and the pumps and water-level sensors that guard them, the power rooms in affected
buildings, the residents by floor (basement dwellings, ground floor), the vulnerable residents
on low floors, the helpers of the affected grids and the shelters.
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from resilience.assessment.stress import common as c

KIND = "garage_flood"

PARAMETERS = (
    c.Param("buildings", gettext_lazy("buildings"), "buildings", default=None,
            help=gettext_lazy("Only these buildings (empty: every building with floors below "
                              "ground or an underground garage).")),
)


def compute(community, params: dict, at: dt.datetime) -> dict:
    """The garage-flood result (see ``assessment.stress`` for the shape)."""
    from resilience.monitoring.models import Sensor
    from resilience.monitoring.vocab import SensorKind, SensorStatus
    from resilience.places.models import Facility
    from resilience.places.vocab import FacilityKind as K

    chosen = params.get("buildings")
    garages = list(Facility.objects.filter(community=community, kind=K.UNDERGROUND_GARAGE)
                   .values("pk", "building", "grid", "capacity", "status"))
    if chosen is None:
        every = c.buildings(community)
        places = {b: p for b, p in every.items() if p.basement_floors > 0
                  or any(g["building"] == b for g in garages)}
    else:
        places = c.buildings(community, chosen)
        grids = {p.grid for p in places.values()}
        garages = [g for g in garages if g["building"] in places
                   or (g["building"] is None and g["grid"] in grids)]
    ids = list(places)
    grids = sorted({p.grid for p in places.values()})

    pumps = list(Facility.objects.filter(community=community, kind=K.PUMP,
                                         status=Facility.Status.IN_SERVICE)
                 .values_list("building", "grid"))
    sensors = list(Sensor.objects.filter(community=community, kind=SensorKind.WATER_LEVEL,
                                         active=True)
                   .filter(Q(facility__in=[g["pk"] for g in garages])
                           | Q(building__in=[g["building"] for g in garages if g["building"]]))
                   .values_list("facility", "building", "status"))

    def pumped(g) -> bool:
        return any((g["building"] and b == g["building"]) or (not g["building"] and gr == g["grid"])
                   for b, gr in pumps)

    def watched(g, online_only: bool = False) -> bool:
        return any((f == g["pk"] or (g["building"] and b == g["building"]))
                   and (not online_only or status == SensorStatus.ONLINE)
                   for f, b, status in sensors)

    population = c.residents_by_building(community, ids)
    floors = c.residents_by_floor(community, ids)
    basement = sum(n for b in floors.values() for f, n in b.items() if f is not None and f < 0)
    ground = sum(n for b in floors.values() for f, n in b.items() if f == 1)
    low = [p for p in c.vulnerable_people(community, ids)
           if p.needs_evacuation_help and p.floor is not None and p.floor <= 1]
    power_rooms = set(Facility.objects.filter(community=community, kind=K.POWER_ROOM,
                                              building__in=ids).values_list("building", flat=True))
    devices = [d for d in c.device_dependent(community, list(power_rooms))] if power_rooms else []
    found = c.helpers(community, grids)
    shelters = c.shelters(community)
    # Those leaving: basement dwellers and the vulnerable of the ground floor; the pace is set by
    # those needing help.
    leaving = {b for b in places if any(f is not None and f < 0 for f in floors.get(b, {}))}
    leaving |= {p.building for p in low}
    walks = [m for m in (c.nearest_walk_minutes(places[b], shelters, helped=True)
                         for b in leaving) if m is not None]

    result = c.new_result()
    result.update(
        people_affected=sum(row["residents"] for row in population.values()),
        vulnerable_needing_help=len(low),
        helpers_available=found["total"],
        helpers_needed=sum(p.escort_helpers() for p in low),
        shelter_places_needed=basement + len(low),
        shelter_places_available=sum(s.free for s in shelters),
        evacuation_minutes=max(walks) if walks else None,
    )
    result["details"] = {
        "buildings": len(places),
        "buildings_with_basements": sum(1 for p in places.values() if p.basement_floors > 0),
        "garages": len(garages),
        "garages_in_service": sum(1 for g in garages if g["status"] == Facility.Status.IN_SERVICE),
        "vehicles": sum(g["capacity"] or 0 for g in garages),
        "garages_without_capacity": sum(1 for g in garages if not g["capacity"]),
        "garages_with_pump": sum(1 for g in garages if pumped(g)),
        "garages_with_water_sensor": sum(1 for g in garages if watched(g)),
        "garages_with_sensor_online": sum(1 for g in garages if watched(g, True)),
        "pump_coverage": _share(sum(1 for g in garages if pumped(g)), len(garages)),
        "sensor_coverage": _share(sum(1 for g in garages if watched(g)), len(garages)),
        "basement_residents": basement,
        "ground_floor_residents": ground,
        "power_rooms_at_risk": len(power_rooms),
        "device_dependent_in_power_room_buildings": len(devices),
        "volunteers": found["volunteers"],
        "grid_workers": found["grid_workers"],
        "by_building": [{"building": p.id, "name": p.name,
                         "basement_floors": p.basement_floors,
                         "residents": population.get(p.id, {}).get("residents", 0),
                         "basement_residents": sum(n for f, n in floors.get(p.id, {}).items()
                                                   if f is not None and f < 0),
                         "vulnerable_low_floor": sum(1 for v in low if v.building == p.id),
                         "power_room": p.id in power_rooms}
                        for p in places.values()],
    }
    result["assumptions"] = [
        _("Affected: buildings with floors below ground or an underground garage (or the "
          "buildings chosen); vehicles are the garages' parking places (an upper bound)."),
        _("A garage is covered by a pump in service in its building (or, for a garage not tied "
          "to a building, in its grid), and watched by an active water-level sensor on the "
          "garage or its building."),
        _("Residents of basement dwellings (room B101, -101) leave their homes and need a "
          "shelter place; vulnerable residents on the ground floor or below who need help to "
          "move are moved out too, with one escort each (two to carry someone who cannot "
          "walk)."),
        _("A power room in a flooded basement cuts the building's power: its device-dependent "
          "residents are counted in the details."),
        _("Evacuation time: the longest walk from an affected building to its nearest shelter "
          "with places, straight line × %(detour)s at the pace of someone needing help.")
        % {"detour": c.DETOUR_FACTOR},
        _("Floors are read from room numbers (1203 → floor 12)."),
    ]
    return c.finish(result)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None
