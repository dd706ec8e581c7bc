"""Pages of the places registry: every page answers, scope holds, forms reject bad input whole."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from resilience.core.models import ChangeLogEntry
from resilience.places.models import Building, Facility, Grid

pytestmark = pytest.mark.django_db

# (url name prefix, world object of community A, world object of community B)
PAGES = [
    ("places:community", "community_a", "community_b"),
    ("places:grid", "grid_a1", "grid_b1"),
    ("places:building", "building_a1", "building_b1"),
    ("places:facility", "shelter_a", "shelter_b"),
]


@pytest.fixture
def staff(client, world):
    client.force_login(world.users["staff_a"])
    return client


@pytest.mark.parametrize("name, mine, theirs", PAGES)
def test_staff_open_list_detail_and_edit_pages(staff, world, name, mine, theirs):
    obj = getattr(world, mine)
    assert staff.get(reverse(f"{name}_list")).status_code == 200
    detail = staff.get(reverse(f"{name}_detail", args=[obj.pk]))
    assert detail.status_code == 200
    assert str(obj) in detail.content.decode()
    assert staff.get(reverse(f"{name}_edit", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize("name", ["places:grid", "places:building", "places:unit",
                                  "places:facility"])
def test_staff_open_add_pages(staff, name):
    assert staff.get(reverse(f"{name}_add")).status_code == 200


def test_unit_and_region_pages(staff, world):
    from resilience.places.models import Unit

    unit = Unit.objects.create(building=world.building_a1, number="1")
    assert staff.get(reverse("places:unit_list")).status_code == 200
    assert staff.get(reverse("places:unit_detail", args=[unit.pk])).status_code == 200
    assert staff.get(reverse("places:unit_edit", args=[unit.pk])).status_code == 200
    assert staff.get(reverse("places:region_list")).status_code == 200
    assert staff.get(reverse("places:region_detail", args=[world.street.pk])).status_code == 200


@pytest.mark.parametrize("name, mine, theirs", PAGES)
def test_objects_of_another_community_are_not_found(staff, world, name, theirs, mine):
    obj = getattr(world, theirs)
    for action in ("detail", "edit", "delete"):
        assert staff.get(reverse(f"{name}_{action}", args=[obj.pk])).status_code == 404
    assert str(obj) not in staff.get(reverse(f"{name}_list")).content.decode()


def test_visible_but_not_allowed_is_forbidden(client, world):
    client.force_login(world.users["grid_worker_a1"])
    # sees the whole community's buildings, may change only those of grid A1
    assert client.get(reverse("places:building_edit", args=[world.building_a1.pk])).status_code == 200
    assert client.get(reverse("places:building_edit", args=[world.building_a2.pk])).status_code == 403
    assert client.get(reverse("places:building_delete", args=[world.building_a1.pk])).status_code == 403
    assert client.get(reverse("places:community_add")).status_code == 403


def building_data(world, **changes):
    data = {"community": world.community_a.pk, "grid": world.grid_a1.pk, "code": "B9",
            "name": "Building A9", "floors": 6, "basement_floors": 0, "structure": "frame"}
    data.update(changes)
    return data


def test_staff_create_a_building_and_it_is_change_logged(staff, world):
    response = staff.post(reverse("places:building_add"), building_data(world))
    building = Building.objects.get(code="B9")
    assert response.status_code == 302
    assert response["Location"] == building.get_absolute_url()
    entry = ChangeLogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Building), object_id=building.pk)
    assert entry.action == "create" and entry.user == world.users["staff_a"]


def test_building_with_a_grid_of_another_community_is_a_form_error(staff, world):
    before = (Building.objects.count(), ChangeLogEntry.objects.count())
    response = staff.post(reverse("places:building_add"),
                          building_data(world, grid=world.grid_b1.pk))
    assert response.status_code == 400
    assert "grid" in response.context["form"].errors
    assert (Building.objects.count(), ChangeLogEntry.objects.count()) == before


def test_admin_mixing_communities_gets_the_model_error_on_the_grid(client, world):
    client.force_login(world.users["admin"])
    response = client.post(reverse("places:building_add"),
                           building_data(world, grid=world.grid_b1.pk))
    assert response.status_code == 400
    assert "another community" in str(response.context["form"].errors["grid"])
    assert not Building.objects.filter(code="B9").exists()


def test_saving_outside_the_users_scope_is_rolled_back(client, world):
    client.force_login(world.users["grid_worker_a1"])
    # grid worker A1 may change building A1, but not move it into grid A2
    response = client.post(reverse("places:building_edit", args=[world.building_a1.pk]),
                           building_data(world, code="B1", name="Moved", grid=world.grid_a2.pk))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    world.building_a1.refresh_from_db()
    assert world.building_a1.grid == world.grid_a1 and world.building_a1.name == "Building A1"


def test_invalid_values_name_their_field(staff, world):
    response = staff.post(reverse("places:building_add"),
                          building_data(world, floors=0, geometry='{"type": "Nope"}'))
    errors = response.context["form"].errors
    assert "floors" in errors and "geometry" in errors
    html = response.content.decode()
    assert 'id="form-errors"' in html and "Floors above ground" in html


def test_duplicate_code_is_a_form_error(staff, world):
    response = staff.post(reverse("places:building_add"), building_data(world, code="B1"))
    assert response.status_code == 400
    assert response.context["form"].errors


def test_shelter_needs_a_capacity(staff, world):
    response = staff.post(reverse("places:facility_add"), {
        "community": world.community_a.pk, "kind": "shelter", "code": "S2", "name": "Hall",
        "status": "in_service"})
    assert "capacity" in response.context["form"].errors
    assert not Facility.objects.filter(code="S2").exists()


def test_edit_writes_the_change_log(staff, world):
    building = world.building_a1
    response = staff.post(reverse("places:building_edit", args=[building.pk]),
                          building_data(world, code="B1", name="Renamed", floors=9))
    assert response.status_code == 302
    entry = ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Building), object_id=building.pk,
        action="update").get()
    assert {"name", "floors"} <= set(entry.changed_fields())
    detail = staff.get(building.get_absolute_url()).content.decode()
    assert "Change log" in detail and "staff_a" in detail and "Floors above ground" in detail


def test_add_form_preselects_the_only_community(staff, world):
    form = staff.get(reverse("places:building_add")).context["form"]
    assert form.initial["community"] == world.community_a.pk
    choices = {str(label) for _, label in form.fields["grid"].choices}
    assert "Grid A1" in choices and "Grid B1" not in choices


def test_delete_asks_then_deletes(staff, world):
    grid = Grid.objects.create(community=world.community_a, code="G9", name="Empty grid")
    url = reverse("places:grid_delete", args=[grid.pk])
    assert staff.get(url).status_code == 200
    assert staff.post(url).status_code == 302
    assert not Grid.objects.filter(pk=grid.pk).exists()


def test_delete_of_a_record_in_use_is_refused_with_a_message(staff, world):
    response = staff.post(reverse("places:grid_delete", args=[world.grid_a1.pk]), follow=True)
    assert Grid.objects.filter(pk=world.grid_a1.pk).exists()
    assert "cannot be deleted" in response.content.decode()


@pytest.fixture
def many_buildings(world):
    Building.objects.bulk_create([
        Building(community=world.community_a, grid=world.grid_a2, code=f"X{i:02d}",
                 name=f"Tower {i:02d}", floors=10 + i, structure="frame", has_elevator=True)
        for i in range(30)
    ])


def test_building_list_is_paginated(staff, many_buildings):
    first = staff.get(reverse("places:building_list"))
    assert first.context["page"].paginator.count == 32
    assert len(first.context["rows"]) == 25
    assert "page=2" in first.content.decode()
    second = staff.get(reverse("places:building_list"), {"page": 2})
    assert len(second.context["rows"]) == 7


def test_building_list_filters(staff, world, many_buildings):
    by_grid = staff.get(reverse("places:building_list"), {"grid": world.grid_a1.pk})
    assert by_grid.context["page"].paginator.count == 1
    search = staff.get(reverse("places:building_list"), {"q": "tower 1"})
    assert search.context["page"].paginator.count == 10
    combined = staff.get(reverse("places:building_list"),
                         {"has_elevator": "true", "structure": "frame", "q": "Tower 2"})
    assert combined.context["page"].paginator.count == 10


def test_filter_on_another_community_shows_an_error_not_their_rows(staff, world):
    response = staff.get(reverse("places:building_list"), {"community": world.community_b.pk})
    assert response.context["filter_errors"]
    assert response.context["page"].paginator.count == 0
    assert "Community B" not in response.content.decode()


def test_building_list_sorts_by_a_column(staff, many_buildings):
    response = staff.get(reverse("places:building_list"), {"sort": "-floors"})
    assert response.context["rows"][0]["object"].floors == 39
    ignored = staff.get(reverse("places:building_list"), {"sort": "geometry"})
    assert ignored.status_code == 200


def test_htmx_filter_change_reloads_only_the_table(staff, world, many_buildings):
    response = staff.get(reverse("places:building_list"), {"q": "Tower"},
                         HTTP_HX_REQUEST="true", HTTP_HX_TARGET="object-table")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<table" in html
    assert response.context["page"].paginator.count == 30


def test_related_records_are_counted_on_the_detail_page(staff, world):
    response = staff.get(world.grid_a1.get_absolute_url())
    related = {str(r["label"]): r["count"] for r in response.context["related"]}
    assert related["buildings"] == 1 and related["residents"] == 1


def test_filter_choices_list_only_the_users_scope(staff, world):
    staff.get("/api/schema/")  # builds the shared filters' fields for the API first
    html = staff.get(reverse("places:building_list")).content.decode()
    assert "Community A" in html and "Grid A2" in html
    assert "Community B" not in html and "Grid B1" not in html and "Property b" not in html
