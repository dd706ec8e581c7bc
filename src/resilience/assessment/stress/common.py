"""What every stress scenario shares: parameters, the result shape, and the registry reads.

Each read is one or a few grouped queries over a community (never one query per resident), so a
scenario runs in well under a second for a community of thousands. Nothing here writes, and
nothing returned names a person: residents are counted, never listed, and health archives are
read only for their plain columns (mobility, device type, battery hours, days of medication).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy

from resilience.assessment.stress.params import Param, clean_params  # noqa: F401 (re-exported)

RESULT_KEYS = (
    "people_affected", "vulnerable_needing_help", "helpers_available", "helpers_needed",
    "helpers_short", "shelter_places_needed", "shelter_places_available", "shelter_places_short",
    "supplies", "days_of_autonomy", "evacuation_minutes", "details", "assumptions",
)

# Helper ratios, planning assumptions rather than standards (the docs say so too):
# one helper can make delivery/care visits to about 5 vulnerable households a day — about an hour
# per visit with queueing at the distribution point, in an 8-hour shift. It is the order reported
# by Shanghai community volunteers in the 2022 lockdown, not a published norm; adjust it.
VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY = 5
# Carrying someone who cannot walk down a stairwell takes two people (an evacuation chair or a
# carry sheet is a two-person lift in fire-service and first-aid training).
HELPERS_PER_CARRIED_PERSON = 2
# Anyone else who needs help to leave (elderly, sight or hearing loss, a small child): one escort.
HELPERS_PER_ESCORTED_PERSON = 1
# From this floor up a stairwell is too much for someone with a mobility need without the lift.
HIGH_FLOOR = 4
# Straight-line distance × this ≈ walking distance when the community has no walking paths
# (the usual urban detour factor of 1.2–1.4).
DETOUR_FACTOR = 1.3
# A shelter this close (straight line) counts as "nearby" for one building's fire.
NEARBY_METRES = 1000
# Days ahead a supply simulation looks when it reports how long the stock lasts.
AUTONOMY_HORIZON_DAYS = 365

# Tags (people.vocab.Vulnerability) by what they mean in an emergency.
CARRIED_TAGS = frozenset({"bedridden"})
MOBILITY_TAGS = frozenset({"bedridden", "disabled", "elderly", "elderly_alone"})
DEVICE_TAGS = frozenset({"dialysis", "oxygen", "medical_device"})
EVACUATION_HELP_TAGS = frozenset({
    "elderly_alone", "elderly", "disabled", "bedridden", "dialysis", "oxygen", "medical_device",
    "mental_health", "pregnant", "infant", "language_barrier", "left_behind_child",
})
DELIVERY_TAGS = frozenset({
    "elderly_alone", "elderly", "disabled", "bedridden", "chronic_illness", "dialysis", "oxygen",
    "medical_device", "mental_health", "pregnant", "infant", "low_income", "left_behind_child",
})
CARRIED_MOBILITY = frozenset({"bedridden", "wheelchair"})      # health.vocab.Mobility
HELPED_MOBILITY = frozenset({"aid", "wheelchair", "bedridden"})


# -- the result -------------------------------------------------------------------------------

def new_result() -> dict:
    """A result with every key of the common shape, not applicable (None) until filled."""
    result: dict[str, Any] = {key: None for key in RESULT_KEYS}
    result.update(supplies=[], details={}, assumptions=[])
    return result


def short(needed, available):
    if needed is None or available is None:
        return None
    return max(needed - available, 0)


def finish(result: dict) -> dict:
    """Fill the shortfalls from what is needed and available."""
    result["helpers_short"] = short(result["helpers_needed"], result["helpers_available"])
    result["shelter_places_short"] = short(result["shelter_places_needed"],
                                           result["shelter_places_available"])
    return result


def number(value: Decimal | float | int | None, places: int = 3) -> float | int | None:
    """A JSON-safe number: int when whole, else a float rounded to ``places``."""
    if value is None:
        return None
    value = round(float(value), places)
    return int(value) if value.is_integer() else value


# -- places -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """A building as the scenarios need it."""

    id: int
    name: str
    grid: int
    floors: int
    basement_floors: int
    lift: bool            # the building or one of its units has a lift
    structure: str
    year_built: int | None
    lat: float | None
    lng: float | None


def buildings(community, ids: Iterable[int] | None = None,
              grids: Iterable[int] | None = None) -> dict[int, Place]:
    """``{id: Place}`` of the community's buildings, all or those named / in the grids named."""
    from resilience.places.models import Building

    rows = Building.objects.filter(community=community)
    if ids is not None or grids is not None:
        rows = rows.filter(Q(pk__in=list(ids or [])) | Q(grid__in=list(grids or [])))
    rows = rows.annotate(lift_units=Count("units", filter=Q(units__has_elevator=True)))
    return {b.pk: Place(b.pk, b.name, b.grid_id, b.floors, b.basement_floors,
                        b.has_elevator or b.lift_units > 0, b.structure, b.year_built,
                        b.latitude, b.longitude) for b in rows.order_by("code")}


# -- people -----------------------------------------------------------------------------------

def floor_of(room: str) -> int | None:
    """The floor a room number says: "1203" → 12, "101" → 1, "B101" or "-101" → -1 (basement),
    "5" → 1 (a house or a one-storey block); None when the room says nothing (e.g. "east")."""
    text = (room or "").strip().upper()
    basement = re.match(r"^(?:B|-|地下)(\d)", text)
    if basement:
        return -int(basement.group(1))
    digits = re.match(r"^(\d+)", text)
    if not digits:
        return None
    value = digits.group(1)
    return max(int(value[:-2]), 1) if len(value) >= 3 else 1


@dataclass
class Person:
    """A resident as a scenario sees them: where they live and what help they need — no name
    (``id`` only to count a person once across two reads)."""

    id: int
    building: int
    household: int
    floor: int | None
    tags: frozenset = field(default_factory=frozenset)
    mobility: str | None = None

    @property
    def carried(self) -> bool:
        """Cannot use stairs unaided: bedridden, or in a wheelchair."""
        return bool(self.tags & CARRIED_TAGS) or self.mobility in CARRIED_MOBILITY

    @property
    def needs_evacuation_help(self) -> bool:
        return bool(self.tags & EVACUATION_HELP_TAGS) or self.mobility in HELPED_MOBILITY

    @property
    def mobility_need(self) -> bool:
        return bool(self.tags & MOBILITY_TAGS) or self.mobility in HELPED_MOBILITY

    def escort_helpers(self) -> int:
        return HELPERS_PER_CARRIED_PERSON if self.carried else HELPERS_PER_ESCORTED_PERSON


def _token_map() -> dict[str, str]:
    from resilience.people.models.residents import tag_token
    from resilience.people.vocab import Vulnerability

    return {tag_token(tag): tag for tag in Vulnerability.values}


def vulnerable_people(community, buildings: Iterable[int] | None = None) -> list[Person]:
    """Residents with a vulnerability tag or a mobility need in their health archive, as
    ``Person`` rows (one query; tags read from the keyed index, never decrypted)."""
    from resilience.people.models import Resident

    rows = Resident.objects.filter(community=community).filter(
        ~Q(tag_index="") | Q(health_archive__mobility__in=HELPED_MOBILITY))
    if buildings is not None:
        rows = rows.filter(household__building__in=list(buildings))
    tokens = _token_map()
    people = []
    for pk, building, household, room, index, mobility in rows.values_list(
            "pk", "household__building", "household", "household__room", "tag_index",
            "health_archive__mobility"):
        tags = frozenset(tokens[t] for t in index.strip("|").split("|") if t in tokens)
        people.append(Person(pk, building, household, floor_of(room), tags, mobility))
    return people


def residents_by_building(community, buildings: Iterable[int] | None = None) -> dict[int, dict]:
    """``{building id: {"residents", "households"}}`` for buildings with residents."""
    from resilience.people.models import Resident

    rows = Resident.objects.filter(community=community)
    if buildings is not None:
        rows = rows.filter(household__building__in=list(buildings))
    return {row["household__building"]: {"residents": row["residents"],
                                         "households": row["households"]}
            for row in rows.values("household__building").annotate(
                residents=Count("pk"), households=Count("household", distinct=True)).order_by()}


def residents_by_floor(community, buildings: Iterable[int]) -> dict[int, dict[int | None, int]]:
    """``{building: {floor: residents}}`` from the room numbers of the households."""
    from resilience.people.models import Resident

    out: dict[int, dict[int | None, int]] = {}
    rows = Resident.objects.filter(community=community, household__building__in=list(buildings))
    for row in (rows.values("household__building", "household__room")
                .annotate(n=Count("pk")).order_by()):
        floors = out.setdefault(row["household__building"], {})
        floor = floor_of(row["household__room"])
        floors[floor] = floors.get(floor, 0) + row["n"]
    return out


def device_dependent(community, buildings: Iterable[int] | None = None) -> list[dict]:
    """Residents who depend on a powered medical device, one row each: ``{"resident",
    "building", "floor", "battery_hours"}`` with the hours of their weakest backup battery (0
    when none is recorded). From archive devices that need power, and from the dialysis /
    oxygen / home-device tags of residents without such a device record."""
    from resilience.health.models import Device
    from resilience.people.models import Resident

    devices = Device.objects.filter(archive__community=community, needs_power=True)
    if buildings is not None:
        devices = devices.filter(archive__resident__household__building__in=list(buildings))
    rows: dict[int, dict] = {}
    for resident, building, room, hours in devices.values_list(
            "archive__resident", "archive__resident__household__building",
            "archive__resident__household__room", "battery_hours"):
        hours = float(hours or 0)
        if resident not in rows or hours < rows[resident]["battery_hours"]:
            rows[resident] = {"resident": resident, "building": building,
                              "floor": floor_of(room), "battery_hours": hours}
    tagged = Resident.objects.filter(community=community).filter(
        _any_tag(DEVICE_TAGS)).exclude(pk__in=list(rows))
    if buildings is not None:
        tagged = tagged.filter(household__building__in=list(buildings))
    for resident, building, room in tagged.values_list("pk", "household__building",
                                                       "household__room"):
        rows[resident] = {"resident": resident, "building": building, "floor": floor_of(room),
                          "battery_hours": 0.0}
    return list(rows.values())


def _any_tag(tags: Iterable[str]) -> Q:
    from resilience.people.models.residents import tag_filter

    q = Q(pk__in=[])
    for tag in tags:
        q |= tag_filter(tag)
    return q


def medication_short(community, days: int, on: dt.date) -> int:
    """Residents holding fewer than ``days`` days of some regular medication on ``on`` (a
    count only: which medication is never read)."""
    from resilience.health.models import Medication

    short_of: set[int] = set()
    for resident, supply, recorded in Medication.objects.filter(
            archive__community=community).values_list("archive__resident", "days_supply",
                                                      "recorded_on"):
        left = supply - max((on - recorded).days, 0) if recorded else supply
        if left < days:
            short_of.add(resident)
    return len(short_of)


# -- helpers ----------------------------------------------------------------------------------

def helpers(community, grids: Iterable[int] | None = None) -> dict[str, int]:
    """Active volunteers (living in ``grids`` when given) and grid workers in force (of
    ``grids`` when given), each person counted once."""
    from resilience.core.roles import Role
    from resilience.people.models import Membership, Volunteer
    from resilience.people.models.memberships import current_q

    workers = Membership.objects.filter(current_q(), role=Role.GRID_WORKER,
                                        grid__community=community)
    volunteers = Volunteer.objects.filter(community=community, active=True)
    if grids is not None:
        grids = list(grids)
        workers = workers.filter(grid__in=grids)
        volunteers = volunteers.filter(home_building__grid__in=grids)
    worker_users = set(workers.values_list("user", flat=True))
    volunteer_count = volunteers.exclude(user__in=worker_users).count()
    return {"volunteers": volunteer_count, "grid_workers": len(worker_users),
            "total": volunteer_count + len(worker_users)}


# -- shelters ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShelterPlaces:
    id: int
    name: str
    lat: float | None
    lng: float | None
    free: int
    has_power: bool


def shelters(community) -> list[ShelterPlaces]:
    """Shelters of the community whose facility is in service, with their free places now
    (capacity by places and floor area, minus people staying). Closed shelters count: they
    can be opened in an emergency."""
    from resilience.places.models import Facility
    from resilience.shelters.models import Shelter

    rows = (Shelter.objects.filter(facility__community=community,
                                   facility__status=Facility.Status.IN_SERVICE)
            .select_related("facility")
            .annotate(current=Count("stays", filter=Q(stays__checked_out_at__isnull=True))))
    return [ShelterPlaces(s.pk, str(s.facility), s.facility.latitude, s.facility.longitude,
                          s.free_places, s.has_power) for s in rows]


def nearest_walk_minutes(place: Place, found: list[ShelterPlaces],
                         helped: bool = False) -> float | None:
    """Minutes to walk from ``place`` to the nearest shelter with free places: straight line ×
    ``DETOUR_FACTOR`` at the walking speeds of ``shelters.evacuation`` (the slower one when
    someone needing help sets the pace); None without coordinates or a shelter with places."""
    from resilience.shelters.evacuation import WALK_SPEED, WALK_SPEED_HELPED, minutes
    from resilience.shelters.graph import haversine

    if place.lat is None or place.lng is None:
        return None
    distances = [haversine((place.lat, place.lng), (s.lat, s.lng)) for s in found
                 if s.free > 0 and s.lat is not None and s.lng is not None]
    if not distances:
        return None
    return minutes(min(distances) * DETOUR_FACTOR, WALK_SPEED_HELPED if helped else WALK_SPEED)


# -- supplies ---------------------------------------------------------------------------------

@dataclass
class Demand:
    """What a scenario needs of one category: ``per_day`` × days for a per person per day norm,
    else a ``total`` once."""

    category: str
    unit: str
    per_day: Decimal | None = None
    total: Decimal | None = None


def norms_in_force(community) -> tuple[dict[str, Any], bool]:
    """Category → norm (``ReserveNorm`` or the built-in default as a plain object) and whether
    the built-in defaults were used because no norm is installed."""
    from types import SimpleNamespace

    from resilience.relief.norms import DEFAULT_NORMS, effective_norms

    found = effective_norms(community)
    if found:
        return found, False
    return {str(spec["category"]): SimpleNamespace(
        category=str(spec["category"]), basis=str(spec["basis"]), amount=Decimal(spec["amount"]),
        unit=spec["unit"], days=spec["days"], note=spec["note"]) for spec in DEFAULT_NORMS}, True


def demands(norms: dict, residents: int, households: int, *,
            categories: Iterable[str] | None = None) -> list[Demand]:
    """What ``residents`` people in ``households`` households need of each normed category."""
    from resilience.relief.vocab import NormBasis

    out = []
    wanted = set(categories) if categories is not None else None
    for category, norm in sorted(norms.items()):
        if wanted is not None and category not in wanted:
            continue
        if norm.basis == NormBasis.PERSON_DAY:
            out.append(Demand(category, norm.unit, per_day=norm.amount * residents))
        elif norm.basis == NormBasis.PERSON:
            out.append(Demand(category, norm.unit, total=norm.amount * residents))
        elif norm.basis == NormBasis.HOUSEHOLD:
            out.append(Demand(category, norm.unit, total=norm.amount * households))
        else:
            out.append(Demand(category, norm.unit, total=norm.amount))
    return out


def stock_lots(community, on: dt.date) -> dict[str, list[tuple[dt.date | None, Decimal]]]:
    """Category → [(expiry or None, quantity in norm units)] of the stock usable on ``on``."""
    from resilience.relief.ledger import PLACES, usable_lots

    lots: dict[str, list] = {}
    for row in (usable_lots(community, on=on)
                .values("item__category", "item__per_capita_amount", "expires_on")
                .annotate(total=Sum("quantity")).order_by()):
        # SQLite sums decimals as floats: back to the ledger's three places
        amount = Decimal(str(row["total"])).quantize(PLACES) * (
            row["item__per_capita_amount"] or Decimal(1))
        lots.setdefault(row["item__category"], []).append((row["expires_on"], amount))
    return lots


def consume(lots: list[tuple[dt.date | None, Decimal]], per_day: Decimal, days: int,
            on: dt.date, horizon: int = AUTONOMY_HORIZON_DAYS) -> tuple[Decimal, Decimal, float]:
    """Live on ``lots`` at ``per_day``, earliest expiry first, a lot usable up to its expiry
    day: (used in the first ``days`` days, stock that can be used at all in them — the rest
    expires unused, days the stock lasts (whole days met plus the share of the first short day,
    up to ``horizon``))."""
    remaining = sorted(([expiry, amount] for expiry, amount in lots if amount > 0),
                       key=lambda lot: (lot[0] is None, lot[0] or on))
    total = sum((amount for _expiry, amount in remaining), Decimal(0))
    if per_day <= 0:
        return Decimal(0), total, float(horizon)
    used_in_period = Decimal(0)
    wasted_in_period = Decimal(0)
    lasted: float | None = None
    for day in range(max(days, horizon)):
        date = on + dt.timedelta(days=day)
        for lot in remaining:
            if lot[0] is not None and lot[0] < date and lot[1] > 0:
                if day < days:
                    wasted_in_period += lot[1]
                lot[1] = Decimal(0)
        need = per_day
        for lot in remaining:
            take = min(lot[1], need)
            lot[1] -= take
            need -= take
            if need == 0:
                break
        met = per_day - need
        if day < days:
            used_in_period += met
        if need > 0 and lasted is None:
            lasted = day + float(met / per_day)
        if lasted is not None and day >= days - 1:
            break
    # stock left at the end of the period was usable too; only what expired unused is not
    return (used_in_period, total - wasted_in_period,
            lasted if lasted is not None else float(horizon))


def supplies(community, wanted: list[Demand], days: int,
             on: dt.date) -> tuple[list[dict], float | None]:
    """The ``supplies`` rows of a result and the days of autonomy (the smallest over per day
    categories, None without one)."""
    lots = stock_lots(community, on)
    rows, autonomy = [], []
    for demand in wanted:
        held = lots.get(demand.category, [])
        if demand.per_day is not None:
            needed = demand.per_day * days
            used, usable, lasted = consume(held, demand.per_day, days, on)
            available = usable
            # nobody to feed (no residents): no days to count
            row_days = round(lasted, 1) if demand.per_day > 0 else None
            if row_days is not None:
                autonomy.append(row_days)
        else:
            needed = demand.total or Decimal(0)
            available = sum((amount for _e, amount in held), Decimal(0))
            row_days = None
        rows.append({"category": demand.category, "needed": number(needed),
                     "available": number(available),
                     "short": number(max(needed - available, Decimal(0))),
                     "unit": demand.unit, "days": row_days})
    return rows, (min(autonomy) if autonomy else None)


def ceil_div(a: int, b: int) -> int:
    return math.ceil(a / b) if a else 0


SUPPLY_ASSUMPTION = gettext_lazy(
    "Supplies: the reserve norms in force (relief) × the people and days of the scenario; stock "
    "in norm units, used earliest expiry first, a lot usable up to its expiry date.")
