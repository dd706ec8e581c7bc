"""Lockdown stress test: supplies × days against expiring stock, helpers, medication."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from resilience.assessment import stress
from resilience.assessment.stress.common import VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY
from resilience.assessment.tests.test_stress_common import (
    archive, building, community, norm, residents, shelter, stock, volunteer,
)


@pytest.fixture
def ten(world):
    """10 residents (3 vulnerable households), 2 shelter places, 3 L water/person/day, 20 L."""
    c = community(world)
    b = building(c)
    residents(b, 4, "101")
    residents(b, 3, "201")
    for room in ("301", "401", "501"):
        residents(b, 1, room, tags=["elderly_alone"])
    shelter(c, capacity=2)
    norm(c, "water", "3", "L")
    stock(c, 20)
    volunteer(c, b)
    return c


def by_category(result):
    return {row["category"]: row for row in result["supplies"]}


@pytest.mark.django_db
def test_water_for_ten_people_for_five_days_against_twenty_litres(ten):
    result = stress.run(ten, "lockdown", {"days": 5})
    water = by_category(result)["water"]
    assert water == {"category": "water", "needed": 150, "available": 20, "short": 130,
                     "unit": "L", "days": 0.7}
    assert result["days_of_autonomy"] == 0.7  # 20 L ÷ 30 L a day
    assert result["people_affected"] == 10
    assert result["details"]["categories_short"] == ["water"]
    assert result["details"]["limiting_category"] == "water"
    # a lockdown moves nobody: shelters and evacuation do not apply
    assert result["shelter_places_needed"] is None and result["shelter_places_short"] is None
    assert result["evacuation_minutes"] is None


@pytest.mark.django_db
def test_stock_expiring_during_the_lockdown_counts_only_until_it_expires(ten):
    stock(ten, 100, expires_in=1, name="Bottled water")
    result = stress.run(ten, "lockdown", {"days": 5})
    water = by_category(result)["water"]
    # 30 L a day: the 100 L lot covers days 0–1 (40 L expire on day 2), then 20 L is left
    # for two thirds of day 2: 80 L usable of 120 L held
    assert water["available"] == 80 and water["short"] == 70
    assert result["days_of_autonomy"] == 2.7


@pytest.mark.django_db
def test_vulnerable_households_need_one_helper_per_five(ten):
    result = stress.run(ten, "lockdown", {"days": 3})
    assert result["vulnerable_needing_help"] == 3
    assert result["details"]["vulnerable_households"] == 3
    assert result["helpers_needed"] == 1 and result["helpers_available"] == 1
    assert result["helpers_short"] == 0
    b = ten.buildings.get()
    for room in ("601", "602", "603", "604", "605", "606", "607"):
        residents(b, 1, room, tags=["disabled"])
    result = stress.run(ten, "lockdown", {"days": 3})
    assert result["details"]["vulnerable_households"] == 10
    assert result["helpers_needed"] == 10 // VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY == 2
    assert result["helpers_short"] == 1


@pytest.mark.django_db
def test_residents_short_of_medication_are_counted_never_named(ten):
    from resilience.health.models import Medication

    people = list(ten.residents.order_by("pk"))
    today = timezone.localdate()
    Medication.objects.create(archive=archive(people[0]), name="Metformin", days_supply=3,
                              recorded_on=today)
    # 10 days recorded a week ago: 3 left
    Medication.objects.create(archive=archive(people[1]), name="Amlodipine", days_supply=10,
                              recorded_on=today - dt.timedelta(days=7))
    Medication.objects.create(archive=archive(people[2]), name="Insulin", days_supply=30,
                              recorded_on=today)
    result = stress.run(ten, "lockdown", {"days": 5})
    assert result["details"]["medication_short"] == 2
    assert stress.run(ten, "lockdown", {"days": 2})["details"]["medication_short"] == 0
    text = str(result)
    assert "Metformin" not in text and "Amlodipine" not in text and "R1-0" not in text


@pytest.mark.django_db
def test_dialysis_patients_need_trips_three_times_a_week(ten):
    b = ten.buildings.get()
    residents(b, 1, "701", tags=["dialysis"])
    result = stress.run(ten, "lockdown", {"days": 14})
    assert result["details"]["dialysis_residents"] == 1
    assert result["details"]["dialysis_trips"] == 6


@pytest.mark.django_db
def test_other_norms_are_needed_once_not_per_day(ten):
    norm(ten, "medical_kit", "1", "kit", basis="household")
    stock(ten, 2, "medical_kit", unit="kit")
    kits = by_category(stress.run(ten, "lockdown", {"days": 10}))["medical_kit"]
    assert kits == {"category": "medical_kit", "needed": 5, "available": 2, "short": 3,
                    "unit": "kit", "days": None}


@pytest.mark.django_db
def test_adding_stock_and_helpers_improves_the_result(ten):
    before = stress.run(ten, "lockdown", {"days": 5})
    stock(ten, 200)
    volunteer(ten)
    after = stress.run(ten, "lockdown", {"days": 5})
    rows = {r["key"]: r for r in stress.compare(before, after)}
    assert rows["supplies.water.short"] == {"key": "supplies.water.short", "before": 130,
                                            "after": 0, "better": True}
    assert rows["days_of_autonomy"]["better"] and rows["days_of_autonomy"]["after"] == 7.3
    assert rows["helpers_available"]["better"]
    assert not rows["people_affected"]["better"]


@pytest.mark.django_db
def test_without_installed_norms_the_built_in_defaults_are_used(world):
    c = community(world, "bare")
    residents(building(c), 2)
    result = stress.run(c, "lockdown", {"days": 3})
    water = by_category(result)["water"]
    assert water["needed"] == 18 and water["short"] == 18  # 3 L × 2 people × 3 days
    assert any("built-in" in a for a in result["assumptions"])


@pytest.mark.django_db
def test_the_start_time_decides_which_stock_has_expired(ten):
    stock(ten, 100, expires_in=10, name="Bottled water")
    later = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=20), dt.time(9))
    result = stress.run(ten, "lockdown", {"days": 5}, at=later)  # a naive time is local
    assert by_category(result)["water"]["available"] == 20  # the bottles expired by then
    now = by_category(stress.run(ten, "lockdown", {"days": 5}))["water"]
    assert now["available"] == 120 and now["short"] == 30


@pytest.mark.django_db
def test_a_community_without_residents_has_no_days_to_count(world):
    c = community(world, "empty")
    norm(c, "water", "3", "L")
    stock(c, 20)
    result = stress.run(c, "lockdown", {"days": 5})
    assert result["people_affected"] == 0 and result["days_of_autonomy"] is None
    assert by_category(result)["water"]["short"] == 0
