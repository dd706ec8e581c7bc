"""``resilience bench street``: the street / district command dashboard and the roll-up export
at 30, 100 and 300 communities (issue #13: 300 communities, dashboard p95 < 1 s, roll-up export
< 10 s).

Each size is seeded in bulk into a scratch database of the configured vendor (SQLite in a file
under the data directory, or PostgreSQL when ``DATABASE_URL`` is set; created and dropped here):
per community 4 grids, 20 buildings, 240 households, 960 residents (15 % with vulnerability
tags), 20 volunteers, 4 grid workers, 2 shelters (one open with people in it), a warehouse with
water, food and masks, 5 sensors, 10 hazards (3 overdue), 20 needs requests (5 overdue) and an
assessment score; every 5th community an open alarm, every 3rd an issued warning with 50
recipients (60 % acknowledged), every 10th an open incident. Ten communities per street, all
streets in one district; the dashboard is read by that district's office.

Measured, each over ``REQUESTS`` (≥ 20) runs, p50 and p95 in milliseconds:

- ``data``: ``street.dashboard.board`` (the live roll-up of every community);
- ``page``: ``GET /street/dashboard/`` through Django's test client (full page render);
- ``table``: the htmx refresh of the table; ``geojson``: the map's data;

and, once each (best of 3), the roll-up export: CSV per community, CSV per grid, and the XLSX
workbook with both. The slope is the least-squares milliseconds per 100 communities.
"""
from __future__ import annotations

import json
import math
import os
import platform
import random
import statistics
import time
from decimal import Decimal
from pathlib import Path

SIZES = (30, 100, 300)
QUICK_SIZES = (10, 30)
REQUESTS = 20
PER_STREET = 10
GRIDS, BUILDINGS_PER_GRID, HOUSEHOLDS_PER_BUILDING, RESIDENTS_PER_HOUSEHOLD = 4, 5, 12, 4
TARGET_DASHBOARD_S, TARGET_EXPORT_S = 1.0, 10.0
TAGS = ("elderly_alone", "elderly", "disabled", "chronic_illness", "dialysis", "infant",
        "pregnant", "low_income")


def _user(name: str):
    from django.contrib.auth import get_user_model

    user = get_user_model()(username=name, is_active=True)
    user.set_unusable_password()
    return user


def seed(n: int, start: int = 0, seed_value: int = 13) -> None:
    """Communities ``start`` … ``start + n - 1`` with their registry and live state, in bulk."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from resilience.alerts.models import Alert, AlertRecipient
    from resilience.assessment.models import AssessmentRun, Index
    from resilience.core.roles import Role
    from resilience.monitoring.models import Alarm, Rule, Sensor
    from resilience.people.models import Household, Membership, Resident, Volunteer
    from resilience.places.models import Building, Community, Facility, Grid, Region
    from resilience.relief import norms
    from resilience.relief.models import Item, NeedRequest, StockLot
    from resilience.response.models import Incident
    from resilience.risks.models import Hazard
    from resilience.shelters.models import Shelter, Stay

    rng = random.Random(seed_value + start)
    now, today = timezone.now(), timezone.localdate()
    norms.install_defaults()
    district, _ = Region.objects.get_or_create(code="bench-district", defaults={
        "name": "Bench district", "level": "district"})
    index, _ = Index.objects.get_or_create(code="bench-index", defaults={"name": "Bench index"})
    streets = {}
    for i in range(start, start + n):
        s = i // PER_STREET
        if s not in streets:
            streets[s], _ = Region.objects.get_or_create(code=f"bench-street-{s:03d}", defaults={
                "name": f"Bench street {s}", "level": "street", "parent": district})
    communities = Community.objects.bulk_create([
        Community(code=f"bench-{i:04d}", name=f"Bench community {i}",
                  region=streets[i // PER_STREET], latitude=31.1 + (i % 20) * 0.01,
                  longitude=121.3 + (i // 20) * 0.01) for i in range(start, start + n)])
    grids = Grid.objects.bulk_create([Grid(community=c, code=f"G{g}", name=f"Grid {g}")
                                      for c in communities for g in range(GRIDS)])
    buildings = Building.objects.bulk_create([
        Building(community_id=g.community_id, grid=g, code=f"{g.code}-B{b}", name=f"B{b}",
                 latitude=31.2, longitude=121.4)
        for g in grids for b in range(BUILDINGS_PER_GRID)], batch_size=2000)
    households = Household.objects.bulk_create([
        Household(community_id=b.community_id, building=b, room=f"{r:03d}",
                  code=f"{b.code}-{r:03d}")
        for b in buildings for r in range(HOUSEHOLDS_PER_BUILDING)], batch_size=5000)
    residents = []
    for h in households:
        for k in range(RESIDENTS_PER_HOUSEHOLD):
            r = Resident(community_id=h.community_id, household=h, name="R", sex="female",
                         birth_date=dt.date(1950 + k * 10, 1, 1))
            if rng.random() < 0.15:
                r.tags = rng.sample(TAGS, rng.randint(1, 2))
            r.prepare()
            residents.append(r)
    Resident.objects.bulk_create(residents, batch_size=5000)
    grids_of = {}
    for g in grids:
        grids_of.setdefault(g.community_id, []).append(g)
    buildings_of = {}
    for b in buildings:
        buildings_of.setdefault(b.community_id, []).append(b)
    households_of = {}
    for h in households:
        households_of.setdefault(h.community_id, []).append(h)
    Volunteer.objects.bulk_create([
        Volunteer(community=c, name=f"V{v}", home_building=buildings_of[c.pk][v % 20])
        for c in communities for v in range(20)], batch_size=5000)
    users = get_user_model().objects.bulk_create([
        _user(f"bench-gw-{c.code}-{g.code}") for c in communities for g in grids_of[c.pk]])
    Membership.objects.bulk_create([
        Membership(user=u, role=Role.GRID_WORKER, grid=g, community_id=g.community_id)
        for u, g in zip(users, [g for c in communities for g in grids_of[c.pk]])])
    shelters = Facility.objects.bulk_create([
        Facility(community=c, grid=grids_of[c.pk][k], kind="shelter", code=f"S{k}",
                 name=f"Shelter {k}", capacity=300, latitude=31.2, longitude=121.4)
        for c in communities for k in range(2)])
    profiles = Shelter.objects.bulk_create([
        Shelter(facility=f, status="open" if f.code == "S0" else "closed", floor_area=500)
        for f in shelters])
    open_profiles = [p for p in profiles if p.status == "open"]
    Stay.objects.bulk_create([Stay(shelter=p, walk_in_name="W", checked_in_at=now)
                              for p in open_profiles for _ in range(rng.randint(0, 40))])
    stores = Facility.objects.bulk_create([
        Facility(community=c, kind="warehouse", code="W1", name="Store") for c in communities])
    items = Item.objects.bulk_create([
        Item(community=c, name=name, category=cat, unit="unit", per_capita_amount=factor)
        for c in communities
        for name, cat, factor in (("Water", "water", Decimal("0.55")), ("Food", "food", None),
                                  ("Masks", "masks", None))])
    store_of = {s.community_id: s for s in stores}
    StockLot.objects.bulk_create([
        StockLot(community_id=i.community_id, item=i, warehouse=store_of[i.community_id],
                 quantity=Decimal(rng.randint(500, 8000))) for i in items])
    sensors = Sensor.objects.bulk_create([
        Sensor(community=c, grid=grids_of[c.pk][k % GRIDS], code=f"{c.code}-s{k}", name="S",
               kind="smoke") for c in communities for k in range(5)])
    first_sensor = {}
    for s in sensors:
        first_sensor.setdefault(s.community_id, s)
    alarmed = [c for k, c in enumerate(communities) if (start + k) % 5 == 0]
    rules = Rule.objects.bulk_create([
        Rule(community=c, sensor=first_sensor[c.pk], name="Smoke", kind="threshold",
             params={"op": "above", "value": 10, "clear": 5}, level=2) for c in alarmed])
    Alarm.objects.bulk_create([
        Alarm(community=c, sensor=first_sensor[c.pk], rule=r, level=2, message="smoke",
              opened_at=now, last_seen_at=now) for c, r in zip(alarmed, rules)])
    warned = [c for k, c in enumerate(communities) if (start + k) % 3 == 0]
    alerts = Alert.objects.bulk_create([
        Alert(community=c, identifier=f"bench-{c.code}", sender="bench", state="issued",
              level=3, event_type="rainstorm", headline="Rain", description="Rain",
              issued_at=now) for c in warned])
    AlertRecipient.objects.bulk_create([
        AlertRecipient(alert=a, key=f"resident:{k}", kind="resident",
                       grid=grids_of[a.community_id][k % GRIDS],
                       acknowledged_at=now if k % 5 < 3 else None)
        for a in alerts for k in range(50)], batch_size=5000)
    Incident.objects.bulk_create([
        Incident(community=c, title="Incident", scenario="flood")
        for k, c in enumerate(communities) if (start + k) % 10 == 0])
    Hazard.objects.bulk_create([
        Hazard(community=c, grid=grids_of[c.pk][k % GRIDS], title="Hazard", status="assigned",
               deadline=today + dt.timedelta(days=-2 if k < 3 else 5))
        for c in communities for k in range(10)], batch_size=5000)
    NeedRequest.objects.bulk_create([
        NeedRequest(community=c, household=h, building_id=h.building_id,
                    grid_id=h.building.grid_id, kind="food",
                    due_at=now + dt.timedelta(hours=-1 if k < 5 else 6))
        for c in communities for k, h in enumerate(households_of[c.pk][:20])], batch_size=5000)
    AssessmentRun.objects.bulk_create([
        AssessmentRun(community=c, index=index, at=now, score=rng.uniform(40, 90))
        for c in communities])


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return ordered[k]


def _timed(fn, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(_percentile(samples, 95), 1), "max_ms": round(max(samples), 1)}


def measure(n: int, office, repeat: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from resilience.street import dashboard, rollups
    from resilience.street.exchange import tables

    client = Client()
    client.force_login(office)

    def get(url: str, **headers):
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
        return response

    get("/street/dashboard/")  # warm the template cache and the connection
    with CaptureQueriesContext(connection) as ctx:
        dashboard.board(office)
    result = {"communities": n, "dashboard_queries": len(ctx.captured_queries)}
    result["data"] = _timed(lambda: dashboard.board(office), repeat)
    result["page"] = _timed(lambda: get("/street/dashboard/"), repeat)
    result["table"] = _timed(lambda: get("/street/dashboard/", HTTP_HX_REQUEST="true"), repeat)
    result["geojson"] = _timed(lambda: get("/street/dashboard/data.json"), repeat)
    communities = rollups.communities_for(office)

    def export_csv(per: str):
        names, rows = rollups.table(communities, per)
        return tables.csv_bytes(names, rows)

    def export_xlsx():
        return tables.xlsx_bytes([(p, *rollups.table(communities, p)) for p in ("community",
                                                                                  "grid")])

    for key, fn in (("export_csv", lambda: export_csv("community")),
                    ("export_grid_csv", lambda: export_csv("grid")),
                    ("export_xlsx", export_xlsx)):
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        result[key + "_s"] = round(best, 3)
    return result


def slope(rows: list[dict], key) -> float | None:
    """Least-squares milliseconds per 100 communities."""
    if len(rows) < 2:
        return None
    xs, ys = [r["communities"] for r in rows], [key(r) for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den, 2) if den else None


def run(args) -> int:
    from django.conf import settings
    from django.db import connection

    from resilience.core.roles import Role
    from resilience.people.models import Membership
    from resilience.places.models import Region

    quick = getattr(args, "quick", False)
    sizes = QUICK_SIZES if quick else SIZES
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":  # on disk in WAL mode, as deployed, not in memory
        scratch = Path(settings.DATA_DIR) / "bench-street.sqlite3"
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(scratch)
    print(f"Street dashboard and roll-up export on {connection.vendor} "
          f"(targets: 300 communities, dashboard p95 < {TARGET_DASHBOARD_S:g} s, "
          f"export < {TARGET_EXPORT_S:g} s)")
    header = (f"{'communities':>11} {'queries':>7} {'data p95':>9} {'page p95':>9} "
              f"{'table p95':>9} {'geojson p95':>11} {'csv s':>7} {'grid csv s':>10} "
              f"{'xlsx s':>7} {'seed s':>7}")
    print(header, flush=True)
    rows = []
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
        from django.contrib.auth import get_user_model

        office = get_user_model().objects.create_user("bench-district-office", password=None)
        seeded = 0
        for n in sizes:
            start = time.perf_counter()
            seed(n - seeded, start=seeded)
            seed_seconds = time.perf_counter() - start
            if seeded == 0:
                Membership.objects.create(user=office, role=Role.OFFICE,
                                          region=Region.objects.get(code="bench-district"))
            seeded = n
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            office = type(office).objects.get(pk=office.pk)  # fresh membership cache
            row = measure(n, office, REQUESTS)
            row["seed_seconds"] = round(seed_seconds, 1)
            rows.append(row)
            print(f"{n:>11} {row['dashboard_queries']:>7} {row['data']['p95_ms']:>7.0f}ms "
                  f"{row['page']['p95_ms']:>7.0f}ms {row['table']['p95_ms']:>7.0f}ms "
                  f"{row['geojson']['p95_ms']:>9.0f}ms {row['export_csv_s']:>7.2f} "
                  f"{row['export_grid_csv_s']:>10.2f} {row['export_xlsx_s']:>7.2f} "
                  f"{row['seed_seconds']:>7.1f}", flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    slopes = {
        "data_p95_ms_per_100": slope(rows, lambda r: r["data"]["p95_ms"]),
        "page_p95_ms_per_100": slope(rows, lambda r: r["page"]["p95_ms"]),
        "export_csv_ms_per_100": slope(rows, lambda r: r["export_csv_s"] * 1000),
        "export_xlsx_ms_per_100": slope(rows, lambda r: r["export_xlsx_s"] * 1000),
    }
    print("slope (ms per 100 communities): " + ", ".join(f"{k} {v}" for k, v in slopes.items()))
    result = {"machine": platform.platform(), "cpus": os.cpu_count(), "vendor": connection.vendor,
              "requests": REQUESTS, "residents_per_community": GRIDS * BUILDINGS_PER_GRID
              * HOUSEHOLDS_PER_BUILDING * RESIDENTS_PER_HOUSEHOLD, "sizes": rows,
              "slopes": slopes}
    print(json.dumps(result, indent=2, default=str))
    path = Path(getattr(args, "output", None) or f"benchmarks/results/street-{connection.vendor}"
                                                  ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nResults written to {path}")
    return 0
