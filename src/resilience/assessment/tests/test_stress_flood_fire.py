"""Garage-flood and building-fire stress tests on hand-built buildings."""
from __future__ import annotations

import pytest
from django.utils import timezone

from resilience.assessment import stress
from resilience.assessment.stress.common import DETOUR_FACTOR
from resilience.assessment.tests.test_stress_common import (
    building, community, grid_worker, residents, shelter, volunteer,
)


# -- underground-garage flood -----------------------------------------------------------------

@pytest.fixture
def garage(world):
    """A tower with a basement dwelling (2 people), a ground floor (an elderly resident living
    alone and one other) and 3 people upstairs; its garage (120 places) with a pump and a
    water-level sensor; a walk-up without a basement next door; a 10-place shelter."""
    from resilience.monitoring.models import Sensor
    from resilience.places.models import Facility

    c = community(world)
    t = building(c, "T1", floors=12, basement=1, lift=True)
    residents(t, 2, "B101")
    residents(t, 1, "101", tags=["elderly_alone"])
    residents(t, 1, "102")
    residents(t, 3, "301")
    residents(building(c, "W1", lng=121.402), 4, "101", tags=["elderly"])
    g = Facility.objects.create(community=c, kind="underground_garage", code="UG1",
                                name="Garage", capacity=120, building=t)
    Facility.objects.create(community=c, kind="pump", code="P1", name="Pump", building=t)
    Facility.objects.create(community=c, kind="power_room", code="PR1", name="Power room",
                            building=t)
    Sensor.objects.create(community=c, facility=g, code="ug1-level", name="Level",
                          kind="water_level", status="online")
    shelter(c, capacity=10)
    volunteer(c, t)
    return c


@pytest.mark.django_db
def test_a_garage_flood_counts_basements_ground_floors_vehicles_and_coverage(garage):
    result = stress.run(garage, "garage_flood", {})
    d = result["details"]
    assert d["buildings"] == 1 and d["buildings_with_basements"] == 1
    assert result["people_affected"] == 7
    assert d["basement_residents"] == 2 and d["ground_floor_residents"] == 2
    assert d["vehicles"] == 120 and d["garages"] == 1
    assert d["pump_coverage"] == 1.0 and d["sensor_coverage"] == 1.0
    assert d["garages_with_sensor_online"] == 1 and d["power_rooms_at_risk"] == 1
    # the elderly resident on the ground floor is moved with one escort; the basement
    # dwellers and she need shelter places
    assert result["vulnerable_needing_help"] == 1 and result["helpers_needed"] == 1
    assert result["shelter_places_needed"] == 3 and result["shelter_places_available"] == 10
    assert result["shelter_places_short"] == 0
    assert result["evacuation_minutes"] is not None and result["supplies"] == []


@pytest.mark.django_db
def test_a_garage_without_pump_or_sensor_shows_in_the_coverage(garage):
    from resilience.places.models import Facility

    Facility.objects.create(community=garage, kind="underground_garage", code="UG2",
                            name="Garage 2", capacity=80,
                            building=building(garage, "T2", basement=2))
    d = stress.run(garage, "garage_flood", {})["details"]
    assert d["garages"] == 2 and d["vehicles"] == 200
    assert d["pump_coverage"] == 0.5 and d["sensor_coverage"] == 0.5


@pytest.mark.django_db
def test_a_flood_of_a_chosen_building_without_a_basement(garage):
    walkup = garage.buildings.get(code="W1")
    result = stress.run(garage, "garage_flood", {"buildings": [walkup.pk]})
    assert result["people_affected"] == 4 and result["details"]["basement_residents"] == 0
    assert result["vulnerable_needing_help"] == 4 and result["details"]["garages"] == 0


# -- fire in a building -----------------------------------------------------------------------

@pytest.fixture
def blaze(world):
    """A 6-floor building with 2 stairwells and 10 residents: a bedridden resident on floor 5,
    an elderly resident on floor 2; a shelter of 2 places 111 m east and one of 100 places far
    away; one volunteer and one grid worker."""
    from resilience.places.models import Unit

    c = community(world)
    b = building(c, "B1", floors=6, lat=31.2, lng=121.4)
    Unit.objects.create(building=b, number="1")
    Unit.objects.create(building=b, number="2")
    residents(b, 1, "501", tags=["bedridden"])
    residents(b, 1, "201", tags=["elderly"])
    residents(b, 4, "601")
    residents(b, 4, "301")
    shelter(c, "S1", capacity=2, lat=31.2, lng=121.401)
    shelter(c, "S2", capacity=100, lat=31.25, lng=121.45)
    volunteer(c, b)
    grid_worker(c)
    return c, b


def walk_minutes(metres: float, speed: float) -> float:
    return round(metres * DETOUR_FACTOR / speed / 60, 1)


@pytest.mark.django_db
def test_a_fire_estimates_egress_helpers_and_places_for_the_night(blaze):
    from resilience.shelters.evacuation import WALK_SPEED_HELPED
    from resilience.shelters.graph import haversine

    c, b = blaze
    result = stress.run(c, "fire", {"building": b.pk, "floor": 3})
    d = result["details"]
    assert result["people_affected"] == 10 and result["vulnerable_needing_help"] == 2
    # two to carry the bedridden resident, one escort for the elderly one
    assert result["helpers_needed"] == 3 and result["helpers_available"] == 2
    assert result["helpers_short"] == 1 and d["helpers_in_building"] == 1
    assert d["residents_at_or_above_fire"] == 9 and d["vulnerable_at_or_above_fire"] == 1
    # walking: 2 + 6 × 15 s + 10 ÷ (40 × 2) = 3.6 min; carrying from floor 5: 2 + 5 × 45 s = 5.75
    assert d["egress_source"] == "estimate" and d["egress_minutes"] == 5.8
    walk = walk_minutes(haversine((31.2, 121.4), (31.2, 121.401)), WALK_SPEED_HELPED)
    assert d["walk_source"] == "straight_line" and d["walk_minutes"] == walk
    assert result["evacuation_minutes"] == round(5.75 + walk, 1)
    # only the near shelter counts for a night out
    assert result["shelter_places_needed"] == 10 and result["shelter_places_available"] == 2
    assert result["shelter_places_short"] == 8 and d["nearby_shelters"] == 1


@pytest.mark.django_db
def test_a_drill_timing_of_the_building_replaces_the_estimate(blaze):
    from resilience.participation.models import Drill, DrillTiming

    c, b = blaze
    drill = Drill.objects.create(community=c, building=b, scenario="high_rise_fire",
                                 title="Fire drill", planned_at=timezone.now(), status="done",
                                 finished_at=timezone.now())
    DrillTiming.objects.create(drill=drill, building=b, seconds=300)
    d = stress.run(c, "fire", {"building": b.pk})["details"]
    assert d["egress_source"] == "drill" and d["egress_minutes"] == 5.0


@pytest.mark.django_db
def test_walking_paths_are_used_when_the_community_has_them(blaze):
    from resilience.shelters.graph import Segment, haversine, save_edges

    c, b = blaze
    corner = (31.2005, 121.4)
    save_edges(c, [Segment((31.2, 121.4), corner, haversine((31.2, 121.4), corner)),
                   Segment(corner, (31.2, 121.401), haversine(corner, (31.2, 121.401)))],
               source="imported")
    d = stress.run(c, "fire", {"building": b.pk})["details"]
    straight = walk_minutes(haversine((31.2, 121.4), (31.2, 121.401)), 0.6)
    assert d["walk_source"] == "paths" and d["walk_minutes"] > straight / DETOUR_FACTOR


@pytest.mark.django_db
def test_more_shelter_places_and_helpers_nearby_improve_a_fire(blaze):
    c, b = blaze
    before = stress.run(c, "fire", {"building": b.pk})
    shelter(c, "S3", capacity=20, lat=31.2005, lng=121.4005)
    volunteer(c, b)
    after = stress.run(c, "fire", {"building": b.pk})
    rows = {r["key"]: r for r in stress.compare(before, after)}
    assert rows["shelter_places_short"] == {"key": "shelter_places_short", "before": 8,
                                            "after": 0, "better": True}
    assert rows["helpers_short"]["better"]

