"""Earthquake of intensity I (VI–X on the Chinese seismic intensity scale, GB/T 17742).

Each building is damaged with the probabilities of ``FRAGILITY`` for its structure (or, for a
structure recorded as "other", for its height band), adjusted for the seismic code in force when
it was built. Expected displaced and injured residents follow from the damage states; the
displaced need shelter places and three days of supplies; the vulnerable in damaged buildings
need help to get out. Reads buildings (structure, year, floors), residents, vulnerable residents,
helpers, shelters, the reserve norms and the stock.
"""
from __future__ import annotations

import datetime as dt
import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from resilience.assessment.stress import common as c

KIND = "earthquake"

# Probability of (moderate, severe, collapse) damage by structure and intensity. ASSUMED planning
# values, rounded, of the order of the damage-probability matrices used in Chinese earthquake
# loss estimation for these building classes (e.g. those behind GB/T 18208.4 and the
# post-earthquake surveys they summarise) — not taken from any one table; replace them with the
# local seismic bureau's matrices where available.
FRAGILITY: dict[str, dict[int, tuple[float, float, float]]] = {
    "brick_concrete": {6: (.05, .01, 0), 7: (.15, .05, .01), 8: (.30, .15, .05),
                       9: (.30, .30, .15), 10: (.20, .35, .40)},
    "frame": {6: (.03, 0, 0), 7: (.10, .02, 0), 8: (.20, .08, .02),
              9: (.30, .20, .08), 10: (.30, .30, .25)},
    "shear_wall": {6: (.02, 0, 0), 7: (.05, .01, 0), 8: (.15, .05, .01),
                   9: (.25, .12, .04), 10: (.30, .25, .15)},
    "steel": {6: (.02, 0, 0), 7: (.05, .01, 0), 8: (.12, .04, .01),
              9: (.22, .10, .03), 10: (.30, .20, .10)},
    "masonry": {6: (.10, .02, 0), 7: (.25, .10, .03), 8: (.30, .25, .10),
                9: (.25, .35, .30), 10: (.10, .30, .60)},
    "timber": {6: (.05, .01, 0), 7: (.15, .05, .01), 8: (.25, .12, .04),
               9: (.30, .25, .12), 10: (.25, .35, .30)},
}
# A structure recorded as "other" is judged by its height: (most floors, the class it is taken as).
HEIGHT_BANDS = ((3, "masonry"), (9, "brick_concrete"), (200, "frame"))
# The seismic design code in force when it was built: GBJ 11-89 took effect in 1990 and
# GB 50011-2001 in 2002. Older buildings are weaker, newer ones stronger (assumed factors).
CODE_FACTORS = ((1989, 1.5), (2001, 1.0), (9999, 0.7))
# Share of residents of a moderately damaged building who stay out until it is inspected.
DISPLACED_MODERATE_SHARE = 0.5
# Injured (or worse) per resident by damage state: order of magnitude after the HAZUS indoor
# casualty rates for these states; assumed.
INJURY_RATES = (0.002, 0.02, 0.3)
SHELTER_DAYS = 3
# From this intensity everyone leaves the buildings at first for fear of aftershocks (the usual
# advice and practice), so every vulnerable resident needs help out; below it only those in
# buildings expected to be damaged.
EVERYONE_OUT_FROM = 7

PARAMETERS = (
    c.Param("intensity", gettext_lazy("intensity"), "int", required=True, minimum=6, maximum=10,
            help=gettext_lazy("Seismic intensity VI–X (6–10).")),
)


def damage(place: c.Place, intensity: int) -> tuple[float, float, float]:
    """(moderate, severe, collapse) probabilities for one building."""
    structure = place.structure
    if structure not in FRAGILITY:
        structure = next((cls for most, cls in HEIGHT_BANDS if place.floors <= most),
                         HEIGHT_BANDS[-1][1])
    moderate, severe, collapse = FRAGILITY[structure][intensity]
    factor = 1.0
    if place.year_built:
        factor = next(f for last, f in CODE_FACTORS if place.year_built <= last)
    states = [p * factor for p in (moderate, severe, collapse)]
    total = sum(states)
    if total > 1:
        states = [p / total for p in states]
    return states[0], states[1], states[2]


def compute(community, params: dict, at: dt.datetime) -> dict:
    """The earthquake result (see ``assessment.stress`` for the shape)."""
    intensity = params["intensity"]
    places = c.buildings(community)
    population = c.residents_by_building(community)
    states = {b: damage(p, intensity) for b, p in places.items()}

    displaced = injured = displaced_households = damaged = collapsed = 0.0
    by_building = []
    for b, (moderate, severe, collapse) in states.items():
        people = population.get(b, {}).get("residents", 0)
        homes = population.get(b, {}).get("households", 0)
        out = severe + collapse + DISPLACED_MODERATE_SHARE * moderate
        displaced += people * out
        displaced_households += homes * out
        injured += people * sum(r * s for r, s in zip(INJURY_RATES, (moderate, severe, collapse)))
        damaged += moderate + severe + collapse
        collapsed += collapse
        by_building.append({"building": b, "name": places[b].name,
                            "structure": places[b].structure, "year_built": places[b].year_built,
                            "residents": people, "damage": [round(moderate, 3), round(severe, 3),
                                                            round(collapse, 3)],
                            "displaced": round(people * out, 1)})
    displaced_n = round(displaced)
    needing = [p for p in c.vulnerable_people(community) if p.needs_evacuation_help]
    share_out = {b: 1.0 if intensity >= EVERYONE_OUT_FROM else sum(s) for b, s in states.items()}
    help_expected = sum(share_out.get(p.building, 0) for p in needing)
    helpers_expected = sum(share_out.get(p.building, 0) * p.escort_helpers() for p in needing)
    found = c.helpers(community)
    shelters = c.shelters(community)
    leaving = [places[row["building"]] for row in by_building if row["displaced"] >= 1]
    walks = [m for m in (c.nearest_walk_minutes(p, shelters, helped=True) for p in leaving)
             if m is not None]

    norms, built_in = c.norms_in_force(community)
    wanted = c.demands(norms, displaced_n, round(displaced_households))
    rows, autonomy = c.supplies(community, wanted, SHELTER_DAYS, at.date())

    result = c.new_result()
    result.update(
        people_affected=sum(row["residents"] for row in population.values()),
        vulnerable_needing_help=math.ceil(help_expected - 1e-9),
        helpers_available=found["total"],
        helpers_needed=math.ceil(helpers_expected - 1e-9),
        shelter_places_needed=displaced_n,
        shelter_places_available=sum(s.free for s in shelters),
        supplies=rows,
        days_of_autonomy=autonomy,
        evacuation_minutes=max(walks) if walks else None,
    )
    result["details"] = {
        "intensity": intensity,
        "buildings": len(places),
        "buildings_damaged": round(damaged, 1),
        "buildings_collapsed": round(collapsed, 1),
        "share_damaged": round(damaged / len(places), 3) if places else None,
        "displaced": displaced_n,
        "displaced_households": round(displaced_households),
        "injured": round(injured),
        "volunteers": found["volunteers"],
        "grid_workers": found["grid_workers"],
        "shelter_days": SHELTER_DAYS,
        "by_building": sorted(by_building, key=lambda r: (-r["displaced"], r["name"])),
    }
    result["assumptions"] = [
        _("Damage probabilities (moderate, severe, collapse) by structure and intensity are "
          "assumed planning values of the order of Chinese damage-probability matrices, not an "
          "official table; a structure recorded as other is judged by height (up to 3 floors as "
          "masonry, up to 9 as brick-concrete, higher as frame)."),
        _("Built before 1990 (before GBJ 11-89): damage × 1.5; built from 2002 (GB 50011-2001): "
          "× 0.7; year unknown: as recorded."),
        _("Displaced: everyone from severely damaged or collapsed buildings and half the "
          "residents of moderately damaged ones; injured: %(m)s / %(s)s / %(c)s of residents "
          "by damage state (after HAZUS casualty rates, assumed).")
        % {"m": INJURY_RATES[0], "s": INJURY_RATES[1], "c": INJURY_RATES[2]},
        _("Figures are expected values over the buildings, rounded."),
        _("All shelters in service count: the registry does not say which are open-air, and "
          "indoor shelters need an inspection after a strong earthquake."),
        _("From intensity %(i)s everyone leaves the buildings at first (aftershocks), so every "
          "vulnerable resident needs help out; below it those in buildings expected to be "
          "damaged (rounded up). One escort each, two to carry someone who cannot walk.")
        % {"i": EVERYONE_OUT_FROM},
        _("Supplies for the displaced for %(days)s days.") % {"days": SHELTER_DAYS},
        str(c.SUPPLY_ASSUMPTION),
    ]
    if built_in:
        result["assumptions"].append(_("No reserve norms are installed: the platform's built-in "
                                       "default norms were used."))
    return c.finish(result)
