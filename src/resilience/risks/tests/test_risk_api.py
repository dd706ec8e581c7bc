"""The risk register's API: grading on write, history, bad input, location, scope, GeoJSON."""
import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient
from shapely.geometry import shape

from resilience.core.geo import parse_geometry
from resilience.core.models import ChangeLogEntry
from resilience.core.testing import square
from resilience.risks.models import RiskAssessment, RiskSource
from resilience.risks.services import assess, grade_counts

COLOURS = {"red", "orange", "yellow", "blue"}


@pytest.fixture
def api(world):
    def client_for(name):
        client = APIClient()
        client.force_authenticate(world.users[name])
        return client
    return client_for


def new_risk(world, **overrides) -> dict:
    data = {"community": world.community_a.pk, "building": world.building_a1.pk,
            "risk_type": "ebike_fire", "name": "1号楼楼道电动车充电",
            "controls": "楼道禁停告示", "advice": "不要把电动自行车推进楼道充电",
            "method": "matrix", "inputs": {"likelihood": 4, "consequence": 4}}
    data.update(overrides)
    return data


def make_risk(world, name="配电房电气火灾", owner=None, building=None, grid=None,
              method="lec", inputs=None, community=None, **fields) -> RiskSource:
    fields.setdefault("risk_type", "electrical")
    risk = RiskSource(community=community or world.community_a, name=name, owner=owner,
                      building=building, grid=grid, **fields)
    risk.clean()
    assess(risk, method, inputs or {"l": 3, "e": 6, "c": 15})
    return risk


def counts() -> tuple[int, int]:
    return RiskSource.objects.count(), RiskAssessment.objects.count()


# --- grading on write -----------------------------------------------------------------------

def test_staff_grades_a_new_risk_with_the_matrix(world, api):
    response = api("staff_a").post("/api/risks/", new_risk(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["score"], body["grade"], body["colour"]) == (16.0, "high", "orange")
    assert body["grade_label"] == "high" and body["colour_hex"].startswith("#")
    assert body["grid"] == world.grid_a1.pk  # taken from the building
    assert body["assessed_at"]
    risk = RiskSource.objects.get(pk=body["id"])
    assessment = risk.assessments.get()
    assert (assessment.grade, assessment.assessed_by) == ("high", world.users["staff_a"])
    assert assessment.assessed_at == risk.assessed_at


def test_a_new_risk_must_be_assessed(world, api):
    data = new_risk(world)
    del data["inputs"]
    response = api("staff_a").post("/api/risks/", data, format="json")
    assert response.status_code == 400 and "inputs" in response.json()
    assert counts() == (0, 0)


def test_reassessing_keeps_the_history_and_changes_the_grade(world, api):
    client = api("staff_a")
    risk_id = client.post("/api/risks/", new_risk(world), format="json").json()["id"]
    response = client.patch(f"/api/risks/{risk_id}/", {
        "method": "lec", "inputs": {"l": 10, "e": 6, "c": 15}, "assessment_note": "充电棚起火后复评"},
        format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["grade"], response.json()["colour"], response.json()["score"]) == (
        "major", "red", 900.0)
    history = client.get(f"/api/risk-assessments/?risk={risk_id}").json()["results"]
    assert [h["grade"] for h in history] == ["major", "high"]
    assert history[0]["note"] == "充电棚起火后复评" and history[0]["colour"] == "red"


def test_saving_the_same_inputs_again_writes_no_new_assessment(world, api):
    client = api("staff_a")
    body = client.post("/api/risks/", new_risk(world), format="json").json()
    response = client.patch(f"/api/risks/{body['id']}/", {
        "inputs": {"likelihood": 4, "consequence": 4}, "controls": "已安装智能充电桩"}, format="json")
    assert response.status_code == 200
    assert RiskAssessment.objects.count() == 1
    assert RiskSource.objects.get().controls == "已安装智能充电桩"


def test_the_assess_action_always_records_an_assessment(world, api):
    client = api("staff_a")
    risk_id = client.post("/api/risks/", new_risk(world), format="json").json()["id"]
    response = client.post(f"/api/risks/{risk_id}/assess/", {
        "method": "matrix", "inputs": {"likelihood": 4, "consequence": 4}, "note": "年度复核"},
        format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["grade"] == "high"
    assert RiskAssessment.objects.filter(risk_id=risk_id).count() == 2
    bad = client.post(f"/api/risks/{risk_id}/assess/", {"method": "lec", "inputs": {"l": 2}},
                      format="json")
    assert bad.status_code == 400 and set(bad.json()["inputs"]) == {"l", "e", "c"}
    assert RiskAssessment.objects.filter(risk_id=risk_id).count() == 2


@pytest.mark.parametrize("changes, field", [
    ({"method": "fuzzy"}, "method"),
    ({"inputs": {"likelihood": 6, "consequence": 3}}, "inputs"),
    ({"inputs": {"likelihood": 3.0, "consequence": 3}}, "inputs"),
    ({"inputs": {"likelihood": "3", "consequence": 3}}, "inputs"),
    ({"inputs": {"likelihood": 3}}, "inputs"),
    ({"inputs": {"likelihood": 3, "consequence": 3, "exposure": 2}}, "inputs"),
    ({"inputs": [3, 3]}, "inputs"),
    ({"method": "lec", "inputs": {"l": 4, "e": 6, "c": 15}}, "inputs"),
    ({"method": "lec", "inputs": {"likelihood": 3, "consequence": 3}}, "inputs"),
])
def test_a_bad_method_or_inputs_is_a_400_naming_the_field_and_nothing_is_written(
        world, api, changes, field):
    client = api("staff_a")
    before = counts()
    response = client.post("/api/risks/", new_risk(world, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert counts() == before
    risk = make_risk(world)
    logged = ChangeLogEntry.objects.count()
    response = client.patch(f"/api/risks/{risk.pk}/", changes, format="json")
    assert response.status_code == 400 and field in response.json()
    risk.refresh_from_db()
    assert (risk.grade, risk.assessments.count(), ChangeLogEntry.objects.count()) == (
        "high", 1, logged)


def test_the_bad_input_is_named_inside_inputs(world, api):
    response = api("staff_a").post("/api/risks/", new_risk(
        world, method="lec", inputs={"l": 3, "e": 4, "c": 15}), format="json")
    errors = response.json()["inputs"]
    assert list(errors) == ["e"] and "0.5, 1, 2, 3, 6, 10" in errors["e"][0]


# --- location -------------------------------------------------------------------------------

def test_a_point_outside_the_community_is_refused(world, api):
    response = api("staff_a").post("/api/risks/", new_risk(
        world, latitude=31.30, longitude=121.475), format="json")
    assert response.status_code == 400 and "latitude" in response.json()
    assert counts() == (0, 0)


def test_an_area_reaching_outside_the_community_is_refused(world, api):
    response = api("staff_a").post("/api/risks/", new_risk(
        world, geometry=square(121.478, 31.238, 0.005)), format="json")
    assert response.status_code == 400 and "geometry" in response.json()
    assert counts() == (0, 0)


def test_an_area_inside_gives_the_point_from_its_centroid(world, api):
    response = api("staff_a").post("/api/risks/", new_risk(
        world, geometry=square(121.471, 31.231, 0.002)), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["latitude"] == pytest.approx(31.232) and body["longitude"] == pytest.approx(121.472)


def test_a_building_of_another_community_is_refused(world, api):
    response = api("staff_a").post("/api/risks/", new_risk(
        world, building=world.building_b1.pk), format="json")
    assert response.status_code == 400 and "building" in response.json()
    response = api("office").post("/api/risks/", new_risk(  # sees both, may add neither
        world, building=world.building_b1.pk), format="json")
    assert response.status_code == 400 and "building" in response.json()
    assert counts() == (0, 0)


def test_moving_a_risk_to_another_building_moves_its_grid(world, api):
    client = api("staff_a")
    risk_id = client.post("/api/risks/", new_risk(world), format="json").json()["id"]
    response = client.patch(f"/api/risks/{risk_id}/", {"building": world.building_a2.pk}, format="json")
    assert response.status_code == 200 and response.json()["grid"] == world.grid_a2.pk
    response = client.patch(f"/api/risks/{risk_id}/", {"grid": world.grid_a1.pk}, format="json")
    assert response.status_code == 400 and "grid" in response.json()


def test_the_community_comes_from_the_building_when_missing(world, api):
    data = new_risk(world)
    del data["community"]
    response = api("staff_a").post("/api/risks/", data, format="json")
    assert response.status_code == 201 and response.json()["community"] == world.community_a.pk


# --- scope ----------------------------------------------------------------------------------

def test_grid_worker_adds_a_risk_in_their_grid_but_not_in_another(world, api):
    client = api("grid_worker_a1")
    assert client.post("/api/risks/", new_risk(world), format="json").status_code == 201
    response = client.post("/api/risks/", new_risk(world, building=world.building_a2.pk),
                           format="json")
    assert response.status_code == 403
    assert counts() == (1, 1)
    other = make_risk(world, building=world.building_a2)
    assert client.get(f"/api/risks/{other.pk}/").status_code == 200  # sees the whole community
    assert client.patch(f"/api/risks/{other.pk}/", {"controls": "x"}, format="json").status_code == 403


def test_property_company_changes_its_own_risks_only(world, api):
    own = make_risk(world, owner=world.property_a, name="地下车库进水")
    other = make_risk(world, owner=world.team_a, name="活动中心人员聚集")
    client = api("property_a")
    response = client.patch(f"/api/risks/{own.pk}/", {
        "controls": "挡水板、沙袋已备", "inputs": {"l": 1, "e": 6, "c": 15}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["grade"] == "medium"
    assert client.patch(f"/api/risks/{other.pk}/", {"controls": "x"}, format="json").status_code == 403
    assert client.post(f"/api/risks/{other.pk}/assess/", {
        "method": "lec", "inputs": {"l": 1, "e": 1, "c": 1}}, format="json").status_code == 403
    assert client.post("/api/risks/", new_risk(world, owner=world.property_a.pk),
                       format="json").status_code == 403
    response = client.patch(f"/api/risks/{own.pk}/", {"owner": world.team_a.pk}, format="json")
    assert response.status_code == 403  # would give it away, out of its scope
    assert RiskSource.objects.get(pk=own.pk).owner == world.property_a


def test_office_reads_but_does_not_write(world, api):
    risk = make_risk(world)
    client = api("office")
    assert [r["id"] for r in client.get("/api/risks/").json()["results"]] == [risk.pk]
    assert client.post("/api/risks/", new_risk(world), format="json").status_code == 403
    assert client.patch(f"/api/risks/{risk.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/risks/{risk.pk}/").status_code == 403
    assert counts() == (1, 1)


@pytest.mark.parametrize("username", ["resident_a1", "volunteer_a", "health_a", "grid_worker_a1"])
def test_everyone_in_the_community_sees_its_risks_and_advice(world, api, username):
    risk = make_risk(world, advice="闻到焦糊味立即拨打119")
    make_risk(world, name="B 社区风险", community=world.community_b)
    rows = api(username).get("/api/risks/").json()["results"]
    assert [(r["id"], r["advice"]) for r in rows] == [(risk.pk, "闻到焦糊味立即拨打119")]
    assert api(username).get("/api/risk-assessments/").json()["count"] == 1


@pytest.mark.parametrize("username", ["resident_a1", "volunteer_a"])
def test_residents_and_volunteers_cannot_write_risks(world, api, username):
    risk = make_risk(world)
    client = api(username)
    assert client.post("/api/risks/", new_risk(world), format="json").status_code == 403
    assert client.patch(f"/api/risks/{risk.pk}/", {"name": "x"}, format="json").status_code == 403
    assert counts() == (1, 1)


def test_staff_of_another_community_sees_nothing(world, api):
    risk = make_risk(world)
    assert api("staff_b").get("/api/risks/").json()["count"] == 0
    assert api("staff_b").get(f"/api/risks/{risk.pk}/").status_code == 404
    assert api("staff_b").get("/api/risk-assessments/").json()["count"] == 0
    assert api("outsider").get("/api/risks/").json()["count"] == 0


# --- filters --------------------------------------------------------------------------------

def test_filters_by_grade_type_and_text(world, api):
    major = make_risk(world, name="地下车库倒灌", inputs={"l": 6, "e": 6, "c": 40})
    low = make_risk(world, name="电梯困人", inputs={"l": 1, "e": 6, "c": 3})
    client = api("staff_a")

    def ids(query):
        response = client.get(f"/api/risks/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(r["id"] for r in response.json()["results"])

    assert ids("grade=major") == [major.pk]
    assert ids("grade=major&grade=low") == ids("grade=major,low") == sorted([major.pk, low.pk])
    assert ids("grade=high") == []
    assert ids("q=车库") == [major.pk]
    assert ids("risk_type=electrical,fire") == sorted([major.pk, low.pk])
    assert ids("risk_type=fire") == []
    assert client.get("/api/risks/?grade=purple").status_code == 400
    assert grade_counts(RiskSource.objects.all()) == {"major": 1, "high": 0, "medium": 0, "low": 1}


# --- GeoJSON --------------------------------------------------------------------------------

def assert_valid_feature_collection(body: dict) -> list:
    assert body["type"] == "FeatureCollection"
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        parse_geometry(feature["geometry"])
        props = feature["properties"]
        assert props["colour"] in COLOURS and props["colour_hex"].startswith("#")
        assert props["grade"] in {"major", "high", "medium", "low"}
        assert {"id", "name", "risk_type", "risk_type_label", "grade_label", "score", "url"} <= set(props)
    return body["features"]


def test_geojson_layer_has_every_risk_with_geometry_and_colour(world, api):
    at_building = make_risk(world, building=world.building_a1, inputs={"l": 10, "e": 6, "c": 15})
    at_point = make_risk(world, latitude=31.235, longitude=121.475, inputs={"l": 3, "e": 6, "c": 15})
    area = make_risk(world, geometry=square(121.471, 31.231, 0.002), inputs={"l": 1, "e": 6, "c": 15})
    nowhere = make_risk(world, inputs={"l": 1, "e": 1, "c": 1})  # drawn at the community's centre
    at_facility = make_risk(world, facility=world.shelter_a, risk_type="crowding",
                            inputs={"l": 1, "e": 3, "c": 7})
    response = api("resident_a1").get("/api/risks/?format=geojson")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    features = {f["id"]: f for f in assert_valid_feature_collection(response.json())}
    assert set(features) == {at_building.pk, at_point.pk, area.pk, nowhere.pk, at_facility.pk}
    assert [features[r.pk]["properties"]["colour"] for r in (at_building, at_point, area, nowhere)] == [
        "red", "orange", "yellow", "blue"]
    assert features[at_building.pk]["geometry"]["coordinates"] == [
        world.building_a1.longitude, world.building_a1.latitude]
    assert features[area.pk]["geometry"]["type"] == "Polygon"
    assert features[at_facility.pk]["geometry"]["coordinates"] == [121.472, 31.232]
    boundary = shape(world.community_a.geometry)
    assert all(boundary.covers(shape(f["geometry"])) for f in features.values())


def test_geojson_applies_scope_and_filters(world, api):
    risk = make_risk(world, inputs={"l": 10, "e": 6, "c": 15})
    make_risk(world, name="低风险", inputs={"l": 1, "e": 1, "c": 1})
    assert api("staff_b").get("/api/risks/?format=geojson").json()["features"] == []
    features = api("staff_a").get("/api/risks/?format=geojson&grade=major").json()["features"]
    assert [f["id"] for f in features] == [risk.pk]
    feature = api("staff_a").get(f"/api/risks/{risk.pk}/?format=geojson").json()
    assert feature["type"] == "Feature" and feature["properties"]["colour"] == "red"


def test_the_geo_risks_layer_view(world, rf):
    from rest_framework.test import force_authenticate

    from resilience.risks.api.sources import risk_layer

    active = make_risk(world, inputs={"l": 3, "e": 6, "c": 15})
    make_risk(world, name="retired", active=False)

    def get(query, user="volunteer_a"):
        request = rf.get(f"/api/geo/risks/{query}")
        force_authenticate(request, world.users[user])
        return risk_layer(request)

    response = get("")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    import json
    body = json.loads(response.content)
    assert [f["id"] for f in assert_valid_feature_collection(body)] == [active.pk]
    assert len(json.loads(get("?active=false").content)["features"]) == 1
    assert json.loads(get("?grade=low").content)["features"] == []
    assert json.loads(get("", user="staff_b").content)["features"] == []
    assert get("?grade=purple").status_code == 400


# --- change log and schema ------------------------------------------------------------------

def test_creating_and_reassessing_are_in_the_change_log(world, api):
    client = api("staff_a")
    risk_id = client.post("/api/risks/", new_risk(world), format="json").json()["id"]
    client.patch(f"/api/risks/{risk_id}/", {"inputs": {"likelihood": 5, "consequence": 5}},
                 format="json")
    entries = ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(RiskSource), object_id=risk_id).order_by("pk")
    assert [(e.action, e.user.username) for e in entries] == [("create", "staff_a"), ("update", "staff_a")]
    assert entries[0].after["grade"] == "high"
    assert (entries[1].before["grade"], entries[1].after["grade"]) == ("high", "major")


def test_the_schema_documents_the_risk_endpoints(client, db):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert {"/api/risks/", "/api/risks/{id}/assess/", "/api/risk-assessments/"} <= set(paths)
