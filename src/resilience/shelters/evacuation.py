"""Evacuation planning: which open shelter each building's residents walk to, and by which path.

``plan()`` is pure (plain data in, plain data out): buildings with people, shelters with free
places, walking segments. People are assigned by a min-cost flow — source → buildings (supply:
residents) → shelters (capacity: free places) → sink, costs the shortest walking distance in
whole metres — so as many people as possible get a place and, among those plans, the total walk is
shortest; when places are short, residents needing help are placed first. People without a place
are reported by building and reason. ``recompute()`` runs it for
a community from the database and stores the result in ``EvacuationPlan``.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import networkx as nx
import numpy as np
from django.utils import timezone

from resilience.shelters.graph import Segment, build_graph, haversine

WALK_SPEED = 1.2         # m/s, an adult walking
WALK_SPEED_HELPED = 0.6  # m/s, someone who needs help (elderly, disabled, a small child)
SUMMARY_BUILDINGS = 5    # buildings named in the one-sentence summary (the page lists them all)
CANDIDATES = 8           # shelters tried per building before falling back to all of them


class Reason:
    NO_SHELTER = "no_open_shelter"     # no shelter is open with free places
    UNREACHABLE = "unreachable"        # no open shelter can be reached on the walking paths
    CAPACITY = "capacity"              # reachable shelters are full


@dataclass(frozen=True)
class BuildingIn:
    id: int
    name: str
    lat: float
    lng: float
    people: int
    needing_help: int = 0


@dataclass(frozen=True)
class ShelterIn:
    id: int
    name: str
    lat: float
    lng: float
    free: int


@dataclass
class Assignment:
    building: int
    shelter: int
    people: int
    needing_help: int
    distance: float                  # metres along the walking paths
    minutes: float                   # at WALK_SPEED
    minutes_helped: float            # at WALK_SPEED_HELPED
    route: list[list[float]] = field(default_factory=list)  # [[lng, lat], …] (GeoJSON order)


@dataclass
class Unplaced:
    building: int
    people: int
    needing_help: int
    reason: str


@dataclass
class Plan:
    assignments: list[Assignment]
    unplaced: list[Unplaced]

    @property
    def placed(self) -> int:
        return sum(a.people for a in self.assignments)

    @property
    def left_without_place(self) -> int:
        return sum(u.people for u in self.unplaced)

    @property
    def total_distance(self) -> int:
        """Person-metres walked (the flow's cost, in whole metres per person)."""
        return sum(a.people * round(a.distance) for a in self.assignments)

    def as_dict(self) -> dict:
        return {"assignments": [asdict(a) for a in self.assignments],
                "unplaced": [asdict(u) for u in self.unplaced],
                "placed": self.placed, "unplaced_people": self.left_without_place}


def minutes(distance: float, speed: float) -> float:
    return round(distance / speed / 60, 1)


def _attach(g: nx.Graph, points: dict[tuple, tuple[float, float]]) -> None:
    """Join each building/shelter to the nearest graph node by a straight connector."""
    nodes = [n for n in g.nodes if isinstance(n[0], float)]
    if not nodes:
        return
    lat = np.radians(np.array([n[0] for n in nodes]))
    lng = np.radians(np.array([n[1] for n in nodes]))
    for key, (plat, plng) in points.items():
        p_lat, p_lng = math.radians(plat), math.radians(plng)
        h = (np.sin((lat - p_lat) / 2) ** 2
             + np.cos(lat) * math.cos(p_lat) * np.sin((lng - p_lng) / 2) ** 2)
        i = int(np.argmin(h))
        g.add_edge(key, nodes[i], length=haversine((plat, plng), nodes[i]))


def _route(preds: dict, shelter: int, building, coords: dict) -> list[list[float]]:
    """[[lng, lat], …] from the building to the shelter, following the shortest-path tree."""
    node, out = building, []
    while True:
        lat, lng = coords[node] if node in coords else node
        if not out or out[-1] != [lng, lat]:
            out.append([lng, lat])
        if node == ("s", shelter):
            return out
        node = preds[(node, shelter)]


def _distances(g: nx.Graph, buildings, shelters, k: int | None):
    """{building: {shelter: metres}} and the predecessors {(node, shelter): previous node}.

    With ``k``, only each building's ``k`` nearest shelters, found in one pass that lets every
    node settle its ``k`` nearest shelters (a shelter among a node's k nearest is among the k
    nearest of every node on the way there); else every reachable shelter."""
    distance: dict[int, dict[int, float]] = {b.id: {} for b in buildings}
    preds: dict = {}
    limit = k or len(shelters)
    settled: dict = {}
    heap = [(0.0, n, ("s", s.id), s.id, None) for n, s in enumerate(shelters) if ("s", s.id) in g]
    heapq.heapify(heap)
    counter = len(heap)
    while heap:
        d, _, node, shelter, previous = heapq.heappop(heap)
        mine = settled.setdefault(node, {})
        if shelter in mine or len(mine) >= limit:
            continue
        mine[shelter] = d
        if previous is not None:
            preds[(node, shelter)] = previous
        for neighbour, attrs in g[node].items():
            theirs = settled.get(neighbour)
            if theirs is not None and (shelter in theirs or len(theirs) >= limit):
                continue
            counter += 1
            heapq.heappush(heap, (d + attrs["length"], counter, neighbour, shelter, node))
    for b in buildings:
        distance[b.id] = settled.get(("b", b.id), {})
    return distance, preds


def plan(buildings: Sequence[BuildingIn], shelters: Sequence[ShelterIn],
         segments: Sequence[Segment], candidates: int = CANDIDATES) -> Plan:
    """The evacuation plan: see the module docstring. Exact (optimal) whenever every building may
    use every shelter, i.e. at most ``candidates`` open shelters or when the nearest ones are not
    enough (then it retries with all of them)."""
    buildings = [b for b in buildings if b.people > 0]
    open_shelters = [s for s in shelters if s.free > 0]
    if not open_shelters:
        return Plan([], [Unplaced(b.id, b.people, b.needing_help, Reason.NO_SHELTER)
                         for b in buildings])
    g = build_graph(segments)
    coords = {("b", b.id): (b.lat, b.lng) for b in buildings}
    coords.update({("s", s.id): (s.lat, s.lng) for s in open_shelters})
    _attach(g, coords)

    pruned = bool(candidates) and len(open_shelters) > candidates
    distance, preds = _distances(g, buildings, open_shelters, candidates if pruned else None)
    flows = _min_cost_flow(buildings, open_shelters, distance)
    if pruned and _unplaced_count(buildings, flows):
        distance, preds = _distances(g, buildings, open_shelters, None)
        flows = _min_cost_flow(buildings, open_shelters, distance)

    assignments, unplaced = [], []
    for b in buildings:
        flow = flows.get(b.id, {})
        mine = sorted((distance[b.id][s], s, n) for s, n in _placed(flow).items() if n > 0)
        helped_placed = flow.get("helped", 0)
        for d, s, n in mine:
            # Within a building, swapping who goes where changes no distance: those needing help
            # take the nearest of the building's shelters.
            helped = min(helped_placed, n)
            helped_placed -= helped
            assignments.append(Assignment(
                b.id, s, n, helped, round(d, 1), minutes(d, WALK_SPEED),
                minutes(d, WALK_SPEED_HELPED), _route(preds, s, ("b", b.id), coords)))
        rest = b.people - sum(n for _, _, n in mine)
        if rest > 0:
            reason = Reason.CAPACITY if distance[b.id] else Reason.UNREACHABLE
            unplaced.append(Unplaced(b.id, rest, min(b.needing_help, b.people) - flow.get("helped", 0),
                                     reason))
    return Plan(assignments, unplaced)


def _placed(flow: dict) -> dict[int, int]:
    return {s: n for s, n in flow.items() if s != "helped"}


def _unplaced_count(buildings, flows) -> int:
    return sum(b.people - sum(_placed(flows.get(b.id, {})).values()) for b in buildings)


def _min_cost_flow(buildings, shelters, distance) -> dict[int, dict]:
    """{building: {shelter: people, "helped": people needing help placed}}: a maximum flow of
    least total walking distance that, when places are short, places those needing help first.

    Each building is two supply nodes, ("b", id) for those who walk unaided and ("h", id) for
    those needing help, with the same walking distances to the shelters."""
    g = nx.DiGraph()
    total = sum(b.people for b in buildings)
    if total == 0:
        return {}
    longest = max((d for ds in distance.values() for d in ds.values()), default=0)
    # An unplaced person costs more than any rerouting a placement could need (a path through at
    # most every node), so the flow places as many people as capacity and paths allow before it
    # minimises the walk; an unplaced person needing help costs twice that, so they go first.
    unplaced_cost = (int(longest) + 2) * (2 * len(buildings) + len(shelters) + 3)
    g.add_node("sink", demand=total)
    for s in shelters:
        g.add_edge(("s", s.id), "sink", capacity=s.free, weight=0)
    for b in buildings:
        helped = min(b.needing_help, b.people)
        for kind, supply, penalty in (("b", b.people - helped, unplaced_cost),
                                      ("h", helped, 2 * unplaced_cost)):
            if supply <= 0:
                continue
            g.add_node((kind, b.id), demand=-supply)
            g.add_edge((kind, b.id), "sink", capacity=supply, weight=penalty)
            for s, d in distance[b.id].items():
                g.add_edge((kind, b.id), ("s", s), capacity=supply, weight=int(round(d)))
    _, flow = nx.network_simplex(g)
    out: dict[int, dict] = {}
    for b in buildings:
        mine: dict = {"helped": 0}
        for kind in ("b", "h"):
            for key, n in flow.get((kind, b.id), {}).items():
                if key != "sink" and n:
                    mine[key[1]] = mine.get(key[1], 0) + n
                    if kind == "h":
                        mine["helped"] += n
        out[b.id] = mine
    return out


# -- database ---------------------------------------------------------------------------------

def inputs_for(community) -> tuple[list[BuildingIn], list[ShelterIn]]:
    """The buildings (residents, those needing help) and open shelters (free places) of a
    community, as ``plan()`` takes them."""
    from django.db.models import Count, Q

    from resilience.people.models import Resident
    from resilience.places.models import Building
    from resilience.shelters.models import Shelter, ShelterStatus

    counts = {row["household__building"]: row for row in Resident.objects.filter(
        community=community).values("household__building").annotate(
        people=Count("pk"), helped=Count("pk", filter=~Q(tag_index="")))}
    buildings = [BuildingIn(b.pk, b.name, b.latitude, b.longitude,
                            counts.get(b.pk, {}).get("people", 0),
                            counts.get(b.pk, {}).get("helped", 0))
                 for b in Building.objects.filter(community=community, latitude__isnull=False,
                                                  longitude__isnull=False)]
    shelters = [ShelterIn(s.pk, str(s.facility), s.facility.latitude, s.facility.longitude,
                          s.free_places)
                for s in Shelter.objects.filter(
                    facility__community=community, status=ShelterStatus.OPEN,
                    facility__latitude__isnull=False).select_related("facility").annotate(
                    current=Count("stays", filter=Q(stays__checked_out_at__isnull=True)))]
    return buildings, shelters


def recompute(community):
    """Plan the community's evacuation from the current shelters and paths, and store it."""
    from resilience.shelters.graph import segments_of
    from resilience.shelters.models import EvacuationPlan

    buildings, shelters = inputs_for(community)
    result = plan(buildings, shelters, segments_of(community)).as_dict()
    result["buildings"] = {str(b.id): b.name for b in buildings}
    result["shelters"] = {str(s.id): s.name for s in shelters}
    result["people"] = sum(b.people for b in buildings)
    stored, _ = EvacuationPlan.objects.update_or_create(
        community=community, defaults={"computed_at": timezone.now(), "result": result})
    return stored


def current(community):
    """The stored plan, computed first if there is none."""
    from resilience.shelters.models import EvacuationPlan

    return EvacuationPlan.objects.filter(community=community).first() or recompute(community)


def reason_label(reason: str) -> str:
    from django.utils.translation import gettext as _

    return {Reason.NO_SHELTER: _("no shelter is open with free places"),
            Reason.UNREACHABLE: _("no open shelter can be reached on the walking paths"),
            Reason.CAPACITY: _("the shelters within reach are full")}.get(reason, reason)


def summary(result: dict) -> str:
    """One sentence for people: everyone has a place, or who is left without one and why."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    unplaced = result.get("unplaced", [])
    if not unplaced:
        return _("Everyone (%(people)s people) has a place in a shelter.") % {
            "people": result.get("placed", 0)}
    names = result.get("buildings", {})
    shown = sorted(unplaced, key=lambda u: -u["people"])[:SUMMARY_BUILDINGS]
    who = "; ".join(
        _("%(building)s: %(people)s (%(reason)s)") % {
            "building": names.get(str(u["building"]), u["building"]), "people": u["people"],
            "reason": reason_label(u["reason"])} for u in shown)
    if len(unplaced) > len(shown):
        who += "; " + ngettext("and %(count)s more building", "and %(count)s more buildings",
                               len(unplaced) - len(shown)) % {"count": len(unplaced) - len(shown)}
    people = sum(u["people"] for u in unplaced)
    return ngettext("%(people)s person is left without a place — %(who)s.",
                    "%(people)s people are left without a place — %(who)s.", people) % {
        "people": people, "who": who}


def describe_route(route: list[list[float]]) -> list[tuple[str, int]]:
    """The route as legs of (compass direction, metres), joining straight-on segments."""
    from django.utils.translation import gettext as _

    names = [_("north"), _("north-east"), _("east"), _("south-east"), _("south"),
             _("south-west"), _("west"), _("north-west")]
    legs: list[list] = []
    for (lng1, lat1), (lng2, lat2) in zip(route, route[1:]):
        dx = (lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
        dy = lat2 - lat1
        if dx == 0 and dy == 0:
            continue
        heading = names[round(math.degrees(math.atan2(dx, dy)) % 360 / 45) % 8]
        metres = haversine((lat1, lng1), (lat2, lng2))
        if legs and legs[-1][0] == heading:
            legs[-1][1] += metres
        else:
            legs.append([heading, metres])
    return [(h, round(m)) for h, m in legs if round(m) > 0]
