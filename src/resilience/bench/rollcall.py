"""Benchmark of the balanced roll-call assignment (``response.assignment.assign``), database-free.

The demo size is 400 vulnerable residents and 80 helpers (grid workers and volunteers) spread
over a community of about 1 km²; it is scaled 10× and 100× with the area growing in proportion
(the same density, as a street of several communities would be). Each helper may take
ceil(n/h) + 1 residents. Reported: seconds (best of ``repeat``), the solver used (dense exact
``linear_sum_assignment`` or the nearest-k transportation LP), the
mean walk and the largest load, and the slope (seconds per 1,000 residents) across the sizes.

``run(sizes=(1, 10, 100))`` prints a table and returns the rows.
"""
from __future__ import annotations

import math
import random
import time
from collections import Counter

from resilience.response.assignment import DENSE_LIMIT, assign, capacity, total_distance

RESIDENTS, HELPERS = 400, 80
SIDE_M = 1000.0  # the demo community is about 1 km across
LAT0, LNG0 = 31.2, 121.45
M_PER_DEG_LAT = 110_850.0
M_PER_DEG_LNG = 111_320.0 * math.cos(math.radians(LAT0))


def layout(scale: int = 1, seed: int = 1) -> tuple[list, list]:
    """Residents clustered in buildings, helpers scattered, over ``scale`` × the demo area."""
    rng = random.Random(seed)
    side = SIDE_M * math.sqrt(scale)

    def point(x: float, y: float) -> tuple[float, float]:
        return LAT0 + y / M_PER_DEG_LAT, LNG0 + x / M_PER_DEG_LNG

    buildings = [(rng.uniform(0, side), rng.uniform(0, side)) for _ in range(30 * scale)]
    residents = []
    for i in range(RESIDENTS * scale):
        bx, by = buildings[rng.randrange(len(buildings))]
        residents.append((i, *point(bx, by)))
    helpers = [(f"h{j}", *point(rng.uniform(0, side), rng.uniform(0, side)))
               for j in range(HELPERS * scale)]
    return residents, helpers


def slope(rows: list[dict]) -> float | None:
    """Least-squares seconds per 1,000 residents across the sizes."""
    if len(rows) < 2:
        return None
    xs = [r["residents"] for r in rows]
    ys = [r["seconds"] for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den, 4) if den else None


def run(sizes=(1, 10, 100), repeat: int = 3) -> list[dict]:
    """Time ``assign()`` at each scale and print a table (and the slope)."""
    rows = []
    print(f"{'scale':>6} {'residents':>10} {'helpers':>8} {'solver':>9} {'max load':>9} "
          f"{'cap':>4} {'mean walk m':>12} {'seconds':>8}", flush=True)
    for scale in sizes:
        residents, helpers = layout(scale)
        cap = capacity(len(residents), len(helpers))
        solver = "dense" if len(residents) * len(helpers) * cap <= DENSE_LIMIT else "transport"
        best, pairs = math.inf, {}
        for _ in range(repeat if scale <= 10 else 1):
            start = time.perf_counter()
            pairs = assign(residents, helpers)
            best = min(best, time.perf_counter() - start)
        load = max(Counter(pairs.values()).values())
        walk = total_distance(residents, helpers, pairs) / len(pairs)
        row = {"scale": scale, "residents": len(residents), "helpers": len(helpers),
               "solver": solver, "max_load": load, "capacity": cap,
               "mean_walk_m": round(walk, 1), "seconds": round(best, 3)}
        rows.append(row)
        print(f"{scale:>5}× {row['residents']:>10} {row['helpers']:>8} {solver:>9} {load:>9} "
              f"{cap:>4} {row['mean_walk_m']:>12.1f} {row['seconds']:>8.3f}", flush=True)
    per_thousand = slope(rows)
    if per_thousand is not None:
        print(f"slope: {per_thousand} s per 1,000 residents", flush=True)
    return rows


if __name__ == "__main__":
    run()
