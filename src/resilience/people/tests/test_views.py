"""Pages of the people registry: personal data masked, reveals logged, scope and forms hold."""
import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from resilience.core.models import AccessLogEntry, ChangeLogEntry
from resilience.core.testing import make_id_number
from resilience.people.models import Household, Membership, Resident

pytestmark = pytest.mark.django_db

PAGES = [
    ("people:organisation", "property_a", "property_b"),
    ("people:household", "household_a1", "household_b1"),
    ("people:resident", "resident_a1", "resident_b1"),
    ("people:volunteer", "volunteer_a", "volunteer_b"),
]


@pytest.fixture
def staff(client, world):
    client.force_login(world.users["staff_a"])
    return client


@pytest.mark.parametrize("name, mine, theirs", PAGES)
def test_staff_open_every_page(staff, world, name, mine, theirs):
    obj = getattr(world, mine)
    for url in (reverse(f"{name}_list"), reverse(f"{name}_add"),
                reverse(f"{name}_detail", args=[obj.pk]), reverse(f"{name}_edit", args=[obj.pk])):
        assert staff.get(url).status_code == 200, url


def test_staff_open_membership_pages(staff, world):
    membership = Membership.objects.get(user=world.users["staff_a"])
    assert staff.get(reverse("people:membership_list")).status_code == 200
    assert staff.get(reverse("people:membership_add")).status_code == 200
    assert staff.get(membership.get_absolute_url()).status_code == 200
    assert staff.get(reverse("people:membership_edit", args=[membership.pk])).status_code == 200


@pytest.mark.parametrize("name, mine, theirs", PAGES)
def test_people_of_another_community_are_not_found(staff, world, name, mine, theirs):
    obj = getattr(world, theirs)
    for action in ("detail", "edit", "delete"):
        assert staff.get(reverse(f"{name}_{action}", args=[obj.pk])).status_code == 404
    assert str(obj) not in staff.get(reverse(f"{name}_list")).content.decode()


def test_resident_list_shows_masked_numbers_never_plaintext(staff, world):
    resident = world.resident_a1
    html = staff.get(reverse("people:resident_list")).content.decode()
    assert resident.id_number_masked in html
    assert resident.phone_masked in html
    assert len(resident.id_number) == 18 and resident.id_number_masked.startswith(resident.id_number[:3])
    assert resident.id_number not in html
    assert resident.phone not in html


def test_other_lists_mask_phone_numbers(staff, world):
    household = world.household_a1
    household.phone = "13712345678"
    household.save()
    html = staff.get(reverse("people:household_list")).content.decode()
    assert "137****5678" in html and "13712345678" not in html
    html = staff.get(reverse("people:volunteer_list")).content.decode()
    assert "139****0000" in html and "13900000000" not in html


def test_health_tags_are_hidden_until_revealed(staff, world):
    resident = world.resident_a2
    resident.tags = ["dialysis", "low_income"]
    resident.save()
    html = staff.get(reverse("people:resident_list")).content.decode()
    table = html.split('id="object-table"')[1]  # the filter form lists every tag as a choice
    assert "low income" in table and "dialysis" not in table
    detail = staff.get(resident.get_absolute_url()).content.decode()
    assert "low income" in detail and "dialysis" not in detail
    assert resident.id_number not in detail and resident.id_number_masked in detail


def test_reveal_is_logged_then_shown(staff, world):
    resident = world.resident_a1
    url = reverse("people:resident_reveal", args=[resident.pk])
    response = staff.post(url, HTTP_HX_REQUEST="true", REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 200
    html = response.content.decode()
    assert resident.id_number in html and resident.phone in html
    assert "<html" not in html  # an HTMX swap of the personal-data panel
    assert response["Cache-Control"] == "no-store"
    entry = AccessLogEntry.objects.get()
    assert entry.user == world.users["staff_a"]
    assert entry.object_id == resident.pk and entry.channel == "web" and entry.ip == "10.0.0.7"
    assert "id_number" in entry.fields and "phone" in entry.fields


def test_reveal_without_htmx_shows_the_whole_page(staff, world):
    response = staff.post(reverse("people:resident_reveal", args=[world.resident_a1.pk]))
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert world.resident_a1.id_number in response.content.decode()


def test_office_may_view_but_not_reveal(client, world):
    client.force_login(world.users["office"])
    resident = world.resident_a1
    detail = client.get(resident.get_absolute_url())
    assert detail.status_code == 200
    assert detail.context["can_reveal"] is False
    assert resident.id_number not in detail.content.decode()
    response = client.post(reverse("people:resident_reveal", args=[resident.pk]))
    assert response.status_code == 403
    assert resident.id_number.encode() not in response.content
    assert not AccessLogEntry.objects.exists()


def test_office_cannot_filter_residents_by_health_condition(client, world):
    client.force_login(world.users["office"])
    response = client.get(reverse("people:resident_list"), {"tag": "dialysis"})
    assert response.context["filter_errors"]
    assert response.context["page"].paginator.count == 0
    ok = client.get(reverse("people:resident_list"), {"tag": "elderly_alone"})
    assert ok.context["page"].paginator.count == 2


def test_reveal_of_another_communitys_resident_is_not_found(staff, world):
    response = staff.post(reverse("people:resident_reveal", args=[world.resident_b1.pk]))
    assert response.status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_household_phone_reveal(staff, world):
    household = world.household_a1
    household.phone = "13712345678"
    household.save()
    detail = staff.get(household.get_absolute_url()).content.decode()
    assert "137****5678" in detail and "13712345678" not in detail
    response = staff.post(reverse("people:household_reveal", args=[household.pk]),
                          HTTP_HX_REQUEST="true")
    assert "13712345678" in response.content.decode()
    assert AccessLogEntry.objects.filter(object_id=household.pk, fields="phone").exists()


def test_volunteer_has_no_residents_menu_and_no_resident_pages(client, world):
    client.force_login(world.users["volunteer_a"])
    html = client.get("/").content.decode()
    assert reverse("people:resident_list") not in html
    assert client.get(reverse("people:resident_list")).status_code == 403
    assert client.get(reverse("people:resident_add")).status_code == 403
    assert client.get(world.resident_a1.get_absolute_url()).status_code == 404
    assert client.post(reverse("people:resident_reveal", args=[world.resident_a1.pk])).status_code == 404
    assert client.get(reverse("people:household_list")).status_code == 403


def test_volunteer_edits_own_record_only(client, world):
    client.force_login(world.users["volunteer_a"])
    own = world.volunteer_a
    assert client.get(reverse("people:volunteer_edit", args=[own.pk])).status_code == 200
    assert client.get(reverse("people:volunteer_add")).status_code == 403


def resident_data(world, **changes):
    birth = dt.date(1980, 5, 17)
    data = {"household": world.household_a1.pk, "name": "New Resident", "sex": "male",
            "birth_date": birth.isoformat(), "relationship": "spouse",
            "id_number": make_id_number(birth, 77, female=False), "phone": "13611112222",
            "vulnerability": ["low_income"]}
    data.update(changes)
    return data


def test_staff_create_a_resident(staff, world):
    response = staff.post(reverse("people:resident_add"), resident_data(world))
    assert response.status_code == 302
    resident = Resident.objects.get(name="New Resident")
    assert resident.community == world.community_a
    assert resident.tags == ["low_income"]
    assert resident.phone == "13611112222"


def test_bad_id_number_is_a_form_error_on_the_field(staff, world):
    count = Resident.objects.count()
    response = staff.post(reverse("people:resident_add"),
                          resident_data(world, id_number="110105194912310021"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "id_number" in errors and "check digit" in str(errors["id_number"])
    assert "ID number" in response.content.decode()
    assert Resident.objects.count() == count


def test_id_number_must_match_birth_date(staff, world):
    response = staff.post(reverse("people:resident_add"),
                          resident_data(world, birth_date="1980-05-18"))
    assert "birth_date" in response.context["form"].errors


def test_duplicate_id_number_in_a_community_is_a_form_error(staff, world):
    existing = world.resident_a1
    response = staff.post(reverse("people:resident_add"), resident_data(
        world, id_number=existing.id_number, birth_date=existing.birth_date.isoformat(),
        sex="female"))
    assert response.status_code == 400
    assert "id_number" in response.context["form"].errors


def test_resident_of_a_household_of_another_community_is_rejected(staff, world):
    count = Resident.objects.count()
    response = staff.post(reverse("people:resident_add"),
                          resident_data(world, household=world.household_b1.pk))
    assert "household" in response.context["form"].errors
    assert Resident.objects.count() == count


def test_edit_form_never_shows_personal_numbers_and_blank_keeps_them(staff, world):
    resident = world.resident_a1
    url = reverse("people:resident_edit", args=[resident.pk])
    html = staff.get(url).content.decode()
    assert resident.id_number not in html and resident.phone not in html
    assert resident.id_number_masked in html  # in the "leave blank to keep" help
    response = staff.post(url, resident_data(
        world, name="Renamed", sex="female", birth_date=resident.birth_date.isoformat(),
        relationship="head", id_number="", phone="", vulnerability=["elderly_alone"]))
    assert response.status_code == 302
    old_id, old_phone = resident.id_number, resident.phone
    resident.refresh_from_db()
    assert resident.name == "Renamed"
    assert (resident.id_number, resident.phone) == (old_id, old_phone)
    entry = ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Resident), object_id=resident.pk,
        action="update").latest("time")
    assert "name" in entry.changed_fields() and "id_number" not in entry.changed_fields()
    assert old_id not in str(entry.before) + str(entry.after)


def test_editing_health_tags_counts_as_a_reveal(staff, world):
    resident = world.resident_a2
    resident.tags = ["dialysis"]
    resident.save()
    html = staff.get(reverse("people:resident_edit", args=[resident.pk])).content.decode()
    assert 'value="dialysis"' in html
    assert AccessLogEntry.objects.filter(object_id=resident.pk, fields="vulnerability").exists()


def test_household_create_takes_the_buildings_community(staff, world):
    response = staff.post(reverse("people:household_add"), {
        "building": world.building_a2.pk, "room": "202", "code": "a2-202", "phone": ""})
    assert response.status_code == 302
    assert Household.objects.get(code="a2-202").community == world.community_a


def test_household_code_must_be_unique_in_the_community(staff, world):
    response = staff.post(reverse("people:household_add"), {
        "building": world.building_a2.pk, "room": "101", "code": "a1-101"})
    assert response.status_code == 400
    assert response.context["form"].errors


def test_volunteer_skills_are_checkboxes(staff, world):
    url = reverse("people:volunteer_edit", args=[world.volunteer_a.pk])
    assert 'type="checkbox" name="skills" value="first_aid"' in staff.get(url).content.decode()
    response = staff.post(url, {"community": world.community_a.pk, "name": "Volunteer A",
                                "skills": ["first_aid", "driving"], "availability": "anytime",
                                "active": "on"})
    assert response.status_code == 302
    world.volunteer_a.refresh_from_db()
    assert sorted(world.volunteer_a.skills) == ["driving", "first_aid"]
    assert world.volunteer_a.phone == "13900000000"  # blank phone kept


def test_unknown_skill_is_a_form_error(staff, world):
    url = reverse("people:volunteer_edit", args=[world.volunteer_a.pk])
    response = staff.post(url, {"community": world.community_a.pk, "name": "Volunteer A",
                                "skills": ["juggling"], "availability": "anytime"})
    assert "skills" in response.context["form"].errors


@pytest.fixture
def many_residents(world):
    residents = []
    for i in range(30):
        birth = dt.date(1940 + i, 1, 1 + i % 28)
        r = Resident(community=world.community_a, household=world.household_a2,
                     name=f"Neighbour {i:02d}", sex="male" if i % 2 else "female",
                     birth_date=birth, id_number=make_id_number(birth, 100 + i, female=not i % 2),
                     phone=f"1370000{i:04d}")
        r.tags = ["elderly_alone"] if i < 5 else []
        r.prepare()
        residents.append(r)
    Resident.objects.bulk_create(residents)


def test_resident_list_filters_and_pages(staff, world, many_residents):
    url = reverse("people:resident_list")
    first = staff.get(url)
    assert first.context["page"].paginator.count == 32
    assert len(first.context["rows"]) == 25
    assert len(staff.get(url, {"page": 2}).context["rows"]) == 7
    assert staff.get(url, {"tag": "elderly_alone"}).context["page"].paginator.count == 6
    assert staff.get(url, {"vulnerable": "true"}).context["page"].paginator.count == 6
    assert staff.get(url, {"building": world.building_a1.pk}).context["page"].paginator.count == 1
    assert staff.get(url, {"grid": world.grid_a2.pk}).context["page"].paginator.count == 31
    assert staff.get(url, {"q": "Neighbour 1"}).context["page"].paginator.count == 10
    assert staff.get(url, {"sex": "male"}).context["page"].paginator.count == 15


def test_resident_list_query_count_is_bounded(staff, many_residents, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = staff.get(reverse("people:resident_list"))
    assert len(response.context["rows"]) == 25
