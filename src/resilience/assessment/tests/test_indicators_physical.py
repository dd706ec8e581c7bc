"""Physical indicators against small fixtures with answers worked out by hand.

Community A of ``world`` has two residents (A1 vulnerable), buildings A1 (31.23125, 121.47125)
and A2 (31.23125, 121.47625), and shelter A (capacity 200) at (31.232, 121.472): about 110 m
from A1 and 410 m from A2.
"""
import datetime as dt

import pytest
from django.utils import timezone

from resilience.assessment.catalogue import catalogue
from resilience.assessment.tests.test_indicators_data import add_facility, add_residents


def compute(code, world, at=None):
    ids = [world.community_a.pk, world.community_b.pk]
    return catalogue()[code].compute(ids, at or timezone.now())


@pytest.fixture
def twenty(world):
    """Community A grows to 20 residents."""
    add_residents(world.community_a, world.building_a2, 18)
    return world


def test_shelter_places_per_resident_takes_the_smaller_of_places_and_area(twenty):
    profile = twenty.shelter_a.shelter
    profile.floor_area = 7  # 7 m² at 2 m² per person: 3 places, fewer than the 200 given
    profile.save()
    add_facility(twenty.community_a, "shelter", "S2", capacity=50, status="out_of_service")
    a = compute("shelter_places_per_resident", twenty)[twenty.community_a.pk]
    assert a.value == pytest.approx(3 / 20)
    assert a.inputs == {"places": 3, "residents": 20, "shelters": 1}


def test_shelter_places_of_community_b_are_its_capacity(world):
    b = compute("shelter_places_per_resident", world)[world.community_b.pk]
    assert b.value == pytest.approx(200 / 2)


def test_buildings_near_shelter_counts_located_buildings_within_500_m(world):
    from resilience.places.models import Building

    Building.objects.create(community=world.community_a, grid=world.grid_a2, code="B3",
                            name="Far", latitude=31.23125, longitude=121.485)  # ~1.3 km away
    Building.objects.create(community=world.community_a, grid=world.grid_a2, code="B4",
                            name="Unlocated")
    a = compute("buildings_near_shelter", world)[world.community_a.pk]
    assert a.value == pytest.approx(2 / 3, abs=1e-4)
    assert a.inputs["buildings_covered"] == 2 and a.inputs["buildings_located"] == 3
    assert a.inputs["buildings_unlocated"] == 1 and a.inputs["sites"] == 1


def test_buildings_near_hydrant_uses_150_m(world):
    add_facility(world.community_a, "hydrant", "H1", lat=31.23175, lng=121.47125)  # 55 m from A1
    add_facility(world.community_a, "hydrant", "H2", lat=31.23125, lng=121.47626,
                 status="out_of_service")  # beside A2 but broken
    a = compute("buildings_near_hydrant", world)
    assert a[world.community_a.pk].value == pytest.approx(0.5)
    assert a[world.community_b.pk].value == 0.0  # located buildings, no hydrant


def test_shelters_equipped_needs_water_toilets_and_power(world):
    profile = world.shelter_a.shelter
    profile.has_water = profile.has_toilets = profile.has_power = True
    profile.save()
    second = add_facility(world.community_a, "shelter", "S2", capacity=30)
    second.shelter.has_water = second.shelter.has_toilets = True  # no power
    second.shelter.save()
    a = compute("shelters_equipped", world)[world.community_a.pk]
    assert a.value == 0.5 and a.inputs == {"equipped": 1, "shelters": 2}


@pytest.fixture
def stock(world):
    """Norms water 3 L and food 1 ration per person per day; community A stores 24 bottles of
    0.5 L (12 L) and 10 rations, plus food that expired yesterday."""
    from resilience.relief import ledger
    from resilience.relief.models import Item, ReserveNorm, StockLot

    ReserveNorm.objects.create(category="water", basis="person_day", amount=3, unit="L", days=3)
    ReserveNorm.objects.create(category="food", basis="person_day", amount=1, unit="ration",
                               days=3)
    ReserveNorm.objects.create(category="blankets", basis="person", amount=1, unit="piece")
    store = add_facility(world.community_a, "warehouse", "W1")
    water = Item.objects.create(community=world.community_a, name="Water", category="water",
                                unit="bottle", per_capita_amount="0.5")
    food = Item.objects.create(community=world.community_a, name="Noodles", category="food",
                               unit="box", perishable=True)
    before = timezone.now()
    ledger.receive(water, store, 24)
    ledger.receive(food, store, 10, expires_on=timezone.localdate() + dt.timedelta(days=90))
    old = ledger.receive(food, store, 100, expires_on=timezone.localdate())
    StockLot.objects.filter(pk=old.lot_id).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1))
    return before


def test_supply_autonomy_is_the_limiting_per_day_category(world, stock):
    a = compute("supply_autonomy_days", world)[world.community_a.pk]
    # water 12 L / (3 L × 2 residents) = 2 days; food 10 / (1 × 2) = 5 days (expired lot left out)
    assert a.value == 2.0
    assert a.inputs["limiting"] == "water"
    assert a.inputs["water_days"] == 2.0 and a.inputs["food_days"] == 5.0
    assert "blankets_days" not in a.inputs  # a per person norm gives no days


def test_supply_autonomy_counts_the_ledger_as_of_the_time(world, stock):
    a = compute("supply_autonomy_days", world, at=stock)[world.community_a.pk]
    assert a.value == 0.0  # nothing had been received yet


def test_community_norm_replaces_the_default_of_its_category(world, stock):
    from resilience.relief.models import ReserveNorm

    ReserveNorm.objects.create(community=world.community_a, category="water", basis="household",
                               amount=6, unit="L")
    a = compute("supply_autonomy_days", world)[world.community_a.pk]
    assert a.value == 5.0 and a.inputs["limiting"] == "food"


def test_supply_autonomy_without_norms_has_no_value(world):
    a = compute("supply_autonomy_days", world)[world.community_a.pk]
    assert a.value is None and a.inputs["reason"] == "no_norms"


def test_aeds_per_1000_residents_counts_those_in_service(twenty):
    add_facility(twenty.community_a, "aed", "AED1")
    add_facility(twenty.community_a, "aed", "AED2")
    add_facility(twenty.community_a, "aed", "AED3", status="under_repair")
    a = compute("aeds_per_1000_residents", twenty)[twenty.community_a.pk]
    assert a.value == pytest.approx(2 / 20 * 1000)
    assert a.inputs == {"aeds": 2, "residents": 20}


def test_facilities_in_service_counts_emergency_kinds_only(world):
    add_facility(world.community_a, "hydrant", "H1")
    add_facility(world.community_a, "aed", "AED1", status="under_repair")
    add_facility(world.community_a, "pump", "P1", status="out_of_service")
    add_facility(world.community_a, "parking", "PK1", status="out_of_service")  # not counted
    a = compute("facilities_in_service", world)[world.community_a.pk]
    assert a.value == 0.5  # shelter and hydrant of shelter, hydrant, AED, pump
    assert a.inputs == {"in_service": 2, "facilities": 4}


def test_registry_rows_added_after_the_time_are_not_counted(world):
    at = timezone.now()
    add_residents(world.community_a, world.building_a1, 2)
    a = compute("shelter_places_per_resident", world, at=at)[world.community_a.pk]
    assert a.inputs["residents"] == 2
