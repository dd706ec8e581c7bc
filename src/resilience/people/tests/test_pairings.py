"""Helper pairings (结对帮扶): rules, scope, pages and API."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.people.models import Pairing, Volunteer

pytestmark = pytest.mark.django_db


def pair(world, **extra):
    return Pairing.objects.create(resident=world.resident_a1, volunteer=world.volunteer_a, **extra)


def test_pairing_takes_the_residents_community(world):
    assert pair(world).community_id == world.community_a.pk


def test_helper_must_volunteer_in_the_residents_community(world):
    pairing = Pairing(resident=world.resident_a1, volunteer=world.volunteer_b)
    with pytest.raises(ValidationError) as caught:
        pairing.full_clean()
    assert "volunteer" in caught.value.message_dict


def test_one_open_pair_per_resident_and_volunteer_and_no_end_before_start(world):
    pair(world)
    twice = Pairing(resident=world.resident_a1, volunteer=world.volunteer_a)
    with pytest.raises(ValidationError) as caught:
        twice.full_clean()
    assert "volunteer" in caught.value.message_dict
    today = timezone.localdate()
    backwards = Pairing(resident=world.resident_a1, volunteer=world.volunteer_a, since=today,
                        ended=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        backwards.full_clean()
    assert "ended" in caught.value.message_dict


def test_inactive_volunteer_cannot_be_paired(world):
    Volunteer.objects.filter(pk=world.volunteer_a.pk).update(active=False)
    with pytest.raises(ValidationError) as caught:
        Pairing(resident=world.resident_a1, volunteer=Volunteer.objects.get(
            pk=world.volunteer_a.pk)).full_clean()
    assert "volunteer" in caught.value.message_dict


def test_scope_staff_grid_worker_volunteer_and_outsiders(world):
    pairing = pair(world)
    seen = {name: set(Pairing.objects.visible_to(world.users[name]))
            for name in ("staff_a", "staff_b", "grid_worker_a1", "volunteer_a", "resident_a1",
                         "office", "outsider")}
    assert seen["staff_a"] == {pairing}
    assert seen["staff_b"] == set()
    assert seen["office"] == {pairing}
    assert seen["resident_a1"] == set()
    assert seen["outsider"] == set()
    assert seen["volunteer_a"] == {pairing}  # their own pairings, to know whom to call
    assert seen["grid_worker_a1"] == ({pairing} if world.resident_a1.household.building.grid_id
                                      == world.grid_a1.pk else set())


def test_staff_pair_on_the_page_and_the_residents_list_finds_the_unpaired(client, world):
    client.force_login(world.users["staff_a"])
    unpaired_url = reverse("people:resident_list") + "?vulnerable=true&paired=false"
    assert world.resident_a1.name in client.get(unpaired_url).content.decode()

    add = reverse("people:pairing_add") + f"?resident={world.resident_a1.pk}"
    page = client.get(add)
    assert page.status_code == 200
    response = client.post(add, {"resident": world.resident_a1.pk,
                                 "volunteer": world.volunteer_a.pk,
                                 "since": timezone.localdate().isoformat(),
                                 "note": "calls every morning"})
    assert response.status_code == 302
    assert Pairing.objects.filter(resident=world.resident_a1, volunteer=world.volunteer_a).exists()
    client.get(reverse("people:pairing_list"))  # shows (and so clears) "Created …"
    assert world.resident_a1.name not in client.get(unpaired_url).content.decode()
    detail = client.get(world.resident_a1.get_absolute_url()).content.decode()
    assert reverse("people:pairing_list") in detail


def test_staff_cannot_pair_a_resident_of_another_community(client, world):
    client.force_login(world.users["staff_a"])
    response = client.post(reverse("people:pairing_add"), {
        "resident": world.resident_b1.pk, "volunteer": world.volunteer_a.pk,
        "since": timezone.localdate().isoformat()})
    assert response.status_code == 400  # the form again, with the error
    assert not Pairing.objects.exists()


def test_api_creates_and_refuses_with_the_field_named(world):
    api = APIClient()
    api.force_authenticate(world.users["staff_a"])
    made = api.post("/api/pairings/", {"resident": world.resident_a1.pk,
                                      "volunteer": world.volunteer_a.pk}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["community"] == world.community_a.pk
    again = api.post("/api/pairings/", {"resident": world.resident_a1.pk,
                                       "volunteer": world.volunteer_a.pk}, format="json")
    assert again.status_code == 400
    assert "volunteer" in again.json()
    assert Pairing.objects.count() == 1


def test_demo_pairs_vulnerable_neighbours_of_volunteers(world):
    from resilience.people.demo import seed_pairings

    Volunteer.objects.filter(pk=world.volunteer_a.pk).update(
        home_building=world.resident_a1.household.building)
    counts = seed_pairings(world.community_a, timezone.localdate())
    assert counts == {"helper pairings": Pairing.objects.count()}
    assert Pairing.objects.filter(resident=world.resident_a1).exists() == bool(
        world.resident_a1.tag_index)
