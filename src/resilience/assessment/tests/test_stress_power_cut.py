"""Power-cut stress test: device-dependent residents, lifts out, shelters with power."""
from __future__ import annotations

from decimal import Decimal

import pytest

from resilience.assessment import stress
from resilience.assessment.tests.test_stress_common import (
    archive, building, community, grid_worker, norm, residents, shelter, stock, volunteer,
)


@pytest.fixture
def tower(world):
    """A 10-floor tower with a lift: a bedridden resident on floor 8, an oxygen user with a
    2-hour battery on floor 5, an oxygen-tagged resident (no device record) on floor 1, four
    others; a walk-up next door with two residents. One shelter place with power, 50 without."""
    from resilience.health.models import Device

    c = community(world)
    t = building(c, "T1", floors=10, lift=True)
    residents(t, 1, "801", tags=["bedridden"])
    device_user = residents(t, 1, "501")[0]
    Device.objects.create(archive=archive(device_user), device_type="oxygen_concentrator",
                          needs_power=True, battery_hours=Decimal("2"))
    residents(t, 1, "101", tags=["oxygen"])
    residents(t, 4, "302")
    walkup = building(c, "W1", floors=6)
    residents(walkup, 2, "601", tags=["elderly"])
    shelter(c, "S1", capacity=1, power=True)
    shelter(c, "S2", capacity=50)
    volunteer(c, t)
    grid_worker(c)
    return c


@pytest.mark.django_db
def test_a_four_hour_cut_of_the_whole_community(tower):
    result = stress.run(tower, "power_cut", {"hours": 4})
    details = result["details"]
    assert result["people_affected"] == 9
    assert details["device_dependent"] == 2 and details["device_needing_power"] == 2
    # the oxygen user on floor 5 is carried down (2 helpers), the one on floor 1 escorted (1),
    # and one round of checks on the bedridden resident stranded on floor 8 (1)
    assert details["carried_down"] == 1 and details["stranded_high_floor"] == 1
    assert result["helpers_needed"] == 4
    assert result["helpers_available"] == 2 and result["helpers_short"] == 2
    assert result["vulnerable_needing_help"] == 3
    # only shelters with power take device-dependent residents
    assert result["shelter_places_needed"] == 2
    assert result["shelter_places_available"] == 1 and result["shelter_places_short"] == 1
    # the walk-up's elderly on floor 6 are not stranded: no lift to lose
    assert details["buildings_with_lifts"] == 1 and details["residents_in_lift_buildings"] == 7
    rows = {r["name"]: r for r in details["by_building"]}
    assert rows["Building T1"]["needing_power"] == 2 and "Building W1" not in rows


@pytest.mark.django_db
def test_a_battery_that_outlasts_the_cut_needs_no_backup(tower):
    result = stress.run(tower, "power_cut", {"hours": 1})
    assert result["details"]["device_needing_power"] == 1  # the one with no battery recorded
    assert result["shelter_places_needed"] == 1 and result["shelter_places_short"] == 0


@pytest.mark.django_db
def test_a_cut_of_chosen_buildings_counts_only_them(tower):
    walkup = tower.buildings.get(code="W1")
    result = stress.run(tower, "power_cut", {"hours": 4, "buildings": [walkup.pk]})
    assert result["people_affected"] == 2
    assert result["details"]["device_dependent"] == 0 and result["helpers_needed"] == 0
    grid = tower.grids.get()
    assert stress.run(tower, "power_cut", {"hours": 4, "grids": [grid.pk]})["people_affected"] == 9


@pytest.mark.django_db
def test_lighting_per_household_and_a_generator_per_building_with_device_needs(tower):
    norm(tower, "lighting", "1", "torch", basis="household")
    stock(tower, 3, "lighting", unit="torch")
    supplies = {r["category"]: r for r in stress.run(tower, "power_cut", {"hours": 4})["supplies"]}
    assert supplies["lighting"]["needed"] == 5 and supplies["lighting"]["short"] == 2  # 5 homes
    assert supplies["generator"]["needed"] == 1 and supplies["generator"]["short"] == 1


@pytest.mark.django_db
def test_a_powered_shelter_and_more_helpers_improve_the_result(tower):
    before = stress.run(tower, "power_cut", {"hours": 4})
    shelter(tower, "S3", capacity=5, power=True)
    volunteer(tower)
    volunteer(tower)
    after = stress.run(tower, "power_cut", {"hours": 4})
    rows = {r["key"]: r for r in stress.compare(before, after)}
    assert rows["shelter_places_short"] == {"key": "shelter_places_short", "before": 1,
                                            "after": 0, "better": True}
    assert rows["helpers_short"]["better"] and rows["helpers_short"]["after"] == 0
