"""``resilience bench relief``: prioritise and match open needs requests against stock and
volunteers (issue #7: 10,000 requests × 500 volunteers < 1 s; 10× and 100× reported).

Two parts, each at three sizes — 1k requests × 50 volunteers, 10k × 500, 100k × 5,000 (30 items in
3 warehouses, stock for about two thirds of the item requests, one building per 10 requests) —
and the slope (seconds per 1,000 requests):

- **algorithm** (database-free): ``priority.score`` for every request, then
  ``matching.match`` — the work the issue times;
- **database** (the configured vendor: SQLite, or PostgreSQL when ``DATABASE_URL`` is set, in a
  scratch test database created and dropped here): the periodic ``recompute_priorities``
  (read, score, write) — once cold, every row rewritten, then as the job's next run five
  minutes later, when only requests whose priority moved are written — and ``matching.plan``
  (the queries that load requests, stock, volunteers and buildings, plus the match).
"""
from __future__ import annotations

import json
import math
import os
import platform
import random
import time
from decimal import Decimal
from pathlib import Path

SIZES = ((1_000, 50), (10_000, 500), (100_000, 5_000))
ITEMS, WAREHOUSES = 30, 3
LAT0, LNG0 = 31.2, 121.45
M_PER_DEG_LAT = 110_850.0
M_PER_DEG_LNG = 111_320.0 * math.cos(math.radians(LAT0))
KINDS = (("food", 40), ("medicine", 25), ("care", 10), ("medical_visit", 8),
         ("psychological", 7), ("pet_care", 5), ("other", 5))
SKILLS = ("logistics", "driving", "nursing", "medical", "psychology", "first_aid")


def _point(rng, side: float) -> tuple[float, float]:
    return (LAT0 + rng.uniform(0, side) / M_PER_DEG_LAT,
            LNG0 + rng.uniform(0, side) / M_PER_DEG_LNG)


def layout(n: int, v: int, seed: int = 7):
    """Requests, volunteers, stock and buildings over an area growing with ``n`` (same density)."""
    from resilience.relief.matching import RequestRow, VolunteerRow
    from resilience.relief.priority import Inputs

    rng = random.Random(seed)
    side = 1000.0 * math.sqrt(n / 1000)
    buildings = {b: _point(rng, side) for b in range(1, n // 10 + 1)}
    kinds = [k for k, w in KINDS for _ in range(w)]
    tags = ("dialysis", "elderly_alone", "infant", "pregnant", "disabled", "chronic_illness")
    rows, inputs = [], []
    for i in range(n):
        kind = rng.choice(kinds)
        item = rng.randrange(1, ITEMS + 1) if kind in ("food", "medicine") else None
        rows.append((i, rng.randrange(1, len(buildings) + 1), kind, rng.randint(1, 4), item,
                     Decimal(rng.randint(1, 3))))
        inputs.append(Inputs(kind=kind, urgency=rows[-1][3],
                             visit_reason="dialysis" if kind == "medical_visit" else "",
                             tags=frozenset(rng.sample(tags, rng.randint(0, 2))),
                             waited_hours=rng.uniform(0, 72), overdue_hours=rng.uniform(0, 5),
                             days_left=rng.uniform(0, 10) if kind == "medicine" else None,
                             similar=rng.randint(0, 8)))
    volunteers = []
    for j in range(v):
        lat, lng = _point(rng, side)
        volunteers.append(VolunteerRow(j, frozenset(rng.sample(SKILLS, rng.randint(1, 3))),
                                       lat, lng, load=rng.randint(0, 2)))
    demand = sum(q for *_, item, q in rows if item) / ITEMS
    stock = {item: {w: Decimal(int(demand * 2 / 3 / WAREHOUSES) + 1) for w in range(WAREHOUSES)}
             for item in range(1, ITEMS + 1)}
    return rows, inputs, volunteers, stock, buildings, RequestRow


def algorithm(n: int, v: int, repeat: int) -> dict:
    from resilience.relief import matching, priority

    rows, inputs, volunteers, stock, buildings, RequestRow = layout(n, v)
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        scores = [priority.score(x) for x in inputs]
        order = sorted(range(n), key=lambda i: -scores[i])
        requests = [RequestRow(rows[i][0], rows[i][1], rows[i][2], rows[i][3], rows[i][4],
                               rows[i][5], ()) for i in order]
        result = matching.match(requests, volunteers, stock, buildings)
        best = min(best, time.perf_counter() - start)
    return {"requests": n, "volunteers": v, "seconds": round(best, 3),
            "matched": result.matched, "batches": len(result.batches),
            "short_stock": len(result.short_stock), "short_helpers": len(result.short_helpers)}


def seed(n: int, v: int):
    """A community with ``n`` open requests, ``v`` volunteers and stock, in bulk."""
    from django.utils import timezone

    from resilience.people.models import Household, Volunteer
    from resilience.places.models import Building, Community, Facility, Grid, Region
    from resilience.relief.models import Item, NeedRequest, StockLot

    rows, inputs, volunteers, stock, buildings, _ = layout(n, v)
    region = Region.objects.create(code=f"bench{n}", name="Bench", level="street")
    community = Community.objects.create(code=f"bench-{n}", name=f"Bench {n}", region=region)
    grid = Grid.objects.create(community=community, code="G1", name="G1")
    made = Building.objects.bulk_create([
        Building(community=community, grid=grid, code=f"B{b}", name=f"B{b}", latitude=lat,
                 longitude=lng) for b, (lat, lng) in buildings.items()], batch_size=2000)
    b_ids = {b: m.pk for b, m in zip(buildings, made)}
    homes = Household.objects.bulk_create([
        Household(community=community, building_id=b_ids[b], room="101", code=f"h{b}")
        for b in buildings], batch_size=2000)
    home_of = {b: h.pk for b, h in zip(buildings, homes)}
    stores = Facility.objects.bulk_create([
        Facility(community=community, kind="warehouse", code=f"W{w}", name=f"W{w}",
                 latitude=LAT0, longitude=LNG0) for w in range(WAREHOUSES)])
    items = Item.objects.bulk_create([Item(community=community, name=f"item {i}", unit="box",
                                           category="food") for i in range(1, ITEMS + 1)])
    StockLot.objects.bulk_create([
        StockLot(community=community, item=items[i - 1], warehouse=stores[w], quantity=q)
        for i, per in stock.items() for w, q in per.items()])
    vols = []
    for row in volunteers:
        vol = Volunteer(community=community, name=f"v{row.id}", phone="13900000000",
                        skills=sorted(row.skills), availability="anytime",
                        home_building_id=b_ids[1 + row.id % len(buildings)])
        vol.prepare()
        vols.append(vol)
    Volunteer.objects.bulk_create(vols, batch_size=2000)
    now = timezone.now()
    NeedRequest.objects.bulk_create([
        NeedRequest(community=community, household_id=home_of[b], building_id=b_ids[b],
                    grid=grid, kind=kind, urgency=urgency,
                    visit_reason="dialysis" if kind == "medical_visit" else "",
                    item=items[item - 1] if item else None, quantity=q if item else None,
                    due_at=now, priority_reasons={"tags": sorted(x.tags), "building": ""},
                    created=now)
        for (i, b, kind, urgency, item, q), x in zip(rows, inputs)], batch_size=2000)
    return community


def database(sizes, repeat: int) -> list[dict]:
    """Time recompute and plan on a scratch database of the configured vendor."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from resilience.relief import matching
    from resilience.relief.requests import recompute_priorities

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    rows = []
    try:
        for n, v in sizes:
            start = time.perf_counter()
            community = seed(n, v)
            seeded = time.perf_counter() - start
            now = timezone.now()
            start = time.perf_counter()
            changed = recompute_priorities(community, now=now)
            recompute = time.perf_counter() - start
            start = time.perf_counter()  # the job's next run, 5 minutes later: few change
            again = recompute_priorities(community, now=now + dt.timedelta(minutes=5))
            steady = time.perf_counter() - start
            best = math.inf
            for _ in range(repeat if n <= 10_000 else 1):
                start = time.perf_counter()
                plan = matching.plan(community)
                best = min(best, time.perf_counter() - start)
            rows.append({"vendor": connection.vendor, "requests": n, "volunteers": v,
                         "seed_seconds": round(seeded, 2), "recompute_seconds": round(recompute, 3),
                         "recomputed": changed, "steady_seconds": round(steady, 3),
                         "steady_recomputed": again, "plan_seconds": round(best, 3),
                         "matched": plan.matched})
            print(f"{connection.vendor:>10} {n:>8} {v:>6} {rows[-1]['recompute_seconds']:>10.3f} "
                  f"{steady:>8.3f} {again:>8} {rows[-1]['plan_seconds']:>8.3f} "
                  f"{plan.matched:>8}", flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return rows


def slope(rows: list[dict], key: str) -> float | None:
    """Least-squares seconds per 1,000 requests."""
    if len(rows) < 2:
        return None
    xs, ys = [r["requests"] for r in rows], [r[key] for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den, 4) if den else None


def run(args) -> int:
    quick = getattr(args, "quick", False)
    sizes = SIZES[:2] if quick else SIZES
    print("Prioritise and match, database-free (target: 10,000 × 500 < 1 s)")
    print(f"{'requests':>9} {'volunteers':>10} {'seconds':>8} {'matched':>8} {'batches':>8} "
          f"{'no stock':>9} {'no helper':>9}", flush=True)
    algo = []
    for n, v in sizes:
        row = algorithm(n, v, repeat=3 if n <= 10_000 else 1)
        algo.append(row)
        print(f"{n:>9} {v:>10} {row['seconds']:>8.3f} {row['matched']:>8} {row['batches']:>8} "
              f"{row['short_stock']:>9} {row['short_helpers']:>9}", flush=True)
    print(f"slope: {slope(algo, 'seconds')} s per 1,000 requests")
    print("\nIn the database: recompute priorities (bulk) and plan (load + match)")
    print(f"{'vendor':>10} {'requests':>8} {'vols':>6} {'recompute':>10} {'+5 min':>8} "
          f"{'changed':>8} {'plan':>8} {'matched':>8}", flush=True)
    db = database(sizes, repeat=3)
    print(f"slope: recompute {slope(db, 'recompute_seconds')}, plan {slope(db, 'plan_seconds')} "
          "s per 1,000 requests")
    path = Path(getattr(args, "output", None) or "benchmarks/results/relief.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                "algorithm": algo, "algorithm_slope": slope(algo, "seconds"),
                                "database": db}, indent=2, default=str))
    print(f"\nResults written to {path}")
    return 0
