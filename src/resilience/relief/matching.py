"""Batch matching: open requests, in priority order, to stock and to volunteers.

``plan(community)`` loads what is needed (a few queries) and calls ``match()``, a pure function
over plain rows, so the benchmark measures the algorithm without the database.

The algorithm is greedy, in priority order, which is what the priority is for:

1. **Stock.** A request naming a supply item takes its quantity from one warehouse that still
   holds enough usable stock — the nearest to the request's building — and the quantity is
   *reserved* at once, so no two requests are promised the same units. Stock already promised to
   assigned, undelivered requests is subtracted first. None left → the request is in the stock
   shortfall (and takes no helper).
2. **Volunteer.** Requests of one building needing the same kind of helper share a batch (up
   to ``MAX_BATCH``), so one trip serves several. A new batch goes to the volunteer with the
   lowest cost among those who fit: active, available now (an "emergencies only" volunteer only
   for critical requests), with a skill the kind needs (medical visit → medical, nursing or
   driving; care → nursing; psychological → psychology; anything else → anyone, logistics
   preferred), holding fewer than ``MAX_LOAD`` requests. Cost = straight-line metres from their
   home building + ``LOAD_PENALTY_M`` per request they already hold, which spreads the work.
   Only the ``NEAREST_K`` nearest who fit (a k-d tree per helper class) are weighed, unless all
   of them are full — nobody is sent across the city while a neighbour is free, and a new batch
   costs O(k), not O(volunteers). No one fits → the request is in the helper shortfall (its
   stock is not reserved).
3. **Route.** Inside a batch (one building) critical requests come first, then the stops by
   unit and room — nearest neighbour is trivial within a building; across a volunteer's batches the page orders
   buildings by nearest neighbour from their home (``route_order``). Simple, and said so.

Cost: one pass over the requests; a k-nearest query when a batch opens in a new building.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.utils import timezone
from scipy.spatial import cKDTree

from resilience.relief.vocab import ACTIVE_REQUEST_STATUSES, NeedKind, RequestStatus, Urgency

MAX_BATCH = 8           # stops in one trip
MAX_LOAD = 16           # requests a volunteer may hold at once
LOAD_PENALTY_M = 250.0  # one request held weighs like this many metres of walking
LOGISTICS_BONUS_M = 100.0
NEAREST_K = 32          # volunteers weighed first for a new batch (k-d tree), before everyone
EARTH_RADIUS_M = 6_371_008.8

MEDICAL, CARE, PSYCH, GENERAL = "medical", "care", "psychological", "general"
CLASS_OF_KIND = {NeedKind.MEDICAL_VISIT: MEDICAL, NeedKind.CARE: CARE,
                 NeedKind.PSYCHOLOGICAL: PSYCH}
SKILLS_OF_CLASS = {MEDICAL: {"medical", "nursing", "driving"}, CARE: {"nursing"},
                   PSYCH: {"psychology"}, GENERAL: None}  # None: anyone


@dataclass(frozen=True)
class RequestRow:
    id: int
    building: int
    kind: str
    urgency: int = Urgency.NORMAL
    item: int | None = None
    quantity: Decimal = Decimal("1")
    stop: tuple = ()  # sort key inside the building (unit number, room)


@dataclass(frozen=True)
class VolunteerRow:
    id: int
    skills: frozenset
    lat: float | None
    lng: float | None
    load: int = 0
    emergency_only: bool = False


@dataclass
class PlannedBatch:
    building: int
    volunteer: int
    kind: str  # the helper class: medical, care, psychological, general
    requests: list = field(default_factory=list)
    picks: list = field(default_factory=list)
    distance_m: float = 0.0


@dataclass
class Plan:
    batches: list = field(default_factory=list)
    short_stock: list = field(default_factory=list)    # request ids: item not covered
    short_helpers: list = field(default_factory=list)  # request ids: no volunteer fits

    @property
    def matched(self) -> int:
        return sum(len(b.requests) for b in self.batches)


def helper_class(kind: str) -> str:
    return CLASS_OF_KIND.get(kind, GENERAL)


def _xy(lat: np.ndarray, lng: np.ndarray, lat0: float) -> np.ndarray:
    """Metres east/north on a local plane (equirectangular), good within a city."""
    return np.column_stack((np.radians(lng) * math.cos(math.radians(lat0)) * EARTH_RADIUS_M,
                            np.radians(lat) * EARTH_RADIUS_M))


def match(requests: list[RequestRow], volunteers: list[VolunteerRow],
          stock: dict[int, dict[int, Decimal]], buildings: dict[int, tuple[float, float]],
          warehouses: dict[int, tuple[float, float]] | None = None) -> Plan:
    """Match ``requests`` (highest priority first) to ``stock`` (item → warehouse → usable
    quantity, consumed as promised; the caller's dict is not changed) and ``volunteers``."""
    warehouses = warehouses or {}
    plan = Plan()
    stock = {item: dict(per) for item, per in stock.items()}
    points = [p for p in buildings.values() if p and p[0] is not None]
    lat0 = float(np.mean([p[0] for p in points])) if points else 0.0
    b_ids = list(buildings)
    b_index = {b: i for i, b in enumerate(b_ids)}
    b_lat = np.array([(buildings[b] or (None,))[0] or lat0 for b in b_ids], dtype=float)
    b_lng = np.array([(buildings[b] or (None, None))[1] or 0.0 for b in b_ids], dtype=float)
    b_xy = _xy(b_lat, b_lng, lat0) if b_ids else np.zeros((0, 2))
    has_coords = {b: bool(buildings[b] and buildings[b][0] is not None) for b in b_ids}

    n_v = len(volunteers)
    v_xy = _xy(np.array([v.lat if v.lat is not None else lat0 for v in volunteers], dtype=float),
               np.array([v.lng if v.lng is not None else 0.0 for v in volunteers], dtype=float),
               lat0) if n_v else np.zeros((0, 2))
    v_located = np.array([v.lat is not None for v in volunteers], dtype=bool)
    all_located = bool(v_located.all())
    load = np.array([v.load for v in volunteers], dtype=float)
    emergency_only = np.array([v.emergency_only for v in volunteers], dtype=bool)
    fits = {cls: (np.ones(n_v, dtype=bool) if skills is None else
                  np.array([bool(v.skills & skills) for v in volunteers], dtype=bool))
            for cls, skills in SKILLS_OF_CLASS.items()}
    bonus = np.array([LOGISTICS_BONUS_M if "logistics" in v.skills else 0.0 for v in volunteers])
    trees = {}
    for cls, mask in fits.items():
        members = np.nonzero(mask)[0]
        trees[cls] = (cKDTree(v_xy[members]), members) if len(members) else None
    near: dict[str, tuple] = {}
    # How many volunteers of each class can still take a request: a full class answers at once.
    free = {cls: int((mask & (load < MAX_LOAD)).sum()) for cls, mask in fits.items()}
    classes_of = [[cls for cls in fits if fits[cls][i]] for i in range(n_v)]

    def distances(building: int, among: np.ndarray) -> np.ndarray:
        """Metres from the building to the volunteers ``among`` (unknown homes: the farthest)."""
        if not has_coords.get(building):
            return np.zeros(len(among))
        d = np.hypot(*(v_xy[among] - b_xy[b_index[building]]).T)
        located = v_located[among]
        if not located.all():
            d = np.where(located, d, d.max(initial=0.0, where=located))
        return d

    def nearest(building: int, cls: str) -> tuple[np.ndarray, np.ndarray]:
        """The ``NEAREST_K`` volunteers fitting ``cls`` nearest to the building, and metres;
        one vectorised k-d tree query per class answers for every building at once."""
        table = near.get(cls)
        if table is None:
            tree, members = trees[cls]
            k = min(NEAREST_K, len(members))
            if all_located and len(b_xy):
                d, j = tree.query(b_xy, k=k)
                table = near[cls] = (members[j.reshape(len(b_xy), k)], d.reshape(len(b_xy), k))
            else:
                table = near[cls] = (None, None)
        ids, metres = table
        if ids is None or not has_coords.get(building):
            chosen = trees[cls][1]
            return chosen, distances(building, chosen)
        row = b_index[building]
        return ids[row], metres[row]

    def pick(among: np.ndarray, d: np.ndarray, cls: str, critical: bool):
        ok = load[among] < MAX_LOAD
        if not critical:
            ok &= ~emergency_only[among]
        if not ok.any():
            return None
        cost = d + LOAD_PENALTY_M * load[among]
        if cls == GENERAL:
            cost = cost - bonus[among]
        i = int(np.argmin(np.where(ok, cost, np.inf)))
        return int(among[i]), float(d[i])

    def best_volunteer(building: int, cls: str, critical: bool):
        """(volunteer index, metres), or None. The nearest ``NEAREST_K`` who fit are weighed
        first; only when all of them are full (or emergency-only) is everyone who fits."""
        if trees[cls] is None or not free[cls]:
            return None
        among, d = nearest(building, cls)
        found = pick(among, d, cls, critical)
        if found is None and len(among) < len(trees[cls][1]):
            everyone = trees[cls][1]
            found = pick(everyone, distances(building, everyone), cls, critical)
        return found

    w_xy = {w: _xy(np.array([p[0]]), np.array([p[1]]), lat0)[0]
            for w, p in warehouses.items() if p and p[0] is not None and p[1] is not None}

    def nearest_warehouse(building: int, options: list[int], stock_of: dict) -> int:
        if len(options) == 1 or not has_coords.get(building):
            return options[0]
        bx = b_xy[b_index[building]]

        def metres(w: int) -> float:
            x = w_xy.get(w)
            return math.inf if x is None else float(math.hypot(x[0] - bx[0], x[1] - bx[1]))
        return min(options, key=lambda w: (metres(w), -stock_of[w], w))

    open_batch: dict[tuple[int, str, bool], PlannedBatch] = {}
    vol_ids = [v.id for v in volunteers]
    for r in requests:
        cls = helper_class(r.kind)
        critical = r.urgency >= Urgency.CRITICAL
        chosen_wh = None
        if r.item is not None:
            stock_of = stock.get(r.item, {})
            options = sorted((w for w, q in stock_of.items() if q >= r.quantity),
                             key=lambda w: (-stock_of[w], w))
            if not options:
                plan.short_stock.append(r.id)
                continue
            chosen_wh = nearest_warehouse(r.building, options, stock_of)
        # An "emergencies only" volunteer's batch takes critical requests only.
        batch = None
        for key in ((r.building, cls, False), (r.building, cls, True))[:2 if critical else 1]:
            candidate = open_batch.get(key)
            if (candidate is not None and len(candidate.requests) < MAX_BATCH
                    and load[candidate.volunteer] < MAX_LOAD):
                batch = candidate
                break
        if batch is None:
            found = best_volunteer(r.building, cls, critical)
            if found is None:
                plan.short_helpers.append(r.id)
                continue
            vi, metres = found
            batch = PlannedBatch(building=r.building, volunteer=vi, kind=cls,
                                 distance_m=round(metres, 1))
            open_batch[(r.building, cls, bool(emergency_only[vi]))] = batch
            plan.batches.append(batch)
        if chosen_wh is not None:
            stock[r.item][chosen_wh] -= r.quantity
            batch.picks.append({"request": r.id, "item": r.item, "warehouse": chosen_wh,
                                "quantity": str(r.quantity)})
        batch.requests.append(r)
        load[batch.volunteer] += 1
        if load[batch.volunteer] == MAX_LOAD:
            for full in classes_of[batch.volunteer]:
                free[full] -= 1
    for batch in plan.batches:
        batch.requests = [r.id for r in sorted(
            batch.requests, key=lambda r: (r.urgency < Urgency.CRITICAL, r.stop, r.id))]
        batch.volunteer = vol_ids[batch.volunteer]
    return plan


def route_order(start: tuple[float, float] | None,
                stops: list[tuple[object, float, float]]) -> list:
    """Stop ids in nearest-neighbour order from ``start`` (lat, lng); stops without a position
    go last. O(n²), for the handful of buildings one volunteer visits."""
    located = [s for s in stops if s[1] is not None and s[2] is not None]
    rest = [s[0] for s in stops if s[1] is None or s[2] is None]
    if not located:
        return rest
    from resilience.response.assignment import distance_m

    here = start if start and start[0] is not None else (located[0][1], located[0][2])
    order = []
    while located:
        nearest = min(located, key=lambda s: distance_m(here, (s[1], s[2])))
        located.remove(nearest)
        order.append(nearest[0])
        here = (nearest[1], nearest[2])
    return order + rest


# --- loading from the database ---------------------------------------------------------------


def available_now(availability: str, now: dt.datetime) -> bool | None:
    """Whether a volunteer with this availability can go now; None for "emergencies only"
    (they go for critical requests)."""
    local = timezone.localtime(now)
    weekend = local.weekday() >= 5
    evening = local.hour >= 18 or local.hour < 7
    return {"anytime": True, "weekdays": not weekend, "weekends": weekend,
            "evenings": evening, "emergency_only": None}.get(availability, True)


def committed_stock(community) -> dict[tuple[int, int | None], Decimal]:
    """(item, warehouse) → quantity promised to assigned, undelivered requests (warehouse from
    their batch's picks; None when the request was assigned by hand)."""
    from resilience.relief.models import DispatchBatch, NeedRequest

    active = list(NeedRequest.objects.filter(
        community=community, status__in=[RequestStatus.ASSIGNED, RequestStatus.IN_DELIVERY],
        item__isnull=False).values_list("pk", "item_id", "quantity", "batch_id"))
    picks: dict[int, int] = {}
    for batch_picks in DispatchBatch.objects.filter(
            pk__in={b for *_, b in active if b}).values_list("picks", flat=True):
        for pick in batch_picks or []:
            picks[pick.get("request")] = pick.get("warehouse")
    out: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for pk, item, quantity, _batch in active:
        out[(item, picks.get(pk))] += quantity or Decimal(1)
    return out


def usable_stock(community) -> dict[int, dict[int, Decimal]]:
    """``ledger.available`` less what assigned requests were promised."""
    from resilience.relief import ledger

    stock = {item: dict(per) for item, per in ledger.available(community).items()}
    for (item, warehouse), quantity in committed_stock(community).items():
        per = stock.get(item)
        if not per:
            continue
        target = warehouse if warehouse in per else max(per, key=lambda w: per[w])
        per[target] = max(Decimal(0), per[target] - quantity)
    return stock


def plan(community, *, now: dt.datetime | None = None) -> Plan:
    """Match the community's open requests (priority order) to its stock and volunteers."""
    from resilience.people.models import Volunteer
    from resilience.places.models import Building, Facility
    from resilience.relief.models import NeedRequest

    now = now or timezone.now()
    rows = NeedRequest.objects.filter(community=community, status=RequestStatus.OPEN).order_by(
        "-priority", "created", "id").values_list(
        "pk", "building_id", "kind", "urgency", "item_id", "quantity",
        "household__unit__number", "household__room")
    requests = [RequestRow(pk, b, kind, urgency, item, quantity or Decimal(1),
                           (str(unit or ""), str(room or "")))
                for pk, b, kind, urgency, item, quantity, unit, room in rows]
    buildings = {pk: (lat, lng) for pk, lat, lng in Building.objects.filter(
        community=community).values_list("pk", "latitude", "longitude")}
    load: dict[int, int] = defaultdict(int)
    for vid in NeedRequest.objects.filter(community=community,
                                          status__in=ACTIVE_REQUEST_STATUSES,
                                          volunteer__isnull=False).values_list("volunteer_id",
                                                                               flat=True):
        load[vid] += 1
    volunteers = []
    for pk, skills, availability, lat, lng in Volunteer.objects.filter(
            community=community, active=True).values_list(
            "pk", "skills", "availability", "home_building__latitude",
            "home_building__longitude").order_by("pk"):
        now_ok = available_now(availability, now)
        if now_ok is False:
            continue
        volunteers.append(VolunteerRow(pk, frozenset(skills or ()), lat, lng, load[pk],
                                       emergency_only=now_ok is None))
    warehouses = {pk: (lat, lng) for pk, lat, lng in Facility.objects.filter(
        community=community, kind="warehouse").values_list("pk", "latitude", "longitude")}
    return match(requests, volunteers, usable_stock(community), buildings, warehouses)
