"""The API: token login, schema, scope, masking, reveal, validation (issue 2)."""
import pytest
from rest_framework.test import APIClient

from resilience.core.models import AccessLogEntry, ChangeLogEntry
from resilience.core.testing import PASSWORD, make_id_number, square
from resilience.people.models import Resident
from resilience.places.models import Building

import datetime as dt


@pytest.fixture
def api(world):
    def client_for(name):
        client = APIClient()
        client.force_authenticate(world.users[name])
        return client
    return client_for


def test_token_login_returns_a_token_that_authenticates(world, client):
    response = client.post("/api/auth/token/", {"username": "staff_a", "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.json()["username"] == "staff_a"
    assert me.json()["memberships"][0]["role"] == "staff"


def test_token_login_with_wrong_password_is_400(world, client):
    response = client.post("/api/auth/token/", {"username": "staff_a", "password": "nope"},
                           content_type="application/json")
    assert response.status_code == 400


def test_anonymous_gets_401(world, client):
    assert client.get("/api/residents/").status_code == 401


def test_schema_is_openapi_3(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert "/api/residents/" in response.json()["paths"]


def test_docs_page_answers(client, db):
    assert client.get("/api/docs/").status_code == 200


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_residents_show_masked_id_numbers_only(world, api):
    response = api("staff_a").get("/api/residents/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["name"] for r in rows} == {"Resident A1", "Resident A2"}
    for row in rows:
        resident = Resident.objects.get(pk=row["id"])
        assert row["id_number_masked"] == resident.id_number[:3] + "*" * 11 + resident.id_number[-4:]
        assert resident.id_number not in response.content.decode()
        assert resident.phone not in response.content.decode()
        assert "id_number" not in row and "phone" not in row


def test_reveal_is_logged_and_only_for_allowed_roles(world, api):
    resident = world.resident_a1
    response = api("staff_a").post(f"/api/residents/{resident.pk}/reveal/")
    assert response.status_code == 200
    assert response.json()["id_number"] == resident.id_number
    entry = AccessLogEntry.objects.get()
    assert entry.user == world.users["staff_a"] and entry.object_id == resident.pk
    assert entry.channel == "api"
    # The street office may see the resident but not reveal.
    assert api("office").post(f"/api/residents/{resident.pk}/reveal/").status_code == 403
    # Staff of another community does not even see it.
    assert api("staff_b").post(f"/api/residents/{resident.pk}/reveal/").status_code == 404
    assert AccessLogEntry.objects.count() == 1


def test_staff_cannot_read_other_community_object(world, api):
    assert api("staff_b").get(f"/api/residents/{world.resident_a1.pk}/").status_code == 404


def new_resident(world, **overrides):
    birth = dt.date(1980, 5, 17)
    data = {"household": world.household_a1.pk, "name": "张三", "sex": "male",
            "birth_date": birth.isoformat(), "id_number": make_id_number(birth, 77, female=False),
            "phone": "13912345678", "vulnerability_tags": ["disabled", "low_income"]}
    data.update(overrides)
    return data


def test_create_resident_encrypts_and_logs(world, api):
    data = new_resident(world)
    response = api("staff_a").post("/api/residents/", data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["tags"] == ["low_income"] and body["has_health_tags"] is True
    resident = Resident.objects.get(pk=body["id"])
    assert resident.community == world.community_a
    assert resident.tags == ["disabled", "low_income"]
    # Encrypted at rest: the raw column holds no plaintext.
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, vulnerability FROM people_resident WHERE id = %s", [resident.pk])
        raw = " ".join(cursor.fetchone())
    assert data["id_number"] not in raw and "13912345678" not in raw and "disabled" not in raw
    entry = ChangeLogEntry.objects.filter(object_id=resident.pk, content_type__model="resident").get()
    assert entry.user == world.users["staff_a"] and entry.action == "create"
    assert data["id_number"] not in str(entry.after)


def test_birth_date_and_sex_come_from_the_id_number_when_missing(world, api):
    data = new_resident(world)
    del data["birth_date"], data["sex"]
    response = api("staff_a").post("/api/residents/", data, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["birth_date"] == "1980-05-17" and response.json()["sex"] == "male"


@pytest.mark.parametrize("field, value, reason", [
    ("id_number", "110101199003071235", "check digit"),
    ("id_number", "11010119901307123X", "not a date"),
    ("id_number", "1101011990", "18 characters"),
    ("birth_date", "1981-01-01", "does not match"),
    ("vulnerability_tags", ["flying"], "not a valid choice"),
    ("sex", "other", "not a valid choice"),
])
def test_bad_resident_input_is_a_400_naming_the_field(world, api, field, value, reason):
    before = Resident.objects.count()
    response = api("staff_a").post("/api/residents/", new_resident(world, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert reason in str(response.json()[field])
    assert Resident.objects.count() == before


def test_duplicate_id_number_is_refused(world, api):
    existing = world.resident_a2
    response = api("staff_a").post("/api/residents/", new_resident(
        world, id_number=existing.id_number, birth_date=existing.birth_date.isoformat(),
        sex=existing.sex), format="json")
    assert response.status_code == 400
    assert "already" in str(response.json()["id_number"])


def test_out_of_scope_reference_is_rejected(world, api):
    response = api("staff_a").post("/api/residents/", new_resident(world, household=world.household_b1.pk),
                                   format="json")
    assert response.status_code == 400
    assert "household" in response.json()


def test_grid_worker_cannot_add_resident_to_another_grid(world, api):
    before = Resident.objects.count()
    response = api("grid_worker_a1").post("/api/residents/", new_resident(world, household=world.household_a2.pk),
                                          format="json")
    assert response.status_code == 400  # household a2 is not visible to them
    response = api("grid_worker_a1").post("/api/residents/", new_resident(world), format="json")
    assert response.status_code == 201
    assert Resident.objects.count() == before + 1


def test_building_with_grid_of_another_community_is_rejected(world, api):
    before = Building.objects.count()
    response = api("admin").post("/api/buildings/", {
        "community": world.community_a.pk, "grid": world.grid_b1.pk, "code": "B9", "name": "B9",
        "floors": 6}, format="json")
    assert response.status_code == 400 and "grid" in response.json()
    assert Building.objects.count() == before


def test_broken_geometry_is_rejected(world, api):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    response = api("staff_a").post("/api/buildings/", {
        "community": world.community_a.pk, "grid": world.grid_a1.pk, "code": "B9", "name": "B9",
        "geometry": bowtie}, format="json")
    assert response.status_code == 400
    assert "Self-intersection" in str(response.json()["geometry"])


def test_building_centroid_is_derived_from_geometry(world, api):
    response = api("staff_a").post("/api/buildings/", {
        "community": world.community_a.pk, "grid": world.grid_a1.pk, "code": "B9", "name": "B9",
        "geometry": square(121.471, 31.231, 0.001)}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["latitude"] == pytest.approx(31.2315)


def test_volunteer_cannot_list_residents(world, api):
    assert api("volunteer_a").get("/api/residents/").json()["count"] == 0


def test_visible_but_not_changeable_is_403(world, api):
    response = api("office").patch(f"/api/buildings/{world.building_a1.pk}/", {"floors": 7}, format="json")
    assert response.status_code == 403


def test_delete_of_referenced_record_is_a_clear_400(world, api):
    response = api("staff_a").delete(f"/api/buildings/{world.building_a1.pk}/")
    assert response.status_code == 400
    assert "referenced" in str(response.json())


def test_geojson_layers_are_scoped(world, api):
    response = api("staff_a").get("/api/geo/buildings/")
    assert response.status_code == 200
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert {f["properties"]["name"] for f in collection["features"]} == {"Building A1", "Building A2"}
    facilities = api("resident_a1").get(f"/api/geo/facilities/?community={world.community_a.pk}").json()
    assert [f["properties"]["kind"] for f in facilities["features"]] == ["shelter"]
    assert api("staff_a").get("/api/geo/nothing/").status_code == 404
    assert api("staff_a").get("/api/geo/grids/?community=x").status_code == 400


def test_staff_cannot_grant_office_role(world, api):
    response = api("staff_a").post("/api/memberships/", {
        "user": world.users["outsider"].pk, "role": "office", "region": world.street.pk}, format="json")
    assert response.status_code == 400 and "role" in response.json()


def test_staff_can_make_a_grid_worker_in_own_community_only(world, api):
    ok = api("staff_a").post("/api/memberships/", {
        "user": world.users["outsider"].pk, "role": "grid_worker", "grid": world.grid_a2.pk}, format="json")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["community"] == world.community_a.pk
    refused = api("staff_a").post("/api/memberships/", {
        "user": world.users["outsider"].pk, "role": "grid_worker", "grid": world.grid_b1.pk}, format="json")
    assert refused.status_code == 400
