"""Targeting: the area as geometry, the people inside it per audience, vulnerable first, fast."""
from __future__ import annotations

import datetime as dt
import math
import time

import pytest

from resilience.alerts import services
from resilience.alerts.targeting import circle_shape, recipients, resolve_area, summary
from resilience.core.testing import make_id_number, square
from resilience.people.models import Household, Resident
from resilience.places.models import Building


def make(world, **fields):
    fields = {"level": 3, "event_type": "fire", "headline": "火警", "description": "火警", **fields}
    return services.draft(world.staff_a, world.community_a, **fields)


def add_resident(world, building, name, tags=(), serial=50, contact=""):
    household = Household.objects.create(community=building.community, building=building,
                                         room=f"{serial}", code=f"h{serial}")
    birth = dt.date(1960, 1, 1 + serial % 28)
    return Resident.objects.create(
        community=building.community, household=household, name=name, sex="male",
        birth_date=birth, id_number=make_id_number(birth, serial, female=False),
        phone=f"137{serial:08d}", vulnerability=f'{list(tags)}'.replace("'", '"') if tags else "",
        emergency_contact_name=contact)


def residents_of(found) -> set[str]:
    return {r.name for r in found if r.kind == "resident"}


def haversine_m(lat1, lng1, lat2, lng2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_whole_community_area_is_its_boundary_and_reaches_all_its_residents(world):
    alert = make(world)
    assert resolve_area(alert).bounds == pytest.approx((121.47, 31.23, 121.48, 31.24))
    assert residents_of(recipients(alert)) == {"Resident A1", "Resident A2"}


def test_two_buildings_reach_only_their_residents(world):
    third = Building.objects.create(community=world.community_a, grid=world.grid_a2, code="B3",
                                    name="Building A3", geometry=square(121.478, 31.238, 0.0005))
    add_resident(world, third, "Resident A3")
    alert = make(world, area_buildings=[world.building_a1, world.building_a2])
    assert residents_of(recipients(alert)) == {"Resident A1", "Resident A2"}
    assert residents_of(recipients(make(world, area_buildings=[third]))) == {"Resident A3"}


def test_grid_area_reaches_the_buildings_of_the_grid(world):
    alert = make(world, area_grids=[world.grid_a2])
    assert residents_of(recipients(alert)) == {"Resident A2"}


def test_drawn_polygon_reaches_buildings_it_touches(world):
    alert = make(world, area_geometry=square(121.4755, 31.2305, 0.002))
    assert residents_of(recipients(alert)) == {"Resident A2"}


def test_circle_is_round_in_metres(world):
    circle = circle_shape(31.23, 121.47, 500)
    distances = [haversine_m(31.23, 121.47, lat, lng) for lng, lat in circle.exterior.coords]
    assert all(abs(d - 500) < 5 for d in distances)


def test_circle_around_one_building_reaches_only_it(world):
    alert = make(world, area_circle="31.23125,121.47125 0.1")
    assert residents_of(recipients(alert)) == {"Resident A1"}
    wide = make(world, area_circle="31.23125,121.47375 0.4")  # between the two buildings
    assert residents_of(recipients(wide)) == {"Resident A1", "Resident A2"}


def test_vulnerable_residents_come_first_most_urgent_first(world):
    add_resident(world, world.building_a2, "Bedridden", ["bedridden"], serial=61)
    add_resident(world, world.building_a2, "Low income", ["low_income"], serial=62)
    found = [r for r in recipients(make(world)) if r.kind == "resident"]
    assert [r.name for r in found] == ["Bedridden", "Resident A1", "Low income", "Resident A2"]
    assert found[0].priority < found[1].priority < found[2].priority < found[3].priority


def test_helpers_of_a_vulnerable_resident_are_reached_with_them(world):
    Resident.objects.filter(pk=world.resident_a1.pk).update(emergency_contact_name="Son")
    found = recipients(make(world, audience="vulnerable"))
    kinds = {(r.kind, r.name) for r in found}
    assert ("resident", "Resident A1") in kinds
    assert ("grid_worker", "grid_worker_a1") in kinds
    assert ("volunteer", "Volunteer A") in kinds
    assert ("emergency_contact", "Son") in kinds
    assert "Resident A2" not in residents_of(found)  # not vulnerable
    helpers = [r for r in found if r.kind != "resident"]
    assert all(r.helps == world.resident_a1.pk for r in helpers)
    assert all(r.priority == found[0].priority for r in helpers)


def test_staff_only_audience_reaches_staff_and_grid_workers_of_the_area(world):
    found = recipients(make(world, audience="staff", area_buildings=[world.building_a1]))
    assert {r.user_id for r in found} == {world.staff_a.pk, world.grid_worker_a1.pk}
    assert not residents_of(found)
    other_grid = recipients(make(world, audience="staff", area_buildings=[world.building_a2]))
    assert {r.user_id for r in other_grid} == {world.staff_a.pk}


def test_each_person_is_reached_once(world):
    found = recipients(make(world))
    keys = [r.key for r in found]
    assert len(keys) == len(set(keys))
    assert sum(r.user_id == world.grid_worker_a1.pk for r in found) == 1


def test_other_communities_are_never_reached(world):
    alert = make(world, area_geometry=square(121.46, 31.22, 0.05))  # covers A, B and C
    assert residents_of(recipients(alert)) == {"Resident A1", "Resident A2"}


def test_four_thousand_residents_in_well_under_a_second(world, django_assert_max_num_queries):
    buildings = [Building.objects.create(
        community=world.community_a, grid=world.grid_a1 if i % 2 else world.grid_a2,
        code=f"P{i}", name=f"P{i}", geometry=square(121.4705 + (i % 10) * 0.0009,
                                                   31.2305 + (i // 10) * 0.0009, 0.0004))
        for i in range(40)]
    households = Household.objects.bulk_create([
        Household(community=world.community_a, building=b, room=str(r), code=f"{b.code}-{r}")
        for b in buildings for r in range(50)])
    people = []
    for i in range(4000):
        resident = Resident(community=world.community_a, household=households[i // 2],
                            name=f"R{i}", sex="male", birth_date=dt.date(1950, 1, 1),
                            id_number="", phone="", emergency_contact_name="C" if i % 7 else "")
        resident.tags = ["bedridden"] if i % 10 == 0 else (["elderly"] if i % 10 == 1 else [])
        resident.prepare()
        people.append(resident)
    Resident.objects.bulk_create(people, batch_size=500)
    alert = make(world, area_geometry=square(121.470, 31.230, 0.01))
    with django_assert_max_num_queries(10):
        started = time.perf_counter()
        found = recipients(alert)
        elapsed = time.perf_counter() - started
    assert sum(r.kind == "resident" for r in found) == 4000 + 2
    assert found[0].priority == 1
    assert summary(found)["vulnerable"] == 800 + 1
    assert elapsed < 1.0, elapsed
