"""Benchmark of the evacuation plan (``shelters.evacuation.plan``), database-free.

The layout has the demo community's shape — 30 buildings of ~133 residents (4,000 people) on a
street grid, 3 shelters holding 110 % of them — and is scaled 10× and 100× (300 and 3,000
buildings, 30 and 300 shelters). The time covers attaching buildings and shelters to the graph,
the shortest paths, the min-cost flow and the routes. Target: < 2 s at the demo size.

``run(sizes=(1, 10, 100))`` prints a table and returns the rows.
"""
from __future__ import annotations

import math
import random
import time

from resilience.shelters.evacuation import BuildingIn, ShelterIn, plan
from resilience.shelters.graph import Segment, haversine, node_key

BUILDINGS, SHELTERS, RESIDENTS = 30, 3, 4000
SPACING_M = 60.0  # between street corners
LAT0, LNG0 = 31.2, 121.45
M_PER_DEG_LAT = 110_850.0
M_PER_DEG_LNG = 111_320.0 * math.cos(math.radians(LAT0))
TARGET_SECONDS = 2.0


def layout(scale: int = 1, seed: int = 1) -> tuple[list[BuildingIn], list[ShelterIn], list[Segment]]:
    """Buildings and shelters on the corners of a street grid, ``scale`` times the demo community."""
    rng = random.Random(seed)
    places = BUILDINGS * scale + SHELTERS * scale
    cols = max(2, math.ceil(math.sqrt(places * 1.7)))
    rows = max(2, math.ceil(places / cols))

    def corner(i: int, j: int):
        return node_key(LAT0 + i * SPACING_M / M_PER_DEG_LAT, LNG0 + j * SPACING_M / M_PER_DEG_LNG)

    segments = []
    for i in range(rows):
        for j in range(cols):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < rows and j + dj < cols:
                    a, b = corner(i, j), corner(i + di, j + dj)
                    segments.append(Segment(a, b, haversine(a, b)))
    corners = [(i, j) for i in range(rows) for j in range(cols)]
    rng.shuffle(corners)
    people = RESIDENTS * scale
    buildings = []
    for n, (i, j) in enumerate(corners[:BUILDINGS * scale]):
        count = people // (BUILDINGS * scale) + (1 if n < people % (BUILDINGS * scale) else 0)
        lat, lng = corner(i, j)
        buildings.append(BuildingIn(n + 1, f"B{n + 1}", lat, lng, count, count // 8))
    capacity = math.ceil(people * 1.1 / (SHELTERS * scale))
    shelters = []
    for n, (i, j) in enumerate(corners[BUILDINGS * scale:places]):
        lat, lng = corner(i, j)
        shelters.append(ShelterIn(n + 1, f"S{n + 1}", lat, lng, capacity))
    return buildings, shelters, segments


def run(sizes=(1, 10, 100), repeat: int = 3) -> list[dict]:
    """Time ``plan()`` at each scale (best of ``repeat``) and print a table."""
    rows = []
    print(f"{'scale':>6} {'buildings':>10} {'shelters':>9} {'residents':>10} {'edges':>7} "
          f"{'placed':>8} {'seconds':>8}", flush=True)
    for scale in sizes:
        buildings, shelters, segments = layout(scale)
        best, result = math.inf, None
        for _ in range(repeat if scale <= 10 else 1):
            start = time.perf_counter()
            result = plan(buildings, shelters, segments)
            best = min(best, time.perf_counter() - start)
        row = {"scale": scale, "buildings": len(buildings), "shelters": len(shelters),
               "residents": sum(b.people for b in buildings), "edges": len(segments),
               "placed": result.placed, "seconds": round(best, 3)}
        rows.append(row)
        flag = "" if scale != 1 else ("  ok (< 2 s)" if best < TARGET_SECONDS else "  SLOW (target < 2 s)")
        print(f"{scale:>5}× {row['buildings']:>10} {row['shelters']:>9} {row['residents']:>10} "
              f"{row['edges']:>7} {row['placed']:>8} {row['seconds']:>8.3f}{flag}", flush=True)
    return rows


if __name__ == "__main__":
    run()
