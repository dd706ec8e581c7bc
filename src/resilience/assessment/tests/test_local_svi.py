"""The social vulnerability index of a community's buildings and grids, from resident tags."""
import datetime as dt
import json

import pytest

from resilience.assessment.methods.local_svi import building_svi, grid_svi
from resilience.core.testing import make_id_number, square


@pytest.fixture
def community(world):
    """Community A: B1 (4 residents), B2 (2) and a new B3 (2) in grid A2, with known tags."""
    from resilience.people.models import Household, Resident
    from resilience.places.models import Building

    c = world.community_a
    b3 = Building.objects.create(community=c, grid=world.grid_a2, code="B3", name="Building A3",
                                 geometry=square(121.48, 31.231, 0.0005), floors=3)
    serial = iter(range(50, 100))

    def resident(building, *tags):
        n = next(serial)
        household = Household.objects.create(community=c, building=building, room=str(n),
                                             code=f"a-{n}")
        birth = dt.date(1960, 1, n % 28 + 1)
        Resident.objects.create(community=c, household=household, name=f"Person {n}", sex="male",
                                birth_date=birth, id_number=make_id_number(birth, n, female=False),
                                phone=f"137{n:08d}", vulnerability=json.dumps(list(tags)))

    # B1 already has one resident living alone (elderly_alone); B2 one without tags.
    resident(world.building_a1, "low_income")
    resident(world.building_a1, "language_barrier", "dialysis")
    resident(world.building_a1)
    resident(world.building_a2, "infant")
    resident(b3, "elderly_alone")
    resident(b3, "chronic_illness")
    return c


def test_buildings_are_ranked_most_vulnerable_first(community):
    rows = building_svi(community, min_residents=1)
    assert [r["code"] for r in rows] == ["B1", "B3", "B2"]
    b1, b3, b2 = rows
    assert [b1["rank"], b3["rank"], b2["rank"]] == [1.0, 0.5, 0.0]
    assert [b1["flags"], b3["flags"], b2["flags"]] == [3, 2, 1]
    assert b1["residents"] == 4 and b1["shares"]["device"] == 25.0
    assert b1["shares"]["elderly_alone"] == 25.0 and b3["shares"]["elderly_alone"] == 50.0
    assert b1["ranks"]["elderly_alone"] == 0.5 and b3["ranks"]["elderly_alone"] == 1.0
    assert b1["themes"]["socioeconomic"] == {"sum": 1.0, "rank": 1.0, "flags": 1}
    assert b1["themes"]["household"]["rank"] == 0.0
    assert b2["themes"]["household"] == {"sum": 1.0, "rank": 0.5, "flags": 1}
    assert b3["themes"]["health"] == {"sum": 1.0, "rank": 0.5, "flags": 1}


def test_grids_are_ranked_against_the_other_grids(community, world):
    rows = grid_svi(community, min_residents=1)
    assert [(r["id"], r["residents"], r["rank"], r["flags"]) for r in rows] == [
        (world.grid_a1.pk, 4, 1.0, 3), (world.grid_a2.pk, 4, 0.0, 2)]
    assert rows[0]["ranks"]["elderly_alone"] == 0.0  # 25 % in both: a tie at the lowest rank


def test_small_buildings_are_not_ranked_and_their_shares_withheld(community):
    rows = building_svi(community)  # default: at least 5 residents
    assert all(not r["ranked"] and r["shares"] is None and r["rank"] is None for r in rows)
    rows = building_svi(community, min_residents=3)
    assert [(r["code"], r["ranked"], r["rank"]) for r in rows] == [
        ("B1", True, 0.0), ("B2", False, None), ("B3", False, None)]


def test_the_index_holds_no_personal_data(community):
    from resilience.people.models import Resident

    text = json.dumps(building_svi(community, min_residents=1) + grid_svi(community, 1))
    for resident in Resident.objects.filter(community=community):
        # whole values only: a row id such as 2137 may contain a phone's first digits
        assert resident.name not in text and resident.phone not in text
    assert set(building_svi(community, 1)[0]) == {
        "id", "code", "name", "grid", "residents", "ranked", "shares", "ranks", "themes",
        "rank", "flags"}


def test_a_community_without_residents_gives_unranked_units(world):
    from resilience.places.models import Community

    empty = Community.objects.create(code="empty", name="Empty", region=world.street)
    assert building_svi(empty) == [] and grid_svi(empty) == []
