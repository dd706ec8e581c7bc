"""Organisational indicators against small fixtures with answers worked out by hand.

In ``world`` community A has two residents in two households (A1 vulnerable, in building A1),
grid worker ``grid_worker_a1`` in grid A1 (none in A2), and volunteer A (first aid, active, home
building A1); community B has volunteer B and the vulnerable resident B1, and no grid worker.
"""
import datetime as dt

import pytest
from django.utils import timezone

from resilience.assessment.catalogue import catalogue
from resilience.assessment.tests.test_indicators_data import add_residents


def compute(code, world, at=None):
    ids = [world.community_a.pk, world.community_b.pk]
    return catalogue()[code].compute(ids, at or timezone.now())


def volunteer(world, name, *, skills=(), active=True, building=None):
    from resilience.people.models import Volunteer

    return Volunteer.objects.create(community=world.community_a, name=name, phone="13900000001",
                                    skills=list(skills), active=active, home_building=building)


def grid_worker(user, grid, valid_until=None):
    from resilience.core.roles import Role
    from resilience.people.models import Membership

    return Membership.objects.create(user=user, role=Role.GRID_WORKER, grid=grid,
                                     valid_until=valid_until)


def test_volunteers_per_1000_residents_counts_the_active(world):
    add_residents(world.community_a, world.building_a2, 18)
    volunteer(world, "Resting", active=False)
    a = compute("volunteers_per_1000_residents", world)[world.community_a.pk]
    assert a.value == pytest.approx(1 / 20 * 1000)
    assert a.inputs == {"volunteers": 1, "residents": 20}


def test_grid_workers_per_1000_households_counts_people_once_and_roles_in_force(world):
    from django.contrib.auth import get_user_model

    add_residents(world.community_a, world.building_a2, 18)
    grid_worker(world.grid_worker_a1, world.grid_a2)  # the same person in a second grid
    former = get_user_model().objects.create_user("former")
    grid_worker(former, world.grid_a2, valid_until=timezone.now() - dt.timedelta(days=1))
    result = compute("grid_workers_per_1000_households", world)
    assert result[world.community_a.pk].value == pytest.approx(1 / 20 * 1000)
    assert result[world.community_a.pk].inputs == {"grid_workers": 1, "households": 20}
    assert result[world.community_b.pk].value == 0.0


def test_grids_with_worker_is_the_share_of_staffed_grids(world):
    from django.contrib.auth import get_user_model

    former = get_user_model().objects.create_user("former")
    grid_worker(former, world.grid_a2, valid_until=timezone.now() - dt.timedelta(days=1))
    result = compute("grids_with_worker", world)
    assert result[world.community_a.pk].value == 0.5
    assert result[world.community_a.pk].inputs == {"grids_with_worker": 1, "grids": 2}
    assert result[world.community_b.pk].value == 0.0


def test_a_membership_ending_later_counts_now_but_not_after(world):
    grid_worker(world.grid_worker_a1, world.grid_a2,
                valid_until=timezone.now() + dt.timedelta(days=1))
    assert compute("grids_with_worker", world)[world.community_a.pk].value == 1.0
    later = timezone.now() + dt.timedelta(days=2)
    assert compute("grids_with_worker", world, at=later)[world.community_a.pk].value == 0.5


def test_vulnerable_with_helper_counts_pairings_in_force(world):
    from resilience.people.models import Pairing, Resident

    bedridden = add_residents(world.community_a, world.building_a2, 1, tags=["bedridden"])[0]
    elderly = add_residents(world.community_a, world.building_a2, 1, tags=["elderly_alone"])[0]
    add_residents(world.community_a, world.building_a2, 3)  # not vulnerable
    helper = volunteer(world, "Neighbour", building=world.building_a2)
    today = timezone.localdate()
    Pairing.objects.create(resident=bedridden, volunteer=helper, since=today)
    Pairing.objects.create(resident=elderly, volunteer=helper,
                           since=today - dt.timedelta(days=30), ended=today)  # ended: not counted
    a = compute("vulnerable_with_helper", world)[world.community_a.pk]
    vulnerable = Resident.objects.filter(community=world.community_a).exclude(tag_index="").count()
    assert vulnerable == 3  # A1 from the world, the bedridden and the elderly resident
    assert a.inputs == {"with_helper": 1, "vulnerable": 3}
    assert a.value == pytest.approx(1 / 3, abs=0.01)


def test_helpers_per_10_vulnerable_adds_grid_workers_and_volunteers(world):
    add_residents(world.community_a, world.building_a2, 3, tags=["elderly_alone"])
    result = compute("helpers_per_10_vulnerable", world)
    a = result[world.community_a.pk]
    assert a.value == pytest.approx(2 / 4 * 10)
    assert a.inputs == {"helpers": 2, "vulnerable": 4, "grid_workers": 1, "volunteers": 1}
    assert result[world.community_b.pk].value == pytest.approx(1 / 1 * 10)


def test_volunteers_with_care_skills_reads_the_skill_list(world):
    volunteer(world, "Driver", skills=["driving"])
    volunteer(world, "Nurse", skills=["it", "nursing"])
    volunteer(world, "Resting medic", skills=["medical"], active=False)
    a = compute("volunteers_with_care_skills", world)[world.community_a.pk]
    assert a.value == pytest.approx(2 / 3, abs=1e-4)
    assert a.inputs == {"with_care_skills": 2, "volunteers": 3}


def test_needs_met_on_time_counts_fulfilled_by_the_due_time(world):
    from resilience.relief.models import NeedRequest

    now = timezone.now()
    hour = dt.timedelta(hours=1)

    def request(due, status="open", closed=None):
        return NeedRequest.objects.create(
            community=world.community_a, household=world.household_a1,
            building=world.building_a1, grid=world.grid_a1, kind="food", due_at=due,
            status=status, closed_at=closed)

    request(now - 5 * hour, "fulfilled", now - 6 * hour)      # on time
    request(now - 5 * hour, "fulfilled", now - 4 * hour)      # late
    request(now - 5 * hour, "cannot_fulfil", now - 6 * hour)  # not met
    request(now - 5 * hour)                                   # still open, overdue
    request(now + 5 * hour)                                   # not due yet: not counted
    request(now - dt.timedelta(days=400), "fulfilled", now - dt.timedelta(days=401))  # too old
    a = compute("needs_met_on_time", world)[world.community_a.pk]
    assert a.value == 0.25 and a.inputs == {"on_time": 1, "requests_due": 4}
