"""Stress tests: the shared parts (parameters, floors, supply simulation, comparison), and the
makers of the small hand-built communities the scenario tests count on."""
from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from resilience.assessment import stress
from resilience.assessment.stress import common

_serial = itertools.count(1)


# -- makers (imported by the other stress test modules) ---------------------------------------

def community(world, code: str = "stress"):
    """An empty community with one grid, in the world's street."""
    from resilience.places.models import Community, Grid

    made = Community.objects.create(code=code, name=f"Community {code}", region=world.street,
                                    latitude=31.2, longitude=121.4)
    Grid.objects.create(community=made, code="G1", name="Grid 1")
    return made


def grid(c):
    return c.grids.get(code="G1")


def building(c, code: str = "B1", *, floors: int = 6, basement: int = 0, lift: bool = False,
             structure: str = "brick_concrete", year: int | None = None,
             lat: float | None = 31.2, lng: float | None = 121.4):
    from resilience.places.models import Building

    return Building.objects.create(community=c, grid=grid(c), code=code, name=f"Building {code}",
                                   floors=floors, basement_floors=basement, has_elevator=lift,
                                   structure=structure, year_built=year, latitude=lat,
                                   longitude=lng)


def residents(b, n: int, room: str = "101", tags: list[str] | None = None) -> list:
    """``n`` residents in one new household in ``room`` of building ``b``."""
    from resilience.people.models import Household, Resident

    number = next(_serial)
    household = Household.objects.create(community=b.community, building=b, room=room,
                                         code=f"{b.code}-{room}-{number}")
    made = []
    for i in range(n):
        r = Resident(community=b.community, household=household, name=f"R{number}-{i}",
                     sex="female", birth_date=dt.date(1960, 1, 1))
        r.tags = tags or []
        r.save()
        made.append(r)
    return made


def shelter(c, code: str = "S1", capacity: int = 2, *, lat: float = 31.2, lng: float = 121.401,
            power: bool = False):
    from resilience.places.models import Facility
    from resilience.shelters.models import Shelter

    facility = Facility.objects.create(community=c, kind="shelter", code=code,
                                       name=f"Shelter {code}", capacity=capacity, latitude=lat,
                                       longitude=lng)
    Shelter.objects.filter(facility=facility).update(has_power=power)
    return facility


def volunteer(c, b=None):
    from resilience.people.models import Volunteer

    return Volunteer.objects.create(community=c, name=f"V{next(_serial)}", phone="13900000000",
                                    home_building=b, active=True)


def grid_worker(c):
    from django.contrib.auth import get_user_model

    from resilience.core.roles import Role
    from resilience.people.models import Membership

    user = get_user_model().objects.create_user(f"gw{next(_serial)}", password="x")
    Membership.objects.create(user=user, role=Role.GRID_WORKER, grid=grid(c))
    return user


def norm(c, category: str = "water", amount: str = "3", unit: str = "L", basis: str = "person_day",
         days: int = 3):
    from resilience.relief.models import ReserveNorm

    return ReserveNorm.objects.create(community=c, category=category, basis=basis,
                                      amount=Decimal(amount), unit=unit, days=days)


def stock(c, quantity, category: str = "water", *, expires_in: int | None = None,
          name: str | None = None, unit: str = "L"):
    from resilience.places.models import Facility
    from resilience.relief import ledger
    from resilience.relief.models import Item

    warehouse, _ = Facility.objects.get_or_create(community=c, code="W1", defaults={
        "kind": "warehouse", "name": "Warehouse"})
    item, _ = Item.objects.get_or_create(community=c, name=name or f"{category} ({unit})",
                                         unit=unit, defaults={
                                             "category": category,
                                             "perishable": expires_in is not None})
    expires = (timezone.localdate() + dt.timedelta(days=expires_in)
               if expires_in is not None else None)
    ledger.receive(item, warehouse, quantity, expires_on=expires)
    return item


def archive(resident, mobility: str = "independent"):
    from resilience.health.models import HealthArchive

    return HealthArchive.objects.create(community=resident.community, resident=resident,
                                        mobility=mobility)


# -- parameters -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_bad_parameter_is_refused_naming_the_field(world):
    c = world.community_a
    for kind, params, field in (
            ("lockdown", {"days": 0}, "days"),
            ("lockdown", {"days": 91}, "days"),
            ("lockdown", {"days": "five"}, "days"),
            ("lockdown", {"days": True}, "days"),
            ("lockdown", {}, "days"),
            ("lockdown", {"days": 5, "colour": "red"}, "colour"),
            ("power_cut", {"hours": 0}, "hours"),
            ("power_cut", {"hours": 4, "grids": [world.grid_b1.pk]}, "grids"),
            ("garage_flood", {"buildings": [world.building_b1.pk]}, "buildings"),
            ("fire", {}, "building"),
            ("fire", {"building": world.building_b1.pk}, "building"),
            ("fire", {"building": [world.building_a1.pk, world.building_a2.pk]}, "building"),
            ("fire", {"building": world.building_a1.pk, "floor": 7}, "floor"),
            ("earthquake", {"intensity": 5}, "intensity"),
            ("earthquake", {"intensity": 11}, "intensity"),
            ("earthquake", {"intensity": 7.5}, "intensity"),
    ):
        with pytest.raises(ValidationError) as caught:
            stress.run(c, kind, params)
        assert field in caught.value.message_dict, (kind, params, caught.value.message_dict)


@pytest.mark.django_db
def test_an_unknown_scenario_or_parameters_that_are_not_an_object_are_refused(world):
    with pytest.raises(ValidationError) as caught:
        stress.run(world.community_a, "meteor", {})
    assert "kind" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        stress.run(world.community_a, "lockdown", [5])
    assert "parameters" in caught.value.message_dict


@pytest.mark.django_db
def test_parameters_are_cleaned_to_json_with_defaults(world):
    pk = world.building_a1.pk
    cleaned = stress.clean_params(world.community_a, "fire", {"building": str(pk)})
    assert cleaned == {"building": pk, "floor": 1}
    cleaned = stress.clean_params(world.community_a, "power_cut", {"hours": "12"})
    assert cleaned == {"hours": 12, "grids": None, "buildings": None}
    specs = [p.as_dict() for p in stress.SCENARIOS["lockdown"].parameters]
    assert specs[0]["name"] == "days" and specs[0]["minimum"] == 1 and specs[0]["maximum"] == 90


@pytest.mark.django_db
def test_every_scenario_returns_the_same_json_safe_keys(world):
    c = world.community_a
    params = {"lockdown": {"days": 3}, "power_cut": {"hours": 6}, "garage_flood": {},
              "fire": {"building": world.building_a1.pk}, "earthquake": {"intensity": 8}}
    for kind, scenario in stress.SCENARIOS.items():
        result = stress.run(c, kind, params[kind])
        assert tuple(result) == common.RESULT_KEYS, kind
        assert json.loads(json.dumps(result)) == result
        assert result["details"]["parameters"] == scenario.clean(c, params[kind])
        assert result["assumptions"] and all(isinstance(a, str) for a in result["assumptions"])


# -- floors and supplies ----------------------------------------------------------------------

def test_the_floor_is_read_from_the_room_number():
    assert common.floor_of("1203") == 12
    assert common.floor_of("101") == 1
    assert common.floor_of("2501") == 25
    assert common.floor_of("5") == 1
    assert common.floor_of("B101") == -1
    assert common.floor_of("-201") == -2
    assert common.floor_of("east") is None


def test_stock_is_used_earliest_expiry_first_and_what_expires_unused_is_lost():
    on = dt.date(2026, 1, 1)
    lots = [(on + dt.timedelta(days=1), Decimal(100)), (None, Decimal(30))]
    # 30 a day: days 0 and 1 from the expiring lot (40 of it lost on day 2), day 2 from the rest
    used, usable, lasted = common.consume(lots, Decimal(30), 5, on)
    assert used == 90 and usable == 90 and lasted == 3.0
    used, usable, lasted = common.consume([(None, Decimal(20))], Decimal(30), 5, on)
    assert used == 20 and usable == 20 and round(lasted, 3) == 0.667
    used, usable, lasted = common.consume([(None, Decimal(500))], Decimal(30), 5, on)
    assert used == 150 and usable == 500 and round(lasted, 3) == 16.667


# -- comparison -------------------------------------------------------------------------------

def test_compare_says_which_figures_got_better():
    before = {**common.new_result(), "helpers_available": 2, "helpers_needed": 5,
              "helpers_short": 3, "shelter_places_short": 10, "days_of_autonomy": 1.0,
              "supplies": [{"category": "water", "short": 130}]}
    after = {**before, "helpers_available": 4, "helpers_short": 1, "days_of_autonomy": 1.0,
             "supplies": [{"category": "water", "short": 0}]}
    rows = {r["key"]: r for r in stress.compare(before, after)}
    assert rows["helpers_available"] == {"key": "helpers_available", "before": 2, "after": 4,
                                         "better": True}
    assert rows["helpers_short"]["better"] is True
    assert rows["helpers_needed"]["better"] is False  # unchanged
    assert rows["days_of_autonomy"]["better"] is False
    assert rows["supplies.water.short"]["better"] is True
    assert "evacuation_minutes" not in rows  # not applicable in either
    assert stress.compare(after, before)[0]["better"] is False
