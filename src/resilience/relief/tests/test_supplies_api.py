"""The supplies, purchases and surveys API and pages: scope, ledger refusals as 400s naming the
field, router prefixes, schema, and the demo data."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.relief import ledger, norms, surveys
from resilience.relief.models import (Distribution, GroupPurchase, Item, StockLot,
                                      StockMovement, Survey, SurveyResponse)
from resilience.relief.tests.supplies_helpers import days, item, warehouse
from resilience.relief.vocab import QuestionKind

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def page(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def stock(world):
    c = world.community_a
    w1, w2 = warehouse(c, "W1"), warehouse(c, "W2")
    water = item(c, perishable=True, per_capita_amount=Decimal("0.55"))
    ledger.receive(water, w1, 20, expires_on=days(10))
    ledger.receive(water, w1, 5, expires_on=days(60))
    return c, w1, w2, water


def test_stock_per_item_and_warehouse_is_scoped(world, stock):
    _c, w1, _w2, water = stock
    rows = api(world.staff_a).get("/api/supplies/").data
    assert [(r["item"], r["warehouse"], Decimal(r["usable"])) for r in rows] == [
        (water.pk, w1.pk, Decimal("25"))]
    assert len(rows[0]["lots"]) == 2
    assert api(world.staff_b).get("/api/supplies/").data == []
    assert api(world.grid_worker_a1).get("/api/supplies/").status_code == 200
    assert len(api(world.grid_worker_a1).get("/api/supplies/").data) == 1
    assert api(world.users["resident_a1"]).get("/api/supplies/").data == []
    assert api(world.staff_b).get("/api/supplies/items/").data["results"] == []


def test_router_prefixes_do_not_clash(world, stock):
    staff = api(world.staff_a)
    assert staff.get("/api/supplies/items/").data["results"][0]["name"] == stock[3].name
    assert staff.get("/api/supplies/movements/").data["results"][0]["kind"] == "in"
    assert staff.get("/api/supplies/autonomy/").status_code == 200
    assert staff.get("/api/supplies/lots/").status_code == 200


def test_movements_go_through_the_ledger(world, stock):
    _c, w1, w2, water = stock
    staff = api(world.staff_a)
    out = staff.post("/api/supplies/movements/", {"kind": "out", "item": water.pk,
                                                  "warehouse": w1.pk, "quantity": "22"},
                     format="json")
    assert out.status_code == 201, out.data
    assert [Decimal(m["quantity"]) for m in out.data] == [Decimal("-20"), Decimal("-2")]
    moved = staff.post("/api/supplies/movements/", {"kind": "transfer", "item": water.pk,
                                                    "warehouse": w1.pk, "destination": w2.pk,
                                                    "quantity": "1"}, format="json")
    assert moved.status_code == 201 and moved.data[0]["transfer_key"]
    lot = StockLot.objects.get(warehouse=w2)
    counted = staff.post("/api/supplies/movements/", {"kind": "count", "lot": lot.pk,
                                                      "counted": "0"}, format="json")
    assert counted.status_code == 201 and Decimal(counted.data[0]["quantity"]) == -1


@pytest.mark.parametrize("body,field", [
    ({"kind": "out", "quantity": "26"}, "quantity"),  # more than there is
    ({"kind": "out", "quantity": "-1"}, "quantity"),
    ({"kind": "in", "quantity": "1", "expires_on": "2000-01-01"}, "expires_on"),
    ({"kind": "transfer", "quantity": "1", "destination": "same"}, "destination"),
    ({"kind": "in", "quantity": "1", "warehouse": "shelter"}, "warehouse"),
    ({"kind": "in", "quantity": "1", "warehouse": "other"}, "warehouse"),
    ({"kind": "in", "quantity": "1", "item": 0}, "item"),
])
def test_bad_movements_are_400_naming_the_field_and_change_nothing(world, stock, body, field):
    _c, w1, _w2, water = stock
    other = warehouse(world.community_b, "WB")
    places = {"same": w1.pk, "shelter": world.shelter_a.pk, "other": other.pk}
    data = {"item": water.pk, "warehouse": w1.pk, **body}
    for key in ("warehouse", "destination"):
        if data.get(key) in places:
            data[key] = places[data[key]]
    if body.get("expires_on"):
        data["expires_on"] = body["expires_on"]
    before = (StockMovement.objects.count(), list(StockLot.objects.values_list("quantity")))
    response = api(world.staff_a).post("/api/supplies/movements/", data, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert (StockMovement.objects.count(), list(StockLot.objects.values_list("quantity"))) == before


def test_expired_stock_is_not_issued_by_the_api(world, stock):
    _c, w1, _w2, water = stock
    StockLot.objects.filter(expires_on=days(10)).update(expires_on=days(-1))
    StockLot.objects.filter(expires_on=days(60)).update(expires_on=days(-2))
    response = api(world.staff_a).post("/api/supplies/movements/", {
        "kind": "out", "item": water.pk, "warehouse": w1.pk, "quantity": "1"}, format="json")
    assert response.status_code == 400 and "expired" in str(response.data["quantity"])


def test_only_staff_record_movements(world, stock):
    _c, w1, _w2, water = stock
    body = {"kind": "in", "item": water.pk, "warehouse": w1.pk, "quantity": "1",
            "expires_on": str(days(5))}
    assert api(world.grid_worker_a1).post("/api/supplies/movements/", body,
                                          format="json").status_code == 403
    assert api(world.staff_b).post("/api/supplies/movements/", body,
                                   format="json").status_code in (400, 403)
    assert StockMovement.objects.count() == 2


def test_autonomy_api(world, stock):
    norms.install_defaults()
    data = api(world.staff_a).get("/api/supplies/autonomy/").data
    assert [d["community"] for d in data] == [world.community_a.pk]
    water = next(r for r in data[0]["categories"] if r["category"] == "water")
    # 25 bottles × 0.55 L = 13.75 L ÷ (3 L × 2 residents) = 2.3 days
    assert Decimal(water["days"]) == Decimal("2.3") and data[0]["residents"] == 2
    assert api(world.users["resident_a1"]).get("/api/supplies/autonomy/").status_code == 403


def test_distribution_api_issues_stock(world, stock):
    _c, w1, _w2, water = stock
    body = {"item": water.pk, "warehouse": w1.pk, "building": world.building_a1.pk,
            "household": world.household_a1.pk, "quantity": "3"}
    made = api(world.grid_worker_a1).post("/api/supplies/distributions/", body, format="json")
    assert made.status_code == 201, made.data
    assert Distribution.objects.get().movements.count() == 1
    too_much = api(world.staff_a).post("/api/supplies/distributions/",
                                       {**body, "quantity": "100"}, format="json")
    assert too_much.status_code == 400 and "quantity" in too_much.data
    outside = api(world.grid_worker_a1).post("/api/supplies/distributions/", {
        **body, "building": world.building_a2.pk, "household": None}, format="json")
    assert outside.status_code == 403 and Distribution.objects.count() == 1
    totals = api(world.staff_a).get("/api/supplies/distributions/totals/").data
    assert totals[0]["building_name"] == "Building A1"


def test_group_purchase_api(world):
    staff = api(world.staff_a)
    closes = (timezone.now() + dt.timedelta(days=1)).isoformat()
    made = staff.post("/api/purchases/", {"community": world.community_a.pk,
                                          "building": world.building_a1.pk, "title": "Eggs",
                                          "order_by": closes}, format="json")
    assert made.status_code == 201, made.data
    pk = made.data["id"]
    line = staff.post(f"/api/purchases/{pk}/lines/", {"name": "Eggs", "unit": "tray",
                                                      "price": "28", "max_per_household": 1},
                      format="json").data
    resident = api(world.users["resident_a1"])
    too_many = resident.post(f"/api/purchases/{pk}/order/", {"quantities": {line["id"]: 2}},
                             format="json")
    assert too_many.status_code == 400 and f"line_{line['id']}" in too_many.data
    assert resident.post(f"/api/purchases/{pk}/order/", {"quantities": {line["id"]: 1}},
                         format="json").status_code == 200
    assert staff.get(f"/api/purchases/{pk}/totals/").data["lines"][0]["quantity"] == 1
    assert resident.post(f"/api/purchases/{pk}/status/", {"status": "ordered"},
                         format="json").status_code == 403
    assert staff.post(f"/api/purchases/{pk}/status/", {"status": "ordered"},
                      format="json").data["status"] == "ordered"
    assert api(world.staff_b).get(f"/api/purchases/{pk}/").status_code == 404
    assert GroupPurchase.objects.get().status == "ordered"


def test_survey_api_answers_and_results(world):
    staff = api(world.staff_a)
    survey = staff.post("/api/surveys/", {"community": world.community_a.pk, "title": "Needs"},
                        format="json").data
    question = staff.post(f"/api/surveys/{survey['id']}/questions/", {
        "text": "Need?", "kind": "choice", "choices": ["food", "none"],
        "needs": {"food": "food"}}, format="json")
    assert question.status_code == 201, question.data
    qid = str(question.data["id"])
    resident = api(world.users["resident_a1"])
    assert resident.get("/api/surveys/").data["results"] == []  # still a draft
    assert staff.post(f"/api/surveys/{survey['id']}/status/", {"status": "open"},
                      format="json").data["status"] == "open"
    assert [s["id"] for s in resident.get("/api/surveys/").data["results"]] == [survey["id"]]
    bad = resident.post(f"/api/surveys/{survey['id']}/responses/",
                        {"answers": {qid: "gold"}}, format="json")
    assert bad.status_code == 400 and "Need?" in bad.data["answers"][qid][0]
    assert not SurveyResponse.objects.exists()
    good = resident.post(f"/api/surveys/{survey['id']}/responses/",
                         {"answers": {qid: "food"}}, format="json")
    assert good.status_code == 201, good.data
    outside = staff.post(f"/api/surveys/{survey['id']}/responses/", {
        "answers": {qid: "food"}, "household": world.household_b1.pk}, format="json")
    assert outside.status_code == 400 and "household" in outside.data
    results = staff.get(f"/api/surveys/{survey['id']}/results/").data
    assert results["needs"][0]["need"] == "food" and results["responses"] == 1
    assert resident.get(f"/api/surveys/{survey['id']}/results/").status_code == 403


def test_the_schema_lists_the_relief_endpoints(world):
    schema = api(world.users["admin"]).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"] if hasattr(schema, "json") else {}
    for path in ("/api/supplies/", "/api/supplies/movements/", "/api/supplies/autonomy/",
                 "/api/purchases/{id}/order/", "/api/surveys/{id}/results/"):
        assert path in paths


# -- pages ---------------------------------------------------------------------------------

def test_stock_pages_for_staff_and_grid_worker_not_residents(world, stock):
    _c, w1, _w2, water = stock
    norms.install_defaults()
    lot = StockLot.objects.first()
    for url in ("/relief/stock/", f"/relief/stock/lots/{lot.pk}/", "/relief/stock/expiring/",
                "/relief/autonomy/", "/relief/items/", f"/relief/items/{water.pk}/",
                "/relief/norms/"):
        assert page(world.staff_a).get(url).status_code == 200, url
        assert page(world.grid_worker_a1).get(url).status_code == 200, url
        assert page(world.users["resident_a1"]).get(url).status_code in (403, 404), url
    assert water.name.encode() not in page(world.staff_b).get("/relief/stock/").content
    assert page(world.staff_b).get(f"/relief/stock/lots/{lot.pk}/").status_code == 404
    assert page(world.grid_worker_a1).get("/relief/stock/in/").status_code == 403
    for url in ("/relief/distributions/", "/relief/distributions/totals/"):
        assert page(world.grid_worker_a1).get(url).status_code == 200, url
        assert page(world.staff_b).get(url).status_code == 200, url


def test_residents_see_only_their_households_distributions(world, stock):
    from resilience.relief import distributions

    _c, w1, _w2, water = stock
    distributions.distribute(item=water, warehouse=w1, building=world.building_a1,
                             household=world.household_a1, quantity=1, note="mine")
    distributions.distribute(item=water, warehouse=w1, building=world.building_a2,
                             household=world.household_a2, quantity=1, note="theirs")
    mine = page(world.users["resident_a1"]).get("/relief/distributions/")
    assert mine.status_code == 200
    assert Distribution.objects.visible_to(world.users["resident_a1"]).count() == 1
    assert page(world.staff_b).get("/relief/distributions/").content.count(b"Building A") == 0


def test_receive_issue_and_count_pages(world, stock):
    _c, w1, w2, water = stock
    staff = page(world.staff_a)
    refused = staff.post("/relief/stock/out/", {"item": water.pk, "warehouse": w1.pk,
                                                "quantity": "100"})
    assert refused.status_code == 400 and b"Only 25" in refused.content
    same = staff.post("/relief/stock/transfer/", {"item": water.pk, "warehouse": w1.pk,
                                                  "destination": w1.pk, "quantity": "1"})
    assert same.status_code == 400
    assert staff.post("/relief/stock/in/", {"item": water.pk, "warehouse": w2.pk, "quantity": "4",
                                            "expires_on": str(days(40))}).status_code == 302
    lot = StockLot.objects.get(warehouse=w2)
    assert staff.post(f"/relief/stock/lots/{lot.pk}/", {"counted": "3"}).status_code == 302
    assert StockLot.objects.get(pk=lot.pk).quantity == 3
    assert staff.get(f"/relief/stock/lots/{lot.pk}/").content.count(b"<tr>") >= 3


def test_distribution_page_refuses_short_stock(world, stock):
    _c, w1, _w2, water = stock
    body = {"item": water.pk, "warehouse": w1.pk, "building": world.building_a1.pk,
            "quantity": "30"}
    assert page(world.staff_a).post("/relief/distributions/add/", body).status_code == 400
    body["quantity"] = "2"
    assert page(world.staff_a).post("/relief/distributions/add/", body).status_code == 302
    assert Distribution.objects.count() == 1


def test_resident_answers_a_survey_on_the_phone_page(world):
    survey = Survey.objects.create(community=world.community_a, title="Food check A1",
                                   building=world.building_a1)
    q = surveys.add_question(survey, text="How many days of food?", kind=QuestionKind.NUMBER,
                             min_value=Decimal(0), max_value=Decimal(30))
    surveys.open_survey(survey)
    resident = page(world.users["resident_a1"])
    assert b"Food check A1" in resident.get("/relief/surveys/mine/").content
    bad = resident.post(f"/relief/surveys/{survey.pk}/answer/", {f"q_{q.pk}": "99"})
    assert bad.status_code == 400 and b"at most 30" in bad.content
    assert resident.post(f"/relief/surveys/{survey.pk}/answer/",
                         {f"q_{q.pk}": "4"}).status_code == 302
    assert SurveyResponse.objects.get().answers == {str(q.pk): 4}
    from django.contrib.auth import get_user_model

    from resilience.people.models import Membership

    neighbour = get_user_model().objects.create_user("resident_a2")
    Membership.objects.create(user=neighbour, role="resident", household=world.household_a2)
    assert page(neighbour).get(f"/relief/surveys/{survey.pk}/answer/").status_code == 404
    assert b"Food check A1" not in page(neighbour).get("/relief/surveys/mine/").content
    paper = page(world.grid_worker_a1).get(f"/relief/surveys/{survey.pk}/paper/",
                                           {"household": world.household_a1.pk})
    assert paper.status_code == 200
    assert page(world.staff_a).get(f"/relief/surveys/{survey.pk}/results/").status_code == 200


def test_resident_orders_on_the_phone_page(world):
    p = GroupPurchase.objects.create(community=world.community_a, building=world.building_a1,
                                     title="Veg")
    from resilience.relief import purchases

    line = purchases.add_line(p, name="Box", unit="box", max_per_household=2)
    resident = page(world.users["resident_a1"])
    assert resident.post(f"/relief/purchases/{p.pk}/order/",
                         {f"line_{line.pk}": "3"}).status_code == 400
    assert resident.post(f"/relief/purchases/{p.pk}/order/",
                         {f"line_{line.pk}": "2"}).status_code == 302
    assert page(world.staff_a).get(f"/relief/purchases/{p.pk}/").status_code == 200
    assert page(world.grid_worker_a1).get(f"/relief/purchases/{p.pk}/order/").status_code == 403


def test_demo_seeds_supplies_once(world):
    from resilience.relief.demo_supplies import seed_supplies

    made = seed_supplies(world.community_a)
    assert made["items"] == 15 and made["surveys"] == 1 and made["group_purchases"] == 1
    assert seed_supplies(world.community_a) == {}
    today = timezone.localdate()
    assert StockLot.objects.filter(expires_on__lt=today, quantity__gt=0).count() == 1
    assert ledger.expiring(StockLot.objects.all(), within_days=30).filter(
        expires_on__gte=today).exists()
    assert Item.objects.filter(community=world.community_a).count() == 15
    survey = Survey.objects.get(community=world.community_a)
    assert survey.status == "closed" and survey.responses.exists()
    assert surveys.results(survey)["needs"]
    assert GroupPurchase.objects.get().status == "collecting"
    for lot in StockLot.objects.all():
        assert sum(m.quantity for m in lot.movements.all()) == lot.quantity


def test_detail_and_edit_pages_render(world, stock):
    from resilience.relief import distributions, purchases
    from resilience.relief.models import ReserveNorm

    _c, w1, _w2, water = stock
    norms.install_defaults()
    default = ReserveNorm.objects.get(category="water", community__isnull=True)
    made = distributions.distribute(item=water, warehouse=w1, building=world.building_a1,
                                    quantity=1)
    survey = Survey.objects.create(community=world.community_a, title="Draft survey")
    purchase = GroupPurchase.objects.create(community=world.community_a,
                                            building=world.building_a1, title="Veg")
    purchases.add_line(purchase, name="Box", unit="box")
    staff = page(world.staff_a)
    for url in (f"/relief/items/{water.pk}/edit/", "/relief/items/add/",
                f"/relief/norms/{default.pk}/", "/relief/norms/add/",
                f"/relief/distributions/{made.pk}/", "/relief/distributions/add/",
                f"/relief/surveys/{survey.pk}/", "/relief/surveys/", "/relief/surveys/add/",
                f"/relief/purchases/{purchase.pk}/", "/relief/purchases/", "/relief/purchases/add/",
                "/relief/stock/in/", "/relief/stock/transfer/"):
        response = staff.get(url)
        assert response.status_code == 200, url
    own = staff.post("/relief/norms/add/", {"community": world.community_a.pk,
                                            "category": "water", "basis": "person_day",
                                            "amount": "4", "unit": "L", "days": "7"})
    assert own.status_code == 302
    assert norms.effective_norms(world.community_a)["water"].amount == 4
    added = staff.post(f"/relief/surveys/{survey.pk}/questions/", {
        "text": "Need?", "kind": "choice", "choices": "food\nnone", "needs": "food = food",
        "urgent": "", "required": "on"})
    assert added.status_code == 302 and survey.questions.get().needs == {"food": "food"}
    assert staff.post(f"/relief/surveys/{survey.pk}/status/", {"status": "open"}).status_code == 302
    assert Survey.objects.get(pk=survey.pk).status == "open"
    assert staff.post(f"/relief/purchases/{purchase.pk}/status/",
                      {"status": "ordered"}).status_code == 302
    assert GroupPurchase.objects.get(pk=purchase.pk).status == "collecting"  # no orders yet


def test_dashboard_shows_days_of_autonomy_to_staff_only(world, stock):
    norms.install_defaults()
    assert b"Days of autonomy, Community A" in page(world.staff_a).get("/").content
    other = page(world.staff_b).get("/").content
    assert b"Days of autonomy, Community B" in other
    assert b"Days of autonomy, Community A" not in other
