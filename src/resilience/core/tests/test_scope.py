"""The scope matrix: each role sees exactly its scope (DESIGN §1, issue 2)."""
import pytest

from resilience.people.models import Household, Membership, Organisation, Resident, Volunteer
from resilience.places.models import Building, Community, Facility, Grid


def visible(world, user, model, action="view"):
    return set(model.objects.visible_to(world.users[user], action))


def test_staff_of_community_a_see_nothing_of_b(world):
    for model in (Building, Grid, Facility, Household, Resident, Organisation, Volunteer):
        seen = visible(world, "staff_a", model)
        assert seen, model
        assert all(obj.community_id == world.community_a.pk for obj in seen), model
    assert visible(world, "staff_a", Community) == {world.community_a}


def test_grid_worker_sees_only_residents_of_their_grids(world):
    assert visible(world, "grid_worker_a1", Resident) == {world.resident_a1}
    assert visible(world, "grid_worker_a1", Household) == {world.household_a1}


def test_grid_worker_sees_whole_community_map_but_not_other_communities(world):
    assert visible(world, "grid_worker_a1", Building) == {world.building_a1, world.building_a2}
    assert visible(world, "grid_worker_a1", Grid) == {world.grid_a1, world.grid_a2}


def test_grid_worker_may_change_buildings_of_own_grid_only(world):
    assert visible(world, "grid_worker_a1", Building, "change") == {world.building_a1}


def test_volunteer_sees_no_resident_list(world):
    assert visible(world, "volunteer_a", Resident) == set()
    assert visible(world, "volunteer_a", Household) == set()


def test_volunteer_sees_only_own_volunteer_record(world):
    assert visible(world, "volunteer_a", Volunteer) == {world.volunteer_a}


def test_street_office_sees_all_its_communities(world):
    assert visible(world, "office", Community) == {world.community_a, world.community_b}
    residents = visible(world, "office", Resident)
    assert residents == {world.resident_a1, world.resident_a2, world.resident_b1, world.resident_b2}


def test_street_office_cannot_reveal_personal_data(world):
    assert visible(world, "office", Resident, "reveal") == set()


def test_resident_sees_only_their_household(world):
    assert visible(world, "resident_a1", Household) == {world.household_a1}
    assert visible(world, "resident_a1", Resident) == {world.resident_a1}


def test_resident_sees_community_shelters(world):
    assert visible(world, "resident_a1", Facility) == {world.shelter_a}


def test_property_company_changes_only_its_facilities(world):
    assert visible(world, "property_a", Facility, "change") == {world.shelter_a}
    assert visible(world, "property_a", Resident) == set()


def test_outsider_sees_nothing(world):
    for model in (Community, Building, Resident, Facility, Membership):
        assert visible(world, "outsider", model) == set()


def test_admin_sees_everything(world):
    assert len(visible(world, "admin", Community)) == 3


@pytest.mark.parametrize("user", ["grid_worker_a1", "volunteer_a", "resident_a1", "health_a"])
def test_members_see_only_their_own_memberships(world, user):
    assert {m.user for m in visible(world, user, Membership)} == {world.users[user]}


def test_a_membership_past_its_end_grants_nothing(world):
    """A volunteer lent to community b holds a membership there until ``valid_until``; after
    that the scope lapses by itself, with no job needed to take it away."""
    import datetime as dt

    from django.utils import timezone

    from resilience.core.roles import Role
    from resilience.people.models.memberships import works_in

    lent = Membership.objects.create(user=world.users["volunteer_a"], role=Role.VOLUNTEER,
                                     community=world.community_b,
                                     valid_until=timezone.now() + dt.timedelta(hours=2))
    user = type(world.users["volunteer_a"]).objects.get(pk=world.users["volunteer_a"].pk)
    assert world.community_b in set(Community.objects.visible_to(user))
    assert works_in(user, world.community_b.pk)

    lent.valid_until = timezone.now() - dt.timedelta(seconds=1)
    lent.save()
    user = type(user).objects.get(pk=user.pk)  # memberships are cached per user object
    assert set(Community.objects.visible_to(user)) == {world.community_a}
    assert not works_in(user, world.community_b.pk)
    assert works_in(user, world.community_a.pk)
