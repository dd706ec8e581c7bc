"""The API, the pages, the map layer, the demo seed and the path import."""
from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from resilience.core.testing import PASSWORD
from resilience.shelters import demo, graph
from resilience.shelters.models import EvacuationPlan, PathEdge, Shelter, ShelterStatus, Stay


def api(world, name: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users[name])
    return client


def web(world, name: str) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


@pytest.fixture
def seeded(world):
    demo.seed(world.community_a)
    return world


@pytest.mark.django_db
def test_the_seed_opens_shelters_builds_the_graph_and_places_everyone(seeded):
    shelter = Shelter.objects.get(facility=seeded.shelter_a)
    assert shelter.status == ShelterStatus.OPEN and shelter.effective_capacity == 200
    assert PathEdge.objects.filter(community=seeded.community_a).exists()
    plan = EvacuationPlan.objects.get(community=seeded.community_a).result
    assert plan["placed"] == plan["people"] == 2 and plan["unplaced"] == []
    demo.seed(seeded.community_a)  # twice is harmless
    assert Shelter.objects.filter(facility=seeded.shelter_a).count() == 1


@pytest.mark.django_db
def test_the_api_lists_shelters_with_capacity_and_occupancy_in_scope(seeded):
    rows = api(seeded, "staff_a").get("/api/shelters/").json()["results"]
    assert [(r["name"], r["status"], r["effective_capacity"], r["occupancy"]) for r in rows] == [
        ("Shelter A", "open", 200, 0)]
    assert [r["name"] for r in api(seeded, "staff_b").get("/api/shelters/").json()["results"]] == [
        "Shelter B"]
    assert api(seeded, "outsider").get("/api/shelters/").json()["results"] == []
    geo = api(seeded, "resident_a1").get("/api/shelters/?format=geojson").json()
    assert geo["features"][0]["properties"]["occupancy"] == 0


@pytest.mark.django_db
def test_check_in_and_out_through_the_api_with_a_clear_refusal_when_full(seeded):
    shelter = Shelter.objects.get(facility=seeded.shelter_a)
    seeded.shelter_a.capacity = 1
    seeded.shelter_a.save()
    client = api(seeded, "volunteer_a")
    url = f"/api/shelters/{shelter.pk}/"
    unknown = client.post(url + "check-in/", {"id_number": "110101199001011234"}, format="json")
    assert unknown.status_code == 400 and "walk-in" in json.dumps(unknown.json())
    made = client.post(url + "check-in/", {"id_number": seeded.resident_a1.id_number}, format="json")
    assert made.status_code == 201, made.content
    refused = client.post(url + "check-in/", {"walk_in_name": "Li Wei"}, format="json")
    assert refused.status_code == 400 and "is full" in json.dumps(refused.json())
    assert client.get(url).json()["status"] == "full"
    out = client.post(url + "check-out/", {"stay": made.json()["id"]}, format="json")
    assert out.status_code == 200 and out.json()["checked_out_at"]
    assert client.get(url).json()["status"] == "open"
    assert api(seeded, "resident_a1").post(url + "check-in/", {"walk_in_name": "X"},
                                           format="json").status_code == 403
    assert api(seeded, "volunteer_a").post(url + "close/").status_code == 403
    assert api(seeded, "staff_a").post(url + "close/").json()["status"] == "closed"


@pytest.mark.django_db
def test_closing_the_only_shelter_replans_and_says_who_is_left_without_a_place(
        seeded, django_capture_on_commit_callbacks):
    shelter = Shelter.objects.get(facility=seeded.shelter_a)
    client = api(seeded, "staff_a")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/shelters/{shelter.pk}/close/")
    plan = client.get(f"/api/evacuation/{seeded.community_a.pk}/").json()
    assert plan["placed"] == 0 and plan["unplaced_people"] == 2
    assert "Building A1" in plan["message"] and "no shelter is open" in plan["message"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/shelters/{shelter.pk}/open/")
    plan = client.get(f"/api/evacuation/{seeded.community_a.pk}/").json()
    assert plan["placed"] == 2 and plan["assignments"][0]["shelter_name"] == "Shelter A"
    routes = client.get(f"/api/evacuation/{seeded.community_a.pk}/?format=geojson").json()
    assert routes["type"] == "FeatureCollection"
    assert {f["geometry"]["type"] for f in routes["features"]} == {"LineString"}
    assert api(seeded, "staff_b").get(f"/api/evacuation/{seeded.community_a.pk}/").status_code == 404


@pytest.mark.django_db
def test_blocking_a_path_replans(seeded):
    client = api(seeded, "staff_a")
    before = EvacuationPlan.objects.get(community=seeded.community_a).computed_at
    edge = PathEdge.objects.filter(community=seeded.community_a).first()
    assert client.post(f"/api/paths/{edge.pk}/block/").json()["blocked"] is True
    assert EvacuationPlan.objects.get(community=seeded.community_a).computed_at > before
    assert api(seeded, "volunteer_a").post(f"/api/paths/{edge.pk}/unblock/").status_code == 403


@pytest.mark.django_db
def test_the_pages_render_for_community_staff(seeded):
    client = web(seeded, "staff_a")
    shelter = Shelter.objects.get(facility=seeded.shelter_a)
    edge = PathEdge.objects.filter(community=seeded.community_a).first()
    for url in ("/shelters/", f"/shelters/{shelter.pk}/", f"/shelters/{shelter.pk}/?q=Resident",
                f"/shelters/{shelter.pk}/edit/", "/shelters/evacuation/",
                f"/shelters/evacuation/{seeded.community_a.pk}/",
                f"/shelters/evacuation/{seeded.community_a.pk}/paths/",
                f"/shelters/evacuation/building/{seeded.building_a1.pk}/"):
        assert client.get(url).status_code in (200, 302), url
    partial = client.get("/shelters/", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"Shelter A" in partial.content
    sheet = client.get(f"/shelters/evacuation/building/{seeded.building_a1.pk}/").content.decode()
    assert "Shelter A" in sheet and "1 resident needs help" in sheet
    client.post(f"/shelters/{shelter.pk}/check-in/", {"resident": seeded.resident_a1.pk})
    assert Stay.objects.filter(resident=seeded.resident_a1, checked_out_at__isnull=True).exists()
    client.post(f"/shelters/paths/{edge.pk}/block/")
    edge.refresh_from_db()
    assert edge.blocked
    assert web(seeded, "staff_b").get(f"/shelters/{shelter.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_map_carries_the_shelter_layer(seeded):
    response = web(seeded, "staff_a").get(f"/map/?community={seeded.community_a.pk}")
    config = response.context["map_config"]["shelters"]
    assert config["endpoint"].startswith("/api/shelters/") and config["routes"]


@pytest.mark.django_db
def test_import_paths_snaps_line_ends_and_replans(world, tmp_path):
    Shelter.objects.filter(facility=world.shelter_a).update(status=ShelterStatus.OPEN)
    b1, s = world.building_a1, world.shelter_a
    lines = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
            [b1.longitude, b1.latitude], [s.longitude, b1.latitude]]}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
            [s.longitude + 0.000001, b1.latitude], [s.longitude, s.latitude]]}},
    ]}
    path = tmp_path / "paths.geojson"
    path.write_text(json.dumps(lines))
    call_command("import_paths", str(path), community="comm-a")
    edges = PathEdge.objects.filter(community=world.community_a)
    assert edges.count() == 2
    g = graph.build_graph(graph.segments_of(world.community_a))
    assert g.number_of_nodes() == 3  # the two lines meet at one snapped node


@pytest.mark.django_db
def test_a_file_that_is_not_linestrings_is_refused_and_nothing_is_written(world, tmp_path):
    graph.generate_for(world.community_a)
    before = PathEdge.objects.count()
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString",
                                         "coordinates": [[121.47, 31.23], [121.471, 31.23]]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.47, 31.23]}}]}))
    with pytest.raises(CommandError, match="Feature 2 is a Point, not a LineString"):
        call_command("import_paths", str(path), community="comm-a")
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_paths", str(path), community="comm-a")
    with pytest.raises(CommandError, match="No community"):
        call_command("import_paths", str(path), community="nowhere")
    assert PathEdge.objects.count() == before


@pytest.mark.django_db
def test_a_volunteer_finds_a_resident_only_by_exact_id_number_and_checks_them_in(seeded):
    shelter = Shelter.objects.get(facility=seeded.shelter_a)
    client = web(seeded, "volunteer_a")
    assert "Resident A1" not in client.get(f"/shelters/{shelter.pk}/?q=Resident").content.decode()
    page = client.get(f"/shelters/{shelter.pk}/?q={seeded.resident_a1.id_number}").content.decode()
    assert "Resident A1" in page and seeded.resident_a1.id_number_masked in page
    client.post(f"/shelters/{shelter.pk}/check-in/", {"id_number": seeded.resident_a1.id_number})
    stay = Stay.objects.get(resident=seeded.resident_a1)
    assert stay.checked_in_by == seeded.users["volunteer_a"]
    response = client.post(f"/shelters/{shelter.pk}/check-in/", {"id_number": "nope"}, follow=True)
    assert "check them in as a walk-in" in response.content.decode()


@pytest.mark.django_db
def test_staff_edit_a_shelter_profile_through_the_api_but_not_its_status(seeded):
    shelter = Shelter.objects.get(facility=seeded.shelter_a)
    client = api(seeded, "staff_a")
    changed = client.patch(f"/api/shelters/{shelter.pk}/", {"floor_area": 100, "status": "closed"},
                           format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["effective_capacity"], changed.json()["status"]) == (50, "open")
    moved = client.patch(f"/api/shelters/{shelter.pk}/", {"facility": seeded.shelter_b.pk},
                         format="json")
    assert moved.status_code == 400
    assert api(seeded, "volunteer_a").patch(f"/api/shelters/{shelter.pk}/", {"floor_area": 1},
                                            format="json").status_code == 403
