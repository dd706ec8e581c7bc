"""The requests and dispatch API, and the pages: scope, steps, 400s naming fields, stock refusal."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from resilience.core.testing import PASSWORD
from resilience.relief import dispatch, ledger
from resilience.relief import requests as service
from resilience.relief.models import NeedRequest, StockLot
from resilience.relief.tests.requests_helpers import food, media  # noqa: F401
from resilience.relief.tests.supplies_helpers import item, warehouse
from resilience.relief.vocab import RequestStatus

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_resident_files_for_own_household_and_not_another(world):
    resident = world.users["resident_a1"]
    response = api(resident).post("/api/requests/", {
        "household": world.household_a1.pk, "kind": "medicine", "medicine": "insulin",
        "days_left": 1}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "open" and "medicine left" in response.data[
        "priority_explained"]
    response = api(resident).post("/api/requests/", {
        "household": world.household_a2.pk, "kind": "food"}, format="json")
    assert response.status_code == 400 and "household" in response.data
    assert NeedRequest.objects.count() == 1


def test_fields_are_named_in_400s(world):
    response = api(world.staff_a).post("/api/requests/", {
        "household": world.household_a1.pk, "kind": "medical_visit"}, format="json")
    assert response.status_code == 400 and "visit_reason" in response.data
    response = api(world.staff_a).post("/api/requests/", {"kind": "food"}, format="json")
    assert response.status_code == 400 and "household" in response.data
    response = api(world.staff_b).post("/api/requests/", {
        "household": world.household_a1.pk, "kind": "food"}, format="json")
    assert response.status_code == 400 and "household" in response.data
    assert not NeedRequest.objects.exists()


def test_scope_of_lists(world):
    mine = food(world, world.users["resident_a1"])
    other = food(world, household=world.household_a2)
    assert api(world.staff_b).get("/api/requests/").data["count"] == 0
    ids = {r["id"] for r in api(world.users["resident_a1"]).get("/api/requests/").data["results"]}
    assert ids == {mine.pk}
    grid = {r["id"] for r in api(world.grid_worker_a1).get("/api/requests/").data["results"]}
    assert grid == {mine.pk}
    assert api(world.users["volunteer_a"]).get("/api/requests/").data["count"] == 0
    service.assign(other, world.staff_a, world.volunteer_a)
    ids = {r["id"] for r in api(world.users["volunteer_a"]).get("/api/requests/").data["results"]}
    assert ids == {other.pk}


def test_steps_through_the_api_and_refused_delivery(world):
    water, store = item(world.community_a), warehouse(world.community_a)
    ledger.receive(water, store, 3)
    request = food(world, item=water, quantity=Decimal(5))
    staff, volunteer = api(world.staff_a), api(world.users["volunteer_a"])
    response = staff.post(f"/api/requests/{request.pk}/assign/", {"volunteer": world.volunteer_b.pk},
                          format="json")
    assert response.status_code == 400 and "volunteer" in response.data
    response = staff.post(f"/api/requests/{request.pk}/assign/",
                          {"volunteer": world.volunteer_a.pk}, format="json")
    assert response.status_code == 200 and response.data["status"] == "assigned"
    assert volunteer.post(f"/api/requests/{request.pk}/pickup/", {}, format="json").status_code == 200
    response = volunteer.post(f"/api/requests/{request.pk}/deliver/", {}, format="json")
    assert response.status_code == 400 and "proof" in response.data
    response = volunteer.post(f"/api/requests/{request.pk}/deliver/", {"note": "ok"},
                              format="json")
    assert response.status_code == 400 and "item" in response.data
    assert StockLot.objects.get(item=water).quantity == 3
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_DELIVERY
    response = volunteer.post(f"/api/requests/{request.pk}/cannot-fulfil/", {"reason": ""},
                              format="json")
    assert response.status_code == 400 and "reason" in response.data
    response = volunteer.post(f"/api/requests/{request.pk}/cannot-fulfil/",
                              {"reason": "not enough water"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "cannot_fulfil"
    assert api(world.users["resident_a1"]).post(
        f"/api/requests/{request.pk}/pickup/", {}, format="json").status_code == 403


def test_dispatch_plan_confirm_and_mine(world):
    world.volunteer_a.availability = "anytime"
    world.volunteer_a.save()
    request = food(world)
    response = api(world.staff_b).post("/api/volunteers/dispatch/plan/",
                                       {"community": world.community_a.pk}, format="json")
    assert response.status_code == 400 and "community" in response.data
    response = api(world.grid_worker_a1).post("/api/volunteers/dispatch/plan/",
                                              {"community": world.community_a.pk}, format="json")
    assert response.status_code == 403
    response = api(world.staff_a).post("/api/volunteers/dispatch/plan/",
                                       {"community": world.community_a.pk}, format="json")
    assert response.status_code == 201, response.data
    batch = response.data["batches"][0]
    assert batch["route"] == [request.pk] and batch["status"] == "planned"
    response = api(world.staff_a).post(f"/api/volunteers/dispatch/{batch['id']}/confirm/")
    assert response.status_code == 200 and response.data["status"] == "dispatched"
    mine = api(world.users["volunteer_a"]).get("/api/volunteers/dispatch/mine/").data
    assert [s["request"] for s in mine[0]["stops"]] == [request.pk]
    assert "*" in mine[0]["stops"][0]["phone_masked"]
    assert api(world.staff_b).get("/api/volunteers/dispatch/").data["count"] == 0
    # people's volunteer API is still there beside it
    assert api(world.staff_a).get("/api/volunteers/").status_code == 200
    assert "/api/volunteers/dispatch/plan/" in api(world.staff_a).get(
        "/api/schema/", HTTP_ACCEPT="application/json").content.decode()


def page(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_pages_walk_filing_listing_dispatch_and_delivery(world):
    world.volunteer_a.availability = "anytime"
    world.volunteer_a.save()
    resident = page(world.users["resident_a1"])
    assert resident.get("/relief/requests/new/").status_code == 200
    response = resident.post("/relief/requests/new/", {
        "household": world.household_a1.pk, "kind": "food", "urgency": 3,
        "description": "rice and eggs"})
    assert response.status_code == 302, response.content.decode()[:2000]
    request = NeedRequest.objects.get()
    assert "rice and eggs" in resident.get("/relief/requests/mine/").content.decode()
    response = resident.post("/relief/requests/new/", {
        "household": world.household_a2.pk, "kind": "food", "urgency": 3})
    assert response.status_code == 400 and NeedRequest.objects.count() == 1
    staff = page(world.staff_a)
    listing = staff.get("/relief/requests/").content.decode()
    assert "urgency: within hours (+35)" in listing
    assert staff.get("/relief/needs/").status_code == 200
    assert page(world.users["resident_a1"]).get("/relief/needs/").status_code == 403
    staff.post("/relief/dispatch/plan/", {"community": world.community_a.pk})
    assert "Building A1" in staff.get("/relief/dispatch/").content.decode()
    staff.post("/relief/dispatch/confirm/", {"community": world.community_a.pk})
    volunteer = page(world.users["volunteer_a"])
    body = volunteer.get("/relief/my-deliveries/").content.decode()
    assert f'data-request="{request.pk}"' in body and "138" not in body.split("phone-")[1][:60]
    response = volunteer.post(f"/relief/my-deliveries/{request.pk}/phone/")
    assert response.status_code == 200 and "138" in response.content.decode()
    volunteer.post(f"/relief/requests/{request.pk}/step/deliver/",
                   {"note": "handed over", "next": "/relief/my-deliveries/"})
    request.refresh_from_db()
    assert request.status == RequestStatus.FULFILLED
    assert staff.get(f"/relief/requests/{request.pk}/").status_code == 200
    assert staff.get("/").status_code == 200  # dashboard panel renders
    assert dispatch.batches_of(world.users["volunteer_a"]) == []
