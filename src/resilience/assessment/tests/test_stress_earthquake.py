"""Earthquake stress test: fragility by structure, code year and height; displaced, injured."""
from __future__ import annotations

import pytest

from resilience.assessment import stress
from resilience.assessment.stress import earthquake
from resilience.assessment.stress.common import Place
from resilience.assessment.tests.test_stress_common import (
    building, community, norm, residents, shelter, stock, volunteer,
)


def place(structure="brick_concrete", year=None, floors=6) -> Place:
    return Place(1, "B", 1, floors, 0, False, structure, year, 31.2, 121.4)


def test_damage_follows_the_fragility_table_and_the_code_year():
    assert earthquake.damage(place(), 8) == (0.30, 0.15, 0.05)
    # built after GB 50011-2001: × 0.7; before GBJ 11-89: × 1.5
    assert [round(p, 4) for p in earthquake.damage(place(year=2010), 8)] == [0.21, 0.105, 0.035]
    assert [round(p, 4) for p in earthquake.damage(place(year=1985), 8)] == [0.45, 0.225, 0.075]
    # "other" structures are judged by height
    assert earthquake.damage(place("other", floors=2), 7) == earthquake.FRAGILITY["masonry"][7]
    assert earthquake.damage(place("other", floors=30), 7) == earthquake.FRAGILITY["frame"][7]
    # probabilities never add up to more than one
    assert sum(earthquake.damage(place("masonry", year=1970), 10)) == pytest.approx(1.0)


def test_damage_grows_with_intensity_for_every_structure():
    for structure, table in earthquake.FRAGILITY.items():
        totals = [sum(table[i]) for i in range(6, 11)]
        assert totals == sorted(totals), structure


@pytest.fixture
def quake(world):
    """A 2010 brick-concrete block of 10 residents (one bedridden), a two-storey house of
    4 residents recorded as "other"; 3 shelter places; water 3 L/person/day, 10 L held."""
    c = community(world)
    block = building(c, "B1", year=2010)
    residents(block, 1, "301", tags=["bedridden"])
    residents(block, 9, "201")
    residents(building(c, "H1", floors=2, structure="other", lng=121.402), 4, "101")
    shelter(c, capacity=3)
    norm(c, "water", "3", "L")
    stock(c, 10)
    volunteer(c, block)
    return c


@pytest.mark.django_db
def test_an_intensity_eight_earthquake_by_hand(quake):
    result = stress.run(quake, "earthquake", {"intensity": 8})
    d = result["details"]
    # block: 10 × (0.105 + 0.035 + 0.5 × 0.21) = 2.45; house (masonry): 4 × (0.25 + 0.10 +
    # 0.5 × 0.30) = 2.0 → 4.45 displaced
    assert result["shelter_places_needed"] == d["displaced"] == 4
    assert result["shelter_places_available"] == 3 and result["shelter_places_short"] == 1
    # injured: 10 × (0.002·0.21 + 0.02·0.105 + 0.3·0.035) + 4 × (0.002·0.3 + 0.02·0.25 + 0.3·0.1)
    assert d["injured"] == round(10 * 0.01302 + 4 * 0.0356)
    assert d["buildings_damaged"] == round(0.35 + 0.65, 1)
    assert result["people_affected"] == 14
    # from intensity VII everyone leaves at first: the bedridden resident is carried by two
    assert result["vulnerable_needing_help"] == 1 and result["helpers_needed"] == 2
    assert result["helpers_available"] == 1 and result["helpers_short"] == 1
    water = {r["category"]: r for r in result["supplies"]}["water"]
    assert water["needed"] == 36 and water["available"] == 10 and water["short"] == 26
    assert result["days_of_autonomy"] == 0.8  # 10 L ÷ 12 L a day
    assert result["evacuation_minutes"] is not None
    assert any("assumed" in a for a in result["assumptions"])


@pytest.mark.django_db
def test_a_stronger_earthquake_displaces_more(quake):
    weak = stress.run(quake, "earthquake", {"intensity": 6})
    strong = stress.run(quake, "earthquake", {"intensity": 10})
    assert weak["shelter_places_needed"] < strong["shelter_places_needed"]
    assert weak["details"]["injured"] <= strong["details"]["injured"]
    # at VI only the expected damage puts the bedridden resident at need: 0.7 × 0.05 → 1
    assert weak["vulnerable_needing_help"] == 1 and weak["helpers_needed"] == 1
    rows = {r["key"]: r for r in stress.compare(strong, weak)}
    assert rows["shelter_places_short"]["better"]


@pytest.mark.django_db
def test_shelter_capacity_and_stock_improve_an_earthquake(quake):
    before = stress.run(quake, "earthquake", {"intensity": 8})
    shelter(quake, "S2", capacity=30)
    stock(quake, 100)
    after = stress.run(quake, "earthquake", {"intensity": 8})
    rows = {r["key"]: r for r in stress.compare(before, after)}
    assert rows["shelter_places_short"] == {"key": "shelter_places_short", "before": 1,
                                            "after": 0, "better": True}
    assert rows["supplies.water.short"]["better"] and rows["days_of_autonomy"]["better"]
