"""The evacuation plan on small graphs whose best answer is known."""
from __future__ import annotations

import itertools

import pytest

from resilience.shelters.evacuation import BuildingIn, Reason, ShelterIn, describe_route, plan
from resilience.shelters.graph import Segment, haversine, nearest_neighbour_segments, node_key


def n(i: int, j: int = 0):
    """A node on a small lattice (about 111 m apart in latitude)."""
    return node_key(31.0 + i * 0.001, 121.0 + j * 0.001)


def b(id_, node, people, helped=0):
    return BuildingIn(id_, f"B{id_}", node[0], node[1], people, helped)


def s(id_, node, free):
    return ShelterIn(id_, f"S{id_}", node[0], node[1], free)


def seg(a, b_, length, blocked=False):
    return Segment(a, b_, length, blocked)


def flows(result):
    return {(a.building, a.shelter): a.people for a in result.assignments}


def test_buildings_share_shelters_so_the_total_walk_is_shortest():
    # B1 —50— S1 —50— B2 —200— S2: greedy would send both to S1; best is B1→S1, B2→S2.
    line = [n(0), n(1), n(2), n(3)]
    segments = [seg(line[0], line[1], 50), seg(line[1], line[2], 50), seg(line[2], line[3], 200)]
    result = plan([b(1, line[0], 10), b(2, line[2], 10)], [s(1, line[1], 10), s(2, line[3], 10)],
                  segments)
    assert flows(result) == {(1, 1): 10, (2, 2): 10}
    assert result.unplaced == []
    assert result.total_distance == 10 * 50 + 10 * 200


def test_a_building_is_split_between_shelters_when_the_nearest_is_too_small():
    a, s1, s2 = n(0), n(1), n(2)
    result = plan([b(1, a, 30, helped=4)], [s(1, s1, 20), s(2, s2, 50)],
                  [seg(a, s1, 100), seg(s1, s2, 100)])
    assert flows(result) == {(1, 1): 20, (1, 2): 10}
    nearest = next(x for x in result.assignments if x.shelter == 1)
    assert nearest.needing_help == 4  # those needing help go to the nearer shelter
    assert nearest.distance == pytest.approx(100)
    assert nearest.minutes == pytest.approx(100 / 1.2 / 60, abs=0.05)
    assert nearest.minutes_helped == pytest.approx(100 / 0.6 / 60, abs=0.05)


def _brute_force(buildings, shelters, dist):
    """Most people placed, then least person-metres, by trying every integer assignment."""
    best = None
    options = []
    for bd in buildings:
        choices = []
        for x in range(bd.people + 1):
            for y in range(bd.people - x + 1):
                choices.append((x, y))
        options.append(choices)
    for combo in itertools.product(*options):
        load = [sum(c[k] for c in combo) for k in range(2)]
        if any(load[k] > shelters[k].free for k in range(2)):
            continue
        if any(c[k] and dist[bd.id].get(shelters[k].id) is None
               for bd, c in zip(buildings, combo) for k in range(2)):
            continue
        placed = sum(load)
        cost = sum(c[k] * dist[bd.id][shelters[k].id] for bd, c in zip(buildings, combo)
                   for k in range(2) if c[k])
        key = (-placed, cost)
        if best is None or key < best:
            best = key
    return -best[0], best[1]


@pytest.mark.parametrize("caps,people", [
    ((3, 4), (2, 3, 2)), ((2, 2), (3, 3, 1)), ((5, 1), (1, 4, 2)), ((0, 6), (2, 2, 2)),
    ((4, 4), (4, 0, 3)), ((1, 2), (4, 4, 4)),
])
def test_the_plan_matches_an_exhaustive_search(caps, people):
    # A small graph with a detour: buildings 0,1,2 and shelters at 3 and 4.
    nodes = [n(0, 0), n(0, 2), n(2, 1), n(1, 0), n(2, 3)]
    lengths = {(0, 3): 70, (1, 3): 160, (2, 3): 90, (1, 4): 130, (2, 4): 60, (0, 1): 50}
    segments = [seg(nodes[i], nodes[j], d) for (i, j), d in lengths.items()]
    buildings = [b(i + 1, nodes[i], p) for i, p in enumerate(people)]
    shelters = [s(10, nodes[3], caps[0]), s(20, nodes[4], caps[1])]
    # Shortest distances, by hand, on that graph.
    dist = {1: {10: 70, 20: 180}, 2: {10: 120, 20: 130}, 3: {10: 90, 20: 60}}
    result = plan(buildings, shelters, segments)
    placed, cost = _brute_force(buildings, shelters, dist)
    assert result.placed == placed
    assert result.total_distance == cost
    assert result.placed + result.left_without_place == sum(people)


def test_people_beyond_the_capacity_are_reported_by_building():
    a, b2, s1 = n(0), n(2), n(1)
    result = plan([b(1, a, 10), b(2, b2, 10)], [s(1, s1, 12)], [seg(a, s1, 50), seg(s1, b2, 80)])
    assert result.placed == 12
    assert [(u.building, u.people, u.reason) for u in result.unplaced] == [(2, 8, Reason.CAPACITY)]


def test_with_no_open_shelter_everyone_is_left_without_a_place():
    a = n(0)
    result = plan([b(1, a, 5, helped=2)], [s(1, n(1), 0)], [seg(a, n(1), 10)])
    assert result.assignments == []
    assert [(u.people, u.needing_help, u.reason) for u in result.unplaced] == [
        (5, 2, Reason.NO_SHELTER)]


def test_a_shelter_cut_off_by_a_blocked_path_is_unreachable():
    a, s1 = n(0), n(5)
    open_path = plan([b(1, a, 5)], [s(1, s1, 10)], [seg(a, n(3), 50), seg(n(3), s1, 50)])
    assert open_path.placed == 5
    blocked = plan([b(1, a, 5)], [s(1, s1, 10)],
                   [seg(a, n(3), 50), seg(n(3), s1, 50, blocked=True)])
    assert blocked.placed == 0 and blocked.unplaced[0].reason == Reason.UNREACHABLE


def test_a_blocked_path_sends_people_the_long_way_round():
    a, m, s1, d = n(0), n(1), n(2), n(1, 1)
    segments = [seg(a, m, 50), seg(m, s1, 50), seg(a, d, 200), seg(d, s1, 200)]
    assert plan([b(1, a, 1)], [s(1, s1, 5)], segments).assignments[0].distance == 100
    segments[1] = seg(m, s1, 50, blocked=True)
    routed = plan([b(1, a, 1)], [s(1, s1, 5)], segments).assignments[0]
    assert routed.distance == 400
    assert routed.route[0] == [a[1], a[0]] and routed.route[-1] == [s1[1], s1[0]]
    assert [lng_lat for lng_lat in routed.route] == [[p[1], p[0]] for p in (a, d, s1)]


def test_far_shelters_are_used_when_the_nearest_candidates_are_full():
    home = n(0)
    shelters = [s(i, n(i), 0 if i < 4 else 1) for i in range(1, 5)]
    shelters[0] = s(1, n(1), 1)
    segments = [seg(n(i), n(i + 1), 100) for i in range(4)]
    result = plan([b(99, home, 2)], shelters, segments, candidates=1)
    assert result.placed == 2  # the nearest alone holds one; the fallback finds the other


def test_the_route_is_described_as_compass_legs():
    route = [[121.0, 31.0], [121.0, 31.001], [121.0, 31.002], [121.001, 31.002]]
    legs = describe_route(route)
    assert [h for h, _ in legs] == ["north", "east"]
    assert legs[0][1] == round(haversine((31.0, 121.0), (31.002, 121.0)))


def test_the_generated_walking_graph_is_connected_even_for_separate_clusters():
    points = [(31.0, 121.0), (31.0001, 121.0), (31.0002, 121.0),
              (31.01, 121.01), (31.0101, 121.01)]
    segments = nearest_neighbour_segments(points, k=1)
    result = plan([b(1, node_key(*points[0]), 3)], [s(1, node_key(*points[4]), 5)], segments)
    assert result.placed == 3


def test_the_nearest_shelters_pass_gives_true_shortest_distances_and_routes():
    import networkx as nx

    from resilience.bench.evacuation import layout
    from resilience.shelters.graph import build_graph

    buildings, shelters, segments = layout(scale=4, seed=3)
    pruned = plan(buildings, shelters, segments, candidates=3)
    exact = plan(buildings, shelters, segments, candidates=0)
    assert pruned.placed == exact.placed == sum(x.people for x in buildings)
    g = build_graph(segments)
    where = {x.id: (x.lat, x.lng) for x in shelters}
    for a in pruned.assignments:
        start = (a.route[0][1], a.route[0][0])
        assert a.distance == pytest.approx(
            nx.dijkstra_path_length(g, start, where[a.shelter], weight="length"), abs=0.1)
        assert a.route[-1] == [where[a.shelter][1], where[a.shelter][0]]
    assert pruned.total_distance >= exact.total_distance


def test_the_demo_sized_plan_is_fast():
    import time

    from resilience.bench.evacuation import layout

    buildings, shelters, segments = layout(scale=1)
    start = time.perf_counter()
    result = plan(buildings, shelters, segments)
    assert time.perf_counter() - start < 2.0 and result.placed == 4000


def test_when_places_are_short_residents_needing_help_are_placed_first():
    near, far, s1 = n(0), n(4), n(1)
    segments = [seg(near, s1, 50), seg(s1, far, 300)]
    # The near building alone would fill the shelter; the far one has 3 people needing help.
    result = plan([b(1, near, 10), b(2, far, 5, helped=3)], [s(1, s1, 10)], segments)
    assert flows(result) == {(1, 1): 7, (2, 1): 3}
    assert sum(a.needing_help for a in result.assignments) == 3
    assert [(u.building, u.people, u.needing_help) for u in result.unplaced] == [(1, 3, 0), (2, 2, 0)]
