"""``resilience bench assess``: assess many communities at once, and stress-test a big one
(issue #8: 1,000 communities < 10 s; one stress test of a 4,000-resident community < 1 s).

In a scratch test database of the configured vendor (SQLite, or PostgreSQL when
``DATABASE_URL`` is set), created and dropped here:

- **assessment**: N communities (10, 100, 1,000; ``--quick`` 10 and 100) seeded in bulk — two
  grids, four buildings, twelve households, 24 residents (a third with a vulnerability tag), a
  shelter, a warehouse and two volunteers each — then ``services.runs.assess`` of all of them
  with the default index and the whole catalogue: every indicator computed for the N communities
  in one call, scored, weighed and stored (runs by ``bulk_create``, values by ``COPY`` on
  PostgreSQL and ``executemany`` on SQLite). Reported: the total, the indicators' compute time
  measured alone (the rest is scoring and writing, by difference), and the slope (seconds per
  100 communities).
- **stress**: one community of 4,000 residents in 100 buildings (1,400 households, a third of
  residents vulnerable, 40 volunteers, 4 shelters); each scenario once, best of three.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import random
import time
from pathlib import Path

SIZES = (10, 100, 1_000)
TAGS = ("elderly_alone", "elderly", "disabled", "chronic_illness", "infant", "low_income",
        "bedridden", "oxygen")
LAT0, LNG0 = 31.2, 121.45


def seed_communities(n: int, tag: str, *, buildings: int = 4, households: int = 12,
                     residents: int = 24, volunteers: int = 2, shelters: int = 1,
                     seed: int = 8) -> list:
    """``n`` communities with their registry, in bulk (a few statements per table)."""
    from resilience.core.testing import make_id_number
    from resilience.people.models import Household, Resident, Volunteer
    from resilience.places.models import Building, Community, Facility, Grid, Region

    rng = random.Random(seed)
    region = Region.objects.create(code=f"bench-{tag}", name=f"Bench street {tag}",
                                   level="street")
    communities = Community.objects.bulk_create([
        Community(code=f"b{tag}-{i}", name=f"Bench {tag} {i}", region=region,
                  latitude=LAT0 + i * 0.001, longitude=LNG0) for i in range(n)], batch_size=1000)
    grids = Grid.objects.bulk_create([
        Grid(community=c, code=f"G{g}", name=f"G{g}") for c in communities for g in (1, 2)],
        batch_size=2000)
    grid_of = {}
    for grid in grids:
        grid_of.setdefault(grid.community_id, []).append(grid)
    made = Building.objects.bulk_create([
        Building(community=c, grid=grid_of[c.pk][b % 2], code=f"B{b}", name=f"B{b}", floors=6,
                 latitude=LAT0 + k * 0.001 + b * 0.0001, longitude=LNG0 + b * 0.0001)
        for k, c in enumerate(communities) for b in range(buildings)], batch_size=2000)
    per_building = {}
    for b in made:
        per_building.setdefault(b.community_id, []).append(b)
    homes = []
    for c in communities:
        for h in range(households):
            b = per_building[c.pk][h % buildings]
            homes.append(Household(community=c, building=b, room=f"{h + 101}", code=f"h{h}"))
    for home in homes:
        home.prepare()
    homes = Household.objects.bulk_create(homes, batch_size=2000)
    by_community = {}
    for home in homes:
        by_community.setdefault(home.community_id, []).append(home)
    people, serial = [], 0
    for c in communities:
        for r in range(residents):
            serial += 1
            home = by_community[c.pk][r % households]
            # one birth day per serial and a region per 20,000: the ID numbers are unique
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=serial % 20_000)
            tags = [rng.choice(TAGS)] if rng.random() < 0.33 else []
            person = Resident(community=c, household=home, name=f"R{serial}", sex="female",
                              birth_date=birth, id_number=make_id_number(
                                  birth, serial, True, str(310101 + serial // 20_000)),
                              phone="", vulnerability=json.dumps(tags) if tags else "")
            person.prepare()
            people.append(person)
    Resident.objects.bulk_create(people, batch_size=2000)
    places = []
    for k, c in enumerate(communities):
        for s in range(shelters):
            places.append(Facility(community=c, kind="shelter", code=f"S{s}", name=f"S{s}",
                                   capacity=rng.randint(20, 300), latitude=LAT0 + k * 0.001,
                                   longitude=LNG0 + 0.001 * s))
        places.append(Facility(community=c, kind="warehouse", code="W1", name="W1",
                               latitude=LAT0 + k * 0.001, longitude=LNG0))
    Facility.objects.bulk_create(places, batch_size=2000)
    helpers = []
    for c in communities:
        for v in range(volunteers):
            helper = Volunteer(community=c, name=f"v{v}", phone="13900000000",
                               skills=["logistics"], availability="anytime",
                               home_building=per_building[c.pk][v % buildings])
            helper.prepare()
            helpers.append(helper)
    Volunteer.objects.bulk_create(helpers, batch_size=2000)
    return communities


def assess_size(n: int) -> dict:
    from resilience.assessment.catalogue import catalogue
    from resilience.assessment.services import runs

    start = time.perf_counter()
    communities = seed_communities(n, f"a{n}")
    seeded = time.perf_counter() - start
    index = runs.default_index()
    indicators = runs.indicators_of(index)
    ids = [c.pk for c in communities]
    # What computing alone costs (the same calls assess makes), then the whole assessment.
    start = time.perf_counter()
    runs.measure(indicators, ids, runs.timezone.now())
    compute = time.perf_counter() - start
    start = time.perf_counter()
    made = runs.assess(communities, index)
    total = time.perf_counter() - start
    values = sum(1 for _ in indicators) * len(made)
    return {"communities": n, "indicators": len(catalogue()), "values": values,
            "seed_seconds": round(seeded, 2), "compute_seconds": round(compute, 3),
            "assess_seconds": round(total, 3),
            "score_store_seconds": round(max(total - compute, 0.0), 3)}


def stress_big(residents: int = 4_000, repeat: int = 3) -> list[dict]:
    from resilience.assessment import stress as engine
    from resilience.assessment.stress import SCENARIOS
    from resilience.places.models import Building

    buildings = 100
    [community] = seed_communities(1, "s", buildings=buildings, households=residents * 35 // 100,
                                   residents=residents, volunteers=40, shelters=4, seed=9)
    target = Building.objects.filter(community=community).order_by("pk").first()
    parameters = {"lockdown": {"days": 14}, "power_cut": {"hours": 24},
                  "garage_flood": {}, "fire": {"building": target.pk, "floor": 3},
                  "earthquake": {"intensity": 8}}
    rows = []
    for kind in SCENARIOS:
        best, result = math.inf, None
        for _ in range(repeat):
            start = time.perf_counter()
            result = engine.run(community, kind, parameters.get(kind, {}))
            best = min(best, time.perf_counter() - start)
        rows.append({"scenario": kind, "residents": residents, "seconds": round(best, 3),
                     "people_affected": result.get("people_affected"),
                     "helpers_short": result.get("helpers_short"),
                     "shelter_places_short": result.get("shelter_places_short")})
    return rows


def slope(rows: list[dict], key: str) -> float | None:
    """Least-squares seconds per 100 communities."""
    if len(rows) < 2:
        return None
    xs, ys = [r["communities"] for r in rows], [r[key] for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den, 4) if den else None


def run(args) -> int:
    from django.db import connection

    quick = getattr(args, "quick", False)
    sizes = SIZES[:2] if quick else SIZES
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False,
                                       serialize=False)
    vendor = connection.vendor
    try:
        print(f"Assessment of N communities, whole catalogue, default index ({vendor}; "
              "target: 1,000 < 10 s)")
        print(f"{'communities':>11} {'indicators':>10} {'values':>8} {'compute s':>10} "
              f"{'score+store s':>13} {'total s':>8}", flush=True)
        assessed = []
        for n in sizes:
            row = assess_size(n)
            row["vendor"] = vendor
            assessed.append(row)
            print(f"{n:>11} {row['indicators']:>10} {row['values']:>8} "
                  f"{row['compute_seconds']:>10.3f} {row['score_store_seconds']:>13.3f} "
                  f"{row['assess_seconds']:>8.3f}", flush=True)
        print(f"slope: {slope(assessed, 'assess_seconds')} s per 100 communities")
        print(f"\nStress tests of one community of 4,000 residents ({vendor}; target < 1 s each)")
        print(f"{'scenario':>14} {'seconds':>8} {'affected':>9} {'helpers short':>14} "
              f"{'places short':>13}", flush=True)
        stressed = stress_big()
        for row in stressed:
            print(f"{row['scenario']:>14} {row['seconds']:>8.3f} "
                  f"{str(row['people_affected']):>9} {str(row['helpers_short']):>14} "
                  f"{str(row['shelter_places_short']):>13}", flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    path = Path(getattr(args, "output", None) or "benchmarks/results/assess.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                "vendor": vendor, "assessment": assessed,
                                "assessment_slope_per_100": slope(assessed, "assess_seconds"),
                                "stress": stressed}, indent=2, default=str))
    print(f"\nResults written to {path}")
    return 0
