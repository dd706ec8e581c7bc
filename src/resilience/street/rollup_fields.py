"""The columns of a roll-up, declared once with their classification (see ``exchange.fields``).

A roll-up row describes one community (or one grid) with counts and rates only: no name,
address, phone, ID number or health detail of any person. ``COMMUNITY_FIELDS`` and
``GRID_FIELDS`` are what ``rollups.compute`` fills, the CSV/XLSX/API exports write and the data
exchange's ``rollups`` dataset publishes, in this order.
"""
from __future__ import annotations

from resilience.people.vocab import Vulnerability
from resilience.relief.vocab import SupplyCategory
from resilience.street.exchange.fields import INTERNAL, PUBLIC, Field

BOTH = frozenset({"community", "grid"})
GRID = frozenset({"grid"})
COMMUNITY = frozenset({"community"})


def _f(name, type_, classification, description, levels=COMMUNITY, suppressed=False) -> Field:
    return Field(name, type_, classification, description, suppressed=suppressed, levels=levels)


IDENTITY = [
    _f("community_code", "string", PUBLIC, "Community code (unique).", BOTH),
    _f("community_name", "string", PUBLIC, "Community (residents' committee) name.", BOTH),
    _f("region_code", "string", PUBLIC, "Code of the street (sub-district) holding the community.",
       BOTH),
    _f("region_name", "string", PUBLIC, "Name of the street.", BOTH),
    _f("grid_code", "string", PUBLIC, "Grid code, unique within the community.", GRID),
    _f("grid_name", "string", PUBLIC, "Grid name.", GRID),
]

POPULATION = [
    _f("residents", "integer", PUBLIC, "Registered residents.", BOTH),
    _f("households", "integer", PUBLIC, "Registered households.", BOTH),
    _f("vulnerable_total", "integer", INTERNAL,
       "Residents with at least one vulnerability tag (small cells suppressed).", BOTH, True),
] + [
    _f(f"vulnerable_{tag.value}", "integer", INTERNAL,
       f"Residents tagged '{tag.value}' (small cells suppressed).", BOTH, True)
    for tag in Vulnerability
]

HELPERS = [
    _f("volunteers", "integer", PUBLIC, "Active volunteers (by home building for a grid).", BOTH),
    _f("grid_workers", "integer", PUBLIC, "Grid workers with a current membership.", BOTH),
]

SUPPLIES = [
    _f(f"stock_{cat.value}", "decimal", INTERNAL,
       f"Usable stock of '{cat.value}' in reserve-norm units (not expired).")
    for cat in SupplyCategory
] + [
    _f(f"days_{cat.value}", "decimal", INTERNAL,
       f"Days of autonomy of '{cat.value}' (empty without a per person per day norm).")
    for cat in SupplyCategory
] + [
    _f("days_of_autonomy", "decimal", INTERNAL,
       "The smallest days of autonomy over categories with a per person per day norm."),
]

SHELTERS = [
    _f("shelters", "integer", PUBLIC, "Shelters (facilities of type shelter).", BOTH),
    _f("shelter_places", "integer", PUBLIC,
       "Shelter places: the smaller of places and floor-area capacity of each shelter.", BOTH),
    _f("shelters_open", "integer", PUBLIC, "Shelters open now.", BOTH),
    _f("shelter_occupancy", "integer", INTERNAL, "People checked in and not yet out.", BOTH),
    _f("shelter_occupancy_rate", "number", INTERNAL, "Occupancy ÷ shelter places (0–1).", BOTH),
]

LIVE = [
    _f("open_alarms", "integer", INTERNAL, "Open monitoring alarms.", BOTH),
    _f("open_alarms_severe", "integer", INTERNAL, "Open alarms at level I or II.", BOTH),
    _f("active_alerts", "integer", PUBLIC, "Issued early warnings in force (not expired).", BOTH),
    _f("active_alert_level", "integer", PUBLIC,
       "Highest level among active warnings (1 = I red … 4 = IV blue; empty: none)."),
    _f("alert_recipients", "integer", INTERNAL, "People the active warnings were sent to.", BOTH),
    _f("alert_acknowledged", "integer", INTERNAL, "Of them, people who acknowledged.", BOTH),
    _f("alert_ack_rate", "number", INTERNAL, "Acknowledged ÷ recipients (0–1).", BOTH),
    _f("open_incidents", "integer", INTERNAL, "Incidents open or with a plan activated."),
    _f("hazards_open", "integer", INTERNAL, "Hidden hazards not yet rectified.", BOTH),
    _f("hazards_overdue", "integer", INTERNAL, "Of them, past their deadline.", BOTH),
    _f("unmet_needs", "integer", INTERNAL, "Needs requests open, assigned or in delivery.", BOTH),
    _f("unmet_needs_overdue", "integer", INTERNAL, "Of them, past their service-time target.",
       BOTH),
]

SCORE = [
    _f("score", "number", PUBLIC, "Latest resilience assessment score (0–100)."),
    _f("score_at", "date-time", PUBLIC, "When that assessment ran."),
]

SECTIONS = {
    "identity": IDENTITY, "population": POPULATION, "helpers": HELPERS, "supplies": SUPPLIES,
    "shelters": SHELTERS, "live": LIVE, "score": SCORE,
}
ALL_FIELDS: list[Field] = [f for fields in SECTIONS.values() for f in fields]
COMMUNITY_FIELDS = [f for f in ALL_FIELDS if "community" in f.levels]
GRID_FIELDS = [f for f in ALL_FIELDS if "grid" in f.levels]
BY_NAME = {f.name: f for f in ALL_FIELDS}


def fields_for(level: str) -> list[Field]:
    """The roll-up columns of ``level`` (``community`` or ``grid``)."""
    return COMMUNITY_FIELDS if level == "community" else GRID_FIELDS
