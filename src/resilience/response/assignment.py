"""Balanced pairing of vulnerable residents with helpers (the roll-call assignment).

Minimise the total walking distance subject to each helper taking at most
``ceil(n / h) + slack`` residents. It is an assignment problem once every helper is replicated
into that many "slots": a resident goes to exactly one slot, a slot takes at most one resident.

- Small problems (residents × slots up to ``DENSE_LIMIT`` cells): the dense cost matrix and
  ``scipy.optimize.linear_sum_assignment`` — the exact optimum.
- Larger ones: residents at the same place (a building) are interchangeable, so it is solved as
  a transportation problem — places supply their residents, helpers take up to the capacity —
  with ``scipy.optimize.linprog`` (HiGHS dual simplex; the constraint matrix is totally
  unimodular, so the vertex it ends on is integral). Each place is offered only its ``k``
  nearest helpers (a k-d tree; k at least twice the helpers its residents need); if that is
  infeasible, k doubles, and at k = h it is the whole problem. Optimal over the pairs offered:
  the restriction only drops pairs where a resident would walk past k closer helpers.

Distance is straight-line metres on a local plane (equirectangular), a stand-in for walking
distance that keeps the optimum where a street graph would roughly put it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment, linprog
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8
DENSE_LIMIT = 2_000_000  # cells of the dense replicated matrix solved exactly
FIRST_K = 8

Point = tuple[object, float, float]  # (id, latitude, longitude)


def capacity(n: int, h: int, slack: int = 1) -> int:
    """How many residents one helper may take: ceil(n / h) + slack."""
    return math.ceil(n / h) + slack if h else 0


def _plane(points: Sequence[Point], lat0: float) -> np.ndarray:
    """(x, y) metres east and north of (lat0, 0) for each point."""
    if not points:
        return np.zeros((0, 2))
    arr = np.array([(p[1], p[2]) for p in points], dtype=float)
    lat, lng = np.radians(arr[:, 0]), np.radians(arr[:, 1])
    return np.column_stack((lng * math.cos(math.radians(lat0)) * EARTH_RADIUS_M,
                            lat * EARTH_RADIUS_M))


def assign(residents: Sequence[Point], helpers: Sequence[Point], slack: int = 1,
           dense_limit: int = DENSE_LIMIT) -> dict:
    """``{resident id: helper id}``: every resident paired, no helper over capacity, the total
    distance minimal. Empty when there are no helpers."""
    n, h = len(residents), len(helpers)
    if n == 0 or h == 0:
        return {}
    cap = capacity(n, h, slack)
    lat0 = float(np.mean([p[1] for p in (*residents, *helpers)]))
    r_xy, h_xy = _plane(residents, lat0), _plane(helpers, lat0)
    if n * h * cap <= dense_limit:
        slot_of = _dense(r_xy, h_xy, cap)
    else:
        slot_of = _transport(r_xy, h_xy, cap)
    return {residents[i][0]: helpers[s // cap][0] for i, s in enumerate(slot_of)}


def _dense(r_xy: np.ndarray, h_xy: np.ndarray, cap: int) -> np.ndarray:
    cost = np.sqrt(((r_xy[:, None, :] - h_xy[None, :, :]) ** 2).sum(axis=2))
    replicated = np.repeat(cost, cap, axis=1)  # column h*cap + j: slot j of helper h
    rows, cols = linear_sum_assignment(replicated)
    slot_of = np.empty(len(r_xy), dtype=int)
    slot_of[rows] = cols
    return slot_of


def _transport(r_xy: np.ndarray, h_xy: np.ndarray, cap: int) -> np.ndarray:
    """Slots (helper index × cap + j) per resident, from the transportation LP on places."""
    h = len(h_xy)
    places, place_of, counts = np.unique(r_xy, axis=0, return_inverse=True, return_counts=True)
    place_of = place_of.reshape(-1)
    g = len(places)
    tree = cKDTree(h_xy)
    # A place with many residents needs at least ceil(count / cap) helpers; offer twice that.
    k_of = np.minimum(h, np.maximum(FIRST_K, 2 * np.ceil(counts / cap).astype(int)))
    while True:
        k_max = int(k_of.max())
        dist, idx = tree.query(places, k=k_max)
        dist, idx = dist.reshape(g, k_max), idx.reshape(g, k_max)
        offered = np.arange(k_max)[None, :] < k_of[:, None]
        place, helper, cost = np.nonzero(offered)[0], idx[offered], dist[offered]
        m = len(cost)
        columns = np.arange(m)
        each_place = sparse.csr_matrix((np.ones(m), (place, columns)), shape=(g, m))
        each_helper = sparse.csr_matrix((np.ones(m), (helper, columns)), shape=(h, m))
        result = linprog(cost, A_ub=each_helper, b_ub=np.full(h, cap), A_eq=each_place,
                         b_eq=counts, bounds=(0, None), method="highs-ds")
        if result.status == 0:
            break
        if result.status != 2 or k_max >= h:  # 2: infeasible within the nearest k
            raise RuntimeError(f"roll-call assignment failed: {result.message}")
        k_of = np.minimum(h, k_of * 2)
    flow = np.rint(result.x).astype(int)
    # The constraint matrix is totally unimodular and dual simplex ends on a vertex: integral.
    if (np.bincount(place, flow, minlength=g).round() != counts).any():
        raise RuntimeError("roll-call assignment: the transport solution is not integral")
    members: list[list[int]] = [[] for _ in range(g)]
    for i, p in enumerate(place_of):
        members[p].append(i)
    slot_of = np.empty(len(r_xy), dtype=int)
    used = np.zeros(h, dtype=int)
    for e in np.nonzero(flow)[0]:
        p, j = place[e], helper[e]
        for _ in range(flow[e]):
            slot_of[members[p].pop()] = j * cap + used[j]
            used[j] += 1
    return slot_of


def total_distance(residents: Sequence[Point], helpers: Sequence[Point], pairs: dict) -> float:
    """Total straight-line metres of a pairing (for reports and the benchmark)."""
    if not pairs:
        return 0.0
    lat0 = float(np.mean([p[1] for p in (*residents, *helpers)]))
    r = dict(zip((p[0] for p in residents), _plane(residents, lat0)))
    hp = dict(zip((p[0] for p in helpers), _plane(helpers, lat0)))
    return float(sum(np.hypot(*(r[a] - hp[b])) for a, b in pairs.items()))


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Straight-line metres between two (lat, lng) points (equirectangular)."""
    lat0 = math.radians((a[0] + b[0]) / 2)
    dx = math.radians(b[1] - a[1]) * math.cos(lat0) * EARTH_RADIUS_M
    dy = math.radians(b[0] - a[0]) * EARTH_RADIUS_M
    return math.hypot(dx, dy)
