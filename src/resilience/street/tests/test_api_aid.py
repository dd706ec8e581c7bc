"""The mutual-aid and region-wide warning API: staff ask, the office answers; bad input is a 400
naming the field with nothing written; nobody reaches another community's or street's rows."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.alerts.models import Alert
from resilience.relief.models import StockMovement
from resilience.relief.tests.supplies_helpers import days
from resilience.street.models import (AidRequest, Broadcast, ShelterReferral, StockTransfer,
                                      VolunteerLoan)
from resilience.street.tests.helpers import stock, warehouse

BASE = "/api/street/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def ready(world):
    water_a, store_a = stock(world.community_a, 300, days(30))
    store_b = warehouse(world.community_b, "WB")
    world.objects.update(water_a=water_a, store_a=store_a, store_b=store_b)
    return world


def ask(world, **extra):
    body = {"kind": "supplies", "item_name": "Bottled water 550 ml", "unit": "bottle",
            "quantity": "200", **extra}
    return client_for(world.staff_b).post(BASE + "aid-requests/", body, format="json")


@pytest.mark.django_db
def test_staff_ask_for_their_community_and_only_they_and_the_office_see_it(ready):
    w = ready
    response = ask(w)
    assert response.status_code == 201, response.content
    assert response.json()["community"] == w.community_b.pk
    pk = response.json()["id"]
    assert client_for(w.office).get(BASE + f"aid-requests/{pk}/").status_code == 200
    assert client_for(w.staff_a).get(BASE + f"aid-requests/{pk}/").status_code == 404
    assert client_for(w.staff_a).get(BASE + "aid-requests/").json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("extra, field", [
    ({"kind": "money"}, "kind"),
    ({"quantity": "-1"}, "quantity"),
    ({"item_name": ""}, "item_name"),
    ({"community": 999999}, "community"),
])
def test_a_bad_request_is_a_400_naming_the_field(ready, extra, field):
    response = ask(ready, **extra)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not AidRequest.objects.exists()


@pytest.mark.django_db
def test_staff_cannot_ask_for_another_community(ready):
    response = ask(ready, community=ready.community_a.pk)
    assert response.status_code in (400, 403)
    assert not AidRequest.objects.exists()


@pytest.mark.django_db
def test_the_office_sees_offers_and_moves_the_stock(ready):
    w = ready
    pk = ask(w).json()["id"]
    office = client_for(w.office)
    found = office.get(BASE + f"aid-requests/{pk}/offers/").json()
    assert found[0]["community"] == w.community_a.pk and found[0]["usable"] == "300.000"
    response = office.post(BASE + "transfers/", {
        "from_item": w.water_a.pk, "from_warehouse": w.store_a.pk,
        "to_community": w.community_b.pk, "quantity": "200", "request": pk}, format="json")
    assert response.status_code == 201, response.content
    assert AidRequest.objects.get(pk=pk).status == "met"
    assert client_for(w.staff_b).get(BASE + f"aid-requests/{pk}/offers/").status_code == 403
    assert client_for(w.staff_b).get(BASE + "transfers/").json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("change, field", [
    ({"quantity": "5000"}, "quantity"),
    ({"quantity": "abc"}, "quantity"),
    ({"to_community": "community_c"}, "to_community"),
    ({"to_community": "community_a"}, "to_community"),
    ({"from_warehouse": "store_b"}, "from_warehouse"),
    ({"from_item": None}, "from_item"),
])
def test_a_bad_transfer_is_a_400_naming_the_field_and_writes_nothing(ready, change, field):
    w = ready
    body = {"from_item": w.water_a.pk, "from_warehouse": w.store_a.pk,
            "to_community": w.community_b.pk, "quantity": "10"}
    body.update({k: (getattr(w, v).pk if isinstance(v, str) and k != "quantity" else v)
                 for k, v in change.items()})
    moves = StockMovement.objects.count()
    response = client_for(w.office).post(BASE + "transfers/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert StockMovement.objects.count() == moves and not StockTransfer.objects.exists()


@pytest.mark.django_db
def test_staff_cannot_record_a_transfer(ready):
    w = ready
    response = client_for(w.staff_a).post(BASE + "transfers/", {
        "from_item": w.water_a.pk, "from_warehouse": w.store_a.pk,
        "to_community": w.community_b.pk, "quantity": "10"}, format="json")
    assert response.status_code in (400, 403)
    assert not StockTransfer.objects.exists()


@pytest.mark.django_db
def test_loans_through_the_api_and_ending_one(world):
    office = client_for(world.office)
    ends = (timezone.now() + dt.timedelta(hours=6)).isoformat()
    response = office.post(BASE + "loans/", {"volunteers": [world.volunteer_a.pk],
                                             "to_community": world.community_b.pk,
                                             "ends": ends}, format="json")
    assert response.status_code == 201, response.content
    loan = response.json()[0]["id"]
    again = office.post(BASE + "loans/", {"volunteers": [world.volunteer_a.pk],
                                          "to_community": world.community_b.pk, "ends": ends},
                        format="json")
    assert again.status_code == 400 and "volunteers" in again.json()
    far = office.post(BASE + "loans/", {"volunteers": [world.volunteer_c.pk],
                                        "to_community": world.community_b.pk, "ends": ends},
                      format="json")
    assert far.status_code == 400 and "volunteers" in far.json()
    assert office.post(BASE + f"loans/{loan}/end/").json()["status"] == "ended"
    assert VolunteerLoan.objects.count() == 1


@pytest.mark.django_db
def test_referrals_through_the_api(world):
    from resilience.shelters.models import Shelter

    office = client_for(world.office)
    shelter_b = Shelter.objects.get(facility=world.shelter_b)
    ok = office.post(BASE + "referrals/", {"from_community": world.community_a.pk,
                                           "shelter": shelter_b.pk, "places": "20"},
                     format="json")
    assert ok.status_code == 201, ok.content
    too_many = office.post(BASE + "referrals/", {"from_community": world.community_a.pk,
                                                 "shelter": shelter_b.pk, "places": "5000"},
                           format="json")
    assert too_many.status_code == 400 and "places" in too_many.json()
    assert ShelterReferral.objects.count() == 1


@pytest.mark.django_db
def test_broadcasts_through_the_api(world):
    office = client_for(world.office)
    body = {"all": True, "region": world.street.pk, "level": 4, "event_type": "rainstorm",
            "headline": "Rainstorm", "description": "Heavy rain tonight."}
    response = office.post(BASE + "broadcasts/", body, format="json")
    assert response.status_code == 201, response.content
    parts = response.json()["parts"]
    assert {p["community"] for p in parts} == {world.community_a.pk, world.community_b.pk}
    outside = office.post(BASE + "broadcasts/", {**body, "all": False, "region": None,
                                                 "communities": [world.community_c.pk]},
                          format="json")
    assert outside.status_code == 400 and "communities" in outside.json()
    bad = office.post(BASE + "broadcasts/", {**body, "level": 7}, format="json")
    assert bad.status_code == 400 and "level" in bad.json()
    relay = office.post(BASE + "broadcasts/", {
        "source": parts[0]["alert"], "communities": [world.community_a.pk,
                                                     world.community_b.pk]}, format="json")
    assert relay.status_code == 201, relay.content
    assert Broadcast.objects.count() == 2 and Alert.objects.count() == 3
    staff = client_for(world.staff_a)
    assert staff.get(BASE + "broadcasts/").json()["count"] == 0
    assert staff.post(BASE + "broadcasts/", body, format="json").status_code in (400, 403)


@pytest.mark.django_db
def test_staff_withdraw_their_request_with_patch(ready):
    pk = ask(ready).json()["id"]
    staff = client_for(ready.staff_b)
    bad = staff.patch(BASE + f"aid-requests/{pk}/", {"status": "met"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()
    done = staff.patch(BASE + f"aid-requests/{pk}/", {"status": "cancelled"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    again = staff.patch(BASE + f"aid-requests/{pk}/", {"status": "cancelled"}, format="json")
    assert again.status_code == 400 and "status" in again.json()
    other = client_for(ready.staff_a).patch(BASE + f"aid-requests/{pk}/",
                                            {"status": "cancelled"}, format="json")
    assert other.status_code == 404
