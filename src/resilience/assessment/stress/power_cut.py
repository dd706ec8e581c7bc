"""Power cut of N hours in the whole community or in chosen grids / buildings.

Reads the buildings (lifts), the residents, the residents who depend on a powered medical device
(health archive devices and their backup battery hours, or the device tags), the vulnerable
residents with a mobility need on high floors, the helpers, the shelters that have power, and the
lighting and generator stock against the reserve norms.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from resilience.assessment.stress import common as c

KIND = "power_cut"

PARAMETERS = (
    c.Param("hours", gettext_lazy("hours"), "int", required=True, minimum=1, maximum=168,
            help=gettext_lazy("How long the power is off (1–168 hours).")),
    c.Param("grids", gettext_lazy("grids"), "grids", default=None,
            help=gettext_lazy("Only these grids (empty: the whole community).")),
    c.Param("buildings", gettext_lazy("buildings"), "buildings", default=None,
            help=gettext_lazy("Only these buildings (empty: the whole community).")),
)


def compute(community, params: dict, at: dt.datetime) -> dict:
    """The power-cut result (see ``assessment.stress`` for the shape)."""
    hours = params["hours"]
    chosen = params.get("buildings") is not None or params.get("grids") is not None
    places = c.buildings(community, params.get("buildings"), params.get("grids")) if chosen \
        else c.buildings(community)
    ids = list(places)
    population = c.residents_by_building(community, ids)
    residents = sum(row["residents"] for row in population.values())
    households = sum(row["households"] for row in population.values())

    devices = c.device_dependent(community, ids)
    needing_power = [d for d in devices if d["battery_hours"] < hours]
    high_up = [p for p in c.vulnerable_people(community, ids)
               if p.mobility_need and places[p.building].lift
               and p.floor is not None and p.floor >= c.HIGH_FLOOR]
    # Moving a device-dependent person to a shelter with power: carried down when the lift is out
    # and they live high up, else escorted.
    carried = sum(1 for d in needing_power if places[d["building"]].lift
                  and d["floor"] is not None and d["floor"] >= c.HIGH_FLOOR)
    escorted = len(needing_power) - carried
    stranded_households = len({p.household for p in high_up})
    helpers_needed = (carried * c.HELPERS_PER_CARRIED_PERSON
                      + escorted * c.HELPERS_PER_ESCORTED_PERSON
                      + c.ceil_div(stranded_households, c.VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY))
    grids = sorted({p.grid for p in places.values()})
    found = c.helpers(community, grids if chosen else None)
    powered = [s for s in c.shelters(community) if s.has_power]

    norms, built_in = c.norms_in_force(community)
    wanted = c.demands(norms, residents, households, categories=["lighting"])
    device_buildings = len({d["building"] for d in needing_power})
    generator = norms.get("generator")
    wanted.append(c.Demand("generator", generator.unit if generator else _("set"),
                           total=Decimal(device_buildings)))
    rows, _days = c.supplies(community, wanted, 0, at.date())

    helped = {d["resident"] for d in needing_power} | {p.id for p in high_up}
    result = c.new_result()
    result.update(
        people_affected=residents,
        vulnerable_needing_help=len(helped),
        helpers_available=found["total"],
        helpers_needed=helpers_needed,
        shelter_places_needed=len(needing_power),
        shelter_places_available=sum(s.free for s in powered),
        supplies=rows,
    )
    by_building = {}
    for d in devices:
        row = by_building.setdefault(d["building"],
                                     _building_row(places[d["building"]], population))
        row["device_dependent"] += 1
        row["needing_power"] += d["battery_hours"] < hours
    for p in high_up:
        row = by_building.setdefault(p.building, _building_row(places[p.building], population))
        row["stranded_high_floor"] += 1
    result["details"] = {
        "hours": hours,
        "buildings": len(places),
        "buildings_with_lifts": sum(1 for p in places.values() if p.lift),
        "residents_in_lift_buildings": sum(population.get(b, {}).get("residents", 0)
                                           for b, p in places.items() if p.lift),
        "households": households,
        "device_dependent": len(devices),
        "device_needing_power": len(needing_power),
        "carried_down": carried,
        "stranded_high_floor": len(high_up),
        "shelters_with_power": len(powered),
        "volunteers": found["volunteers"],
        "grid_workers": found["grid_workers"],
        "by_building": sorted(by_building.values(), key=lambda r: (-r["needing_power"],
                                                                  -r["stranded_high_floor"],
                                                                  r["name"])),
    }
    result["assumptions"] = [
        _("A resident on a powered medical device whose backup battery lasts less than the cut "
          "(no battery recorded: none) needs backup power or a place in a shelter with power."),
        _("Lifts stop: residents with a mobility need on floor %(floor)s or higher of a building "
          "with a lift are stranded and need a check visit; moving a device-dependent resident "
          "from there takes %(carry)s helpers, from elsewhere %(escort)s.")
        % {"floor": c.HIGH_FLOOR, "carry": c.HELPERS_PER_CARRIED_PERSON,
           "escort": c.HELPERS_PER_ESCORTED_PERSON},
        _("One helper checks on %(n)s stranded households in a round.")
        % {"n": c.VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY},
        _("Floors are read from room numbers (1203 → floor 12)."),
        _("Lighting per household from the norm; one generator set for each building with a "
          "device-dependent resident short of battery."),
        _("Helpers: active volunteers living in the affected grids and their grid workers."),
    ]
    if built_in:
        result["assumptions"].append(_("No reserve norms are installed: the platform's built-in "
                                       "default norms were used."))
    return c.finish(result)


def _building_row(place: c.Place, population: dict) -> dict:
    return {"building": place.id, "name": place.name, "lift": place.lift,
            "residents": population.get(place.id, {}).get("residents", 0),
            "device_dependent": 0, "needing_power": 0, "stranded_high_floor": 0}
