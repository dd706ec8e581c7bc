"""Check-in and check-out: no over-filling, status follows occupancy, scope decides who may."""
from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from resilience.people.models import Resident
from resilience.shelters import checkin
from resilience.shelters.models import Shelter, ShelterStatus, Stay


def make_shelter(facility, status=ShelterStatus.OPEN, capacity=None, **fields) -> Shelter:
    if capacity is not None:
        facility.capacity = capacity
        facility.save()
    shelter = Shelter.objects.get(facility=facility)  # every shelter facility has a profile
    Shelter.objects.filter(pk=shelter.pk).update(status=status, **fields)
    shelter.refresh_from_db()
    return shelter


@pytest.mark.django_db
def test_a_new_shelter_facility_gets_a_closed_profile_and_others_none(world):
    assert Shelter.objects.get(facility=world.shelter_a).status == ShelterStatus.CLOSED
    world.shelter_a.save()
    assert Shelter.objects.filter(facility=world.shelter_a).count() == 1
    assert not Shelter.objects.exclude(facility__kind="shelter").exists()


@pytest.mark.django_db
def test_effective_capacity_is_the_smaller_of_places_and_area(world, settings):
    shelter = make_shelter(world.shelter_a, floor_area=300)  # 200 places, 300 m² / 2 = 150
    assert shelter.area_capacity == 150 and shelter.effective_capacity == 150
    settings.SHELTER_M2_PER_PERSON = 1.5
    assert shelter.effective_capacity == 200
    shelter.floor_area = None
    assert shelter.effective_capacity == 200


@pytest.mark.django_db
def test_a_closed_shelter_refuses_check_in(world):
    shelter = make_shelter(world.shelter_a, status=ShelterStatus.CLOSED)
    with pytest.raises(ValidationError, match="is closed"):
        checkin.check_in(shelter, user=world.staff_a, resident=world.resident_a1)
    assert not Stay.objects.exists()


@pytest.mark.django_db
def test_the_shelter_fills_then_refuses_then_opens_again_when_someone_leaves(world):
    shelter = make_shelter(world.shelter_a, capacity=2)
    first = checkin.check_in(shelter, user=world.staff_a, resident=world.resident_a1)
    checkin.check_in(shelter, user=world.staff_a, walk_in_name="Li Wei", walk_in_phone="13912345678")
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.FULL and shelter.occupancy == 2
    with pytest.raises(ValidationError, match="is full .2 of 2 places taken.*Resident A2"):
        checkin.check_in(shelter, user=world.staff_a, resident=world.resident_a2)
    checkin.check_out(first, user=world.staff_a)
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.OPEN and shelter.occupancy == 1
    checkin.check_in(shelter, user=world.staff_a, resident=world.resident_a2)
    with pytest.raises(ValidationError, match="already checked out"):
        checkin.check_out(first, user=world.staff_a)


@pytest.mark.django_db
def test_a_walk_in_phone_is_stored_encrypted(world):
    shelter = make_shelter(world.shelter_a)
    stay = checkin.check_in(shelter, user=world.users['volunteer_a'], walk_in_name="Li Wei",
                            walk_in_phone="13912345678")
    raw = Stay.objects.filter(pk=stay.pk).values_list("walk_in_phone", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT walk_in_phone FROM shelters_stay WHERE id = %s", [stay.pk])
        stored = cursor.fetchone()[0]
    assert "13912345678" not in stored and list(raw) == ["13912345678"]


@pytest.mark.django_db
def test_a_resident_cannot_be_in_two_shelters_at_once(world):
    first, second = make_shelter(world.shelter_a), make_shelter(world.shelter_b)
    checkin.check_in(first, user=world.admin, resident=world.resident_a1)
    with pytest.raises(ValidationError, match="already checked in at Shelter A"):
        checkin.check_in(second, user=world.admin, resident=world.resident_a1)


@pytest.mark.django_db
def test_check_in_needs_a_resident_or_a_name(world):
    with pytest.raises(ValidationError, match="walk-in's name"):
        checkin.check_in(make_shelter(world.shelter_a), user=world.staff_a)


@pytest.mark.django_db
def test_someone_outside_the_community_cannot_check_people_in(world):
    shelter = make_shelter(world.shelter_a)
    for user in (world.staff_b, world.users['resident_a1'], world.outsider):
        with pytest.raises(PermissionDenied):
            checkin.check_in(shelter, user=user, walk_in_name="Li Wei")
    assert not Stay.objects.exists()


@pytest.mark.django_db
def test_only_staff_open_and_close_a_shelter(world):
    shelter = make_shelter(world.shelter_a, status=ShelterStatus.CLOSED)
    with pytest.raises(PermissionDenied):
        checkin.open_shelter(shelter, user=world.users['volunteer_a'])
    assert checkin.open_shelter(shelter, user=world.staff_a).status == ShelterStatus.OPEN
    assert checkin.close_shelter(shelter, user=world.staff_a).status == ShelterStatus.CLOSED


@pytest.mark.django_db
def test_residents_are_found_by_name_or_by_exact_id_number(world):
    qs = Resident.objects.all()
    assert list(checkin.find_residents(qs, "resident a1")) == [world.resident_a1]
    assert list(checkin.find_residents(qs, world.resident_b2.id_number)) == [world.resident_b2]
    assert not checkin.find_residents(qs, world.resident_b2.id_number[:-1] + "X").exists()
    assert not checkin.find_residents(qs, "  ").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_never_over_fill_a_shelter(world):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent check-ins need PostgreSQL (row locks); SQLite has one writer at "
                    "a time. Runs when the suite runs on PostgreSQL (DATABASE_URL).")
    shelter = make_shelter(world.shelter_a, capacity=5)
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def arrive(i: int) -> None:
        try:
            start.wait()
            checkin.check_in(shelter, walk_in_name=f"Walk-in {i}")
            outcomes.append("in")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=arrive, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    shelter.refresh_from_db()
    assert outcomes.count("in") == 5 and outcomes.count("refused") == 7
    assert Stay.objects.filter(shelter=shelter, checked_out_at__isnull=True).count() == 5
    assert shelter.status == ShelterStatus.FULL


@pytest.mark.django_db
def test_a_shelter_whose_capacity_was_lowered_is_marked_full_at_the_next_arrival(world):
    shelter = make_shelter(world.shelter_a, capacity=3)
    checkin.check_in(shelter, user=world.staff_a, walk_in_name="One")
    checkin.check_in(shelter, user=world.staff_a, walk_in_name="Two")
    world.shelter_a.capacity = 2
    world.shelter_a.save()
    with pytest.raises(ValidationError, match="is full"):
        checkin.check_in(shelter, user=world.staff_a, walk_in_name="Three")
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.FULL and shelter.occupancy == 2
