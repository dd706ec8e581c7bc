"""Physical indicators: shelter, supplies and emergency equipment, from the registry and stock."""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from resilience.assessment.catalogue import Measurement, indicator
from resilience.assessment.indicators import common
from resilience.assessment.vocab import Dimension
from resilience.places.models import Building, Facility
from resilience.places.vocab import FacilityKind

IN_SERVICE = Facility.Status.IN_SERVICE
SHELTER_RADIUS_M = 500   # GB 51143-2015: service radius of an emergency shelter
HYDRANT_RADIUS_M = 150   # GB 50974-2014: protection radius of an outdoor hydrant
EMERGENCY_KINDS = (FacilityKind.POWER_ROOM, FacilityKind.FIRE_EQUIPMENT, FacilityKind.HYDRANT,
                   FacilityKind.SHELTER, FacilityKind.WAREHOUSE, FacilityKind.PUMP,
                   FacilityKind.AED, FacilityKind.CLINIC)


def _facilities(community_ids: list[int], at: dt.datetime, kind: str):
    return Facility.objects.filter(community_id__in=community_ids, kind=kind, status=IN_SERVICE,
                                   created__lte=at)


@indicator(
    "shelter_places_per_resident", Dimension.PHYSICAL,
    name=_("Shelter places per resident"),
    definition=_("Places in the community's in-service shelters (the smaller of the places given "
                 "and the floor area at the configured m² per person, 2 m² by default after "
                 "GB 21734) divided by the residents registered at the time; target one place "
                 "for every five residents (planning assumption)."),
    unit=_("places per resident"), target=0.2, worst=0.0,
    recommendations=(
        (50, _("Shelter places cover fewer than one resident in ten: register the school halls, "
               "community centre and garages that can take people as shelters with their "
               "capacity and floor area, and agree their use with the owners.")),
        (100, _("Shelter places fall short of the target: record the floor area of each shelter "
                "and add a second shelter site, so a fifth of residents can be taken in.")),
    ))
def shelter_places_per_resident(community_ids, at):
    from resilience.shelters.models.shelters import m2_per_person

    per_person = m2_per_person()
    places: dict[int, int] = defaultdict(int)
    shelters: dict[int, int] = defaultdict(int)
    for cid, capacity, area in _facilities(community_ids, at, FacilityKind.SHELTER).values_list(
            "community_id", "capacity", "shelter__floor_area"):
        known = [c for c in (capacity, math.floor(area / per_person + 1e-9) if area else None)
                 if c is not None]
        places[cid] += min(known) if known else 0
        shelters[cid] += 1
    people = common.residents(community_ids, at)
    return {cid: common.ratio(places[cid], people[cid], part_name="places",
                              whole_name="residents", shelters=shelters[cid])
            for cid in community_ids}


def _near(community_ids, at, kind: str, metres: float) -> dict[int, Measurement]:
    located = Q(latitude__isnull=False, longitude__isnull=False)
    points: dict[int, list] = defaultdict(list)
    unlocated: dict[int, int] = defaultdict(int)
    for cid, lat, lng in Building.objects.filter(
            community_id__in=community_ids, created__lte=at).values_list(
            "community_id", "latitude", "longitude"):
        if lat is None or lng is None:
            unlocated[cid] += 1
        else:
            points[cid].append((lat, lng))
    targets: dict[int, list] = defaultdict(list)
    for cid, lat, lng in _facilities(community_ids, at, kind).filter(located).values_list(
            "community_id", "latitude", "longitude"):
        targets[cid].append((lat, lng))
    return {cid: common.ratio(common.within(points[cid], targets[cid], metres), len(points[cid]),
                              part_name="buildings_covered", whole_name="buildings_located",
                              buildings_unlocated=unlocated[cid], sites=len(targets[cid]),
                              radius_m=metres)
            for cid in community_ids}


@indicator(
    "buildings_near_shelter", Dimension.PHYSICAL,
    name=_("Buildings within reach of a shelter"),
    definition=_("Share of the located buildings that lie within 500 m in a straight line of an "
                 "in-service shelter — the service radius of an emergency shelter in "
                 "GB 51143-2015."),
    unit=_("share of buildings"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most buildings have no shelter within 500 m: open a shelter on the far side of "
               "the community (a school, a square, a covered car park) and record it with its "
               "location.")),
        (100, _("Some buildings are more than 500 m from a shelter: check the evacuation page "
                "for the buildings left out and record the locations of shelters and buildings "
                "that have none.")),
    ))
def buildings_near_shelter(community_ids, at):
    return _near(community_ids, at, FacilityKind.SHELTER, SHELTER_RADIUS_M)


@indicator(
    "buildings_near_hydrant", Dimension.PHYSICAL,
    name=_("Buildings within reach of a hydrant"),
    definition=_("Share of the located buildings that lie within 150 m in a straight line of an "
                 "in-service fire hydrant — the protection radius of an outdoor hydrant in "
                 "GB 50974-2014."),
    unit=_("share of buildings"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most buildings are beyond a hydrant's 150 m reach: record the hydrants the water "
               "company maintains with their locations, and ask the fire brigade and the street "
               "office for hydrants where there are none.")),
        (100, _("Some buildings are beyond a hydrant's reach: repair the hydrants out of service "
                "first and ask for one near the buildings left out.")),
    ))
def buildings_near_hydrant(community_ids, at):
    return _near(community_ids, at, FacilityKind.HYDRANT, HYDRANT_RADIUS_M)


@indicator(
    "shelters_equipped", Dimension.PHYSICAL,
    name=_("Shelters with water, toilets and power"),
    definition=_("Share of in-service shelters whose shelter profile records drinking water, "
                 "toilets and power, the basic services GB 21734 asks of an emergency shelter."),
    unit=_("share of shelters"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most shelters lack water, toilets or power: equip the largest shelter first — "
               "bottled water store, portable toilets and a generator connection — and record "
               "it in its shelter profile.")),
        (100, _("Some shelters lack a basic service: check each shelter profile and plan water, "
                "toilets and a generator point for the ones missing them.")),
    ))
def shelters_equipped(community_ids, at):
    equipped = Q(shelter__has_water=True, shelter__has_toilets=True, shelter__has_power=True)
    rows = common.grouped(_facilities(community_ids, at, FacilityKind.SHELTER),
                          total=Count("pk"), equipped=Count("pk", filter=equipped))
    return common.ratios(rows, community_ids, "equipped", "total",
                         part_name="equipped", whole_name="shelters")


@indicator(
    "supply_autonomy_days", Dimension.PHYSICAL,
    name=_("Days of supply autonomy"),
    definition=_("Days the community's usable (unexpired) stock at the time lasts its residents "
                 "under each per-person-per-day reserve norm (water, food, masks by default), "
                 "the smallest over those categories; target 3 days, the household reserve in "
                 "the 2020 national household emergency supplies list."),
    unit=_("days"), target=3.0, worst=0.0,
    recommendations=(
        (50, _("Stock lasts less than a day and a half: buy drinking water and dry food for the "
               "limiting category first (see the supplies autonomy page) and store them in the "
               "community warehouse.")),
        (100, _("Stock falls short of three days: top up the limiting category and rotate lots "
                "before they expire, so expired stock does not drop the count.")),
    ))
def supply_autonomy_days(community_ids, at):
    from resilience.relief.models import ReserveNorm, StockMovement
    from resilience.relief.vocab import NormBasis

    # A community's own norm replaces the platform default of its category, whatever its basis.
    norms: dict[int, dict[str, tuple]] = {cid: {} for cid in community_ids}
    defaults: dict[str, tuple] = {}
    for cid, category, basis, amount in ReserveNorm.objects.filter(
            Q(community__isnull=True) | Q(community_id__in=community_ids)).values_list(
            "community_id", "category", "basis", "amount"):
        (defaults if cid is None else norms[cid])[category] = (basis, float(amount))
    day = common.local_day(at)
    stock: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    # The ledger as of ``at``: the signed movements up to then, in lots not expired that day.
    for row in (StockMovement.objects.filter(community_id__in=community_ids, at__lte=at)
                .filter(Q(lot__expires_on__isnull=True) | Q(lot__expires_on__gte=day))
                .order_by().values("community_id", "lot__item__category",
                                   "lot__item__per_capita_amount")
                .annotate(total=Sum("quantity"))):
        factor = float(row["lot__item__per_capita_amount"] or 1)
        stock[row["community_id"]][row["lot__item__category"]] += float(row["total"]) * factor
    people = common.residents(community_ids, at)
    result = {}
    for cid in community_ids:
        in_force = {category: amount for category, (basis, amount)
                    in {**defaults, **norms[cid]}.items() if basis == NormBasis.PERSON_DAY}
        if not in_force:
            result[cid] = common.none("no_norms", residents=people[cid])
            continue
        if not people[cid]:
            result[cid] = common.none("no_residents", residents=0)
            continue
        days = {category: stock[cid][category] / (amount * people[cid])
                for category, amount in in_force.items() if amount > 0}
        if not days:
            result[cid] = common.none("no_norms", residents=people[cid])
            continue
        limiting = min(days, key=lambda c: (days[c], c))
        result[cid] = Measurement(round(days[limiting], 2), {
            "residents": people[cid], "limiting": limiting,
            **{f"{c}_days": round(d, 2) for c, d in sorted(days.items())},
            **{f"{c}_stock": common.number(stock[cid][c]) for c in sorted(days)}})
    return result


@indicator(
    "aeds_per_1000_residents", Dimension.PHYSICAL,
    name=_("AEDs per 1,000 residents"),
    definition=_("In-service automated external defibrillators registered as facilities, per "
                 "1,000 residents; target 1, the lower end of the 100–200 per 100,000 people in "
                 "the 2021 national guideline for AEDs in public places."),
    unit=_("per 1,000 residents"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("There is hardly any AED: place one at the committee office and one at the "
               "busiest entrance, register them as facilities and train volunteers in using "
               "them.")),
        (100, _("AEDs fall short of one per 1,000 residents: add them where older residents "
                "live and gather (elderly care centre, activity room) and check the pads and "
                "batteries on each inspection.")),
    ))
def aeds_per_1000_residents(community_ids, at):
    aeds = common.counted(_facilities(community_ids, at, FacilityKind.AED))
    people = common.residents(community_ids, at)
    return {cid: common.ratio(aeds.get(cid, 0), people[cid], part_name="aeds",
                              whole_name="residents", scale=1000, digits=3)
            for cid in community_ids}


@indicator(
    "facilities_in_service", Dimension.PHYSICAL,
    name=_("Emergency facilities in service"),
    definition=_("Share of the registered emergency facilities (power rooms, fire equipment, "
                 "hydrants, shelters, warehouses, pumps, AEDs, clinics) that are in service "
                 "rather than out of service or under repair, by their current status."),
    unit=_("share of facilities"), target=1.0, worst=0.8,
    recommendations=(
        (50, _("One emergency facility in ten or more is out of action: list them from the "
               "facilities page, raise a hazard with a deadline for each, and chase the owners "
               "through the rectification loop.")),
        (100, _("Some emergency facilities are out of service: set a repair deadline with the "
                "owner of each and inspect it again once repaired.")),
    ))
def facilities_in_service(community_ids, at):
    rows = common.grouped(
        Facility.objects.filter(community_id__in=community_ids, kind__in=EMERGENCY_KINDS,
                                created__lte=at),
        total=Count("pk"), working=Count("pk", filter=Q(status=IN_SERVICE)))
    return common.ratios(rows, community_ids, "working", "total",
                         part_name="in_service", whole_name="facilities")
