"""Pages of the risks app: they answer, scope holds, forms reject bad input whole, and the loop
from grading to a verified hazard can be walked through the web UI."""
import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from resilience.risks import hazards as loop
from resilience.risks.inspections import start_inspection
from resilience.risks.models import (
    ChecklistItem, ChecklistTemplate, Hazard, HazardEvent, Inspection, InspectionAnswer,
    InspectionPlan, RiskAssessment, RiskSource,
)
from resilience.risks.services import assess

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
RED = "#d1242f"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def photo(name="after.jpg"):
    return SimpleUploadedFile(name, b"\xff\xd8\xff\xe0fake-jpeg", content_type="image/jpeg")


def graded(world, tag: str, name: str, likelihood: int, consequence: int, **fields) -> RiskSource:
    fields.setdefault("building", getattr(world, f"building_{tag}1"))
    risk = RiskSource(community=getattr(world, f"community_{tag}"), risk_type="ebike_fire",
                      name=name, **fields)
    assess(risk, "matrix", {"likelihood": likelihood, "consequence": consequence},
           world.users["admin"])
    return risk


@pytest.fixture
def data(world):
    """A risk, checklist, plan, inspection and hazard in community A, and one of each in B."""
    w = world
    o = w.objects
    o["shelter_a"].grid = w.grid_a1
    o["shelter_a"].save()
    o["risk_a"] = graded(w, "a", "Charging shed A", 5, 5, advice="Do not charge e-bikes indoors.")
    o["risk_b"] = graded(w, "b", "Charging shed B", 2, 2)
    for tag in ("a", "b"):
        checklist = o[f"checklist_{tag}"] = ChecklistTemplate.objects.create(
            community=getattr(w, f"community_{tag}"), name=f"Shelter check {tag.upper()}")
        o[f"item_{tag}1"] = ChecklistItem.objects.create(template=checklist, order=1,
                                                         text="Exits are clear", rectify_days=3)
        o[f"item_{tag}2"] = ChecklistItem.objects.create(template=checklist, order=2,
                                                         text="Lights work", rectify_days=7)
        o[f"plan_{tag}"] = InspectionPlan.objects.create(
            community=getattr(w, f"community_{tag}"), template=checklist,
            facility=getattr(w, f"shelter_{tag}"), grid=getattr(w, f"grid_{tag}1"),
            frequency_days=30, next_due=TODAY - dt.timedelta(days=2))
        o[f"inspection_{tag}"] = start_inspection(w.users["admin"], checklist,
                                                  facility=getattr(w, f"shelter_{tag}"))
        o[f"hazard_{tag}"] = loop.report(w.users["admin"], community=getattr(w, f"community_{tag}"),
                                         title=f"Blocked exit {tag.upper()}",
                                         building=getattr(w, f"building_{tag}1"))
    return w


@pytest.fixture
def staff(client, data):
    client.force_login(data.users["staff_a"])
    return client


def login(client, world, name):
    client.force_login(world.users[name])
    return client


# (url name prefix, object of community A, object of community B)
PAGES = [
    ("risks:risksource", "risk_a", "risk_b"),
    ("risks:checklisttemplate", "checklist_a", "checklist_b"),
    ("risks:inspectionplan", "plan_a", "plan_b"),
    ("risks:inspection", "inspection_a", "inspection_b"),
    ("risks:hazard", "hazard_a", "hazard_b"),
]


@pytest.mark.parametrize("name, mine, theirs", PAGES)
def test_staff_open_list_detail_add_and_edit_pages(staff, data, name, mine, theirs):
    obj = getattr(data, mine)
    listing = staff.get(reverse(f"{name}_list"))
    assert listing.status_code == 200
    assert str(getattr(data, theirs)) not in listing.content.decode()
    detail = staff.get(reverse(f"{name}_detail", args=[obj.pk]))
    assert detail.status_code == 200 and str(obj) in detail.content.decode()
    assert staff.get(reverse(f"{name}_add")).status_code == 200
    assert staff.get(reverse(f"{name}_edit", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize("name, mine, theirs", PAGES)
def test_records_of_another_community_are_not_found(staff, data, name, mine, theirs):
    obj = getattr(data, theirs)
    for action in ("detail", "edit", "delete"):
        assert staff.get(reverse(f"{name}_{action}", args=[obj.pk])).status_code == 404


@pytest.mark.parametrize("url_name", ["risks:inspection_due", "risks:hazard_summary",
                                      "risks:map_print", "risks:residents", "dashboard", "map"])
def test_staff_open_the_other_pages(staff, url_name):
    assert staff.get(reverse(url_name)).status_code == 200


def test_the_menu_lists_the_risk_pages(staff):
    html = staff.get(reverse("dashboard")).content.decode()
    for label in ("Risk register", "Four-colour map", "Inspections", "Hazards", "Checklists",
                  "Inspection plans"):
        assert label in html


def test_the_register_shows_grade_badges_and_filters_by_grade(staff, data):
    html = staff.get(reverse("risks:risksource_list")).content.decode()
    assert f"background:{RED}" in html and "grade-major" in html
    filtered = staff.get(reverse("risks:risksource_list") + "?grade=low").content.decode()
    assert "Charging shed A" not in filtered
    assert staff.get(reverse("risks:risksource_list") + "?risk_type=ebike_fire").status_code == 200


# --- the register ----------------------------------------------------------------------------

def risk_data(world, **changes):
    data = {"community": world.community_a.pk, "risk_type": "fire", "name": "Garage fire",
            "building": world.building_a1.pk, "active": "on", "method": "matrix",
            "likelihood": "5", "consequence": "5", "note": "first look"}
    data.update(changes)
    return data


def test_staff_grade_a_new_risk_and_its_assessment_is_kept(staff, data):
    response = staff.post(reverse("risks:risksource_add"), risk_data(data))
    risk = RiskSource.objects.get(name="Garage fire")
    assert response.status_code == 302 and response.url == risk.get_absolute_url()
    assert (risk.grade, risk.score, risk.colour) == ("major", 25.0, "red")
    assert list(risk.assessments.values_list("grade", "note")) == [("major", "first look")]
    page = staff.get(risk.get_absolute_url()).content.decode()
    assert RED in page and "Assessment history" in page and "Re-assess" in page


def test_lec_inputs_grade_the_risk(staff, data):
    staff.post(reverse("risks:risksource_add"), risk_data(
        data, method="lec", likelihood="", consequence="", l="3", e="6", c="15"))
    risk = RiskSource.objects.get(name="Garage fire")
    assert (risk.method, risk.inputs, risk.score, risk.grade) == (
        "lec", {"l": 3, "e": 6, "c": 15}, 270.0, "high")


@pytest.mark.parametrize("changes, field", [
    ({"consequence": ""}, "consequence"),
    ({"method": "lec", "l": "4", "e": "6", "c": "15"}, "l"),
    ({"method": "guess"}, "method"),
    ({"latitude": "40.0", "longitude": "116.4"}, None),  # Beijing: outside the community
    ({"community": "", "building": ""}, "community"),
])
def test_bad_input_is_a_form_error_and_nothing_is_written(staff, data, changes, field):
    before = RiskSource.objects.count(), RiskAssessment.objects.count()
    response = staff.post(reverse("risks:risksource_add"), risk_data(data, **changes))
    assert response.status_code == 400
    assert "Please correct the following" in response.content.decode()
    if field:
        assert response.context["form"].errors.get(field)
    assert (RiskSource.objects.count(), RiskAssessment.objects.count()) == before


def test_staff_may_not_add_a_risk_to_another_community(staff, data):
    response = staff.post(reverse("risks:risksource_add"), risk_data(
        data, community=data.community_b.pk, building=data.building_b1.pk))
    assert response.status_code == 400
    assert not RiskSource.objects.filter(name="Garage fire").exists()


def test_editing_without_new_inputs_keeps_the_history_as_it_is(staff, data):
    risk = data.risk_a
    staff.post(reverse("risks:risksource_edit", args=[risk.pk]),
               risk_data(data, name="Charging shed A (north)", note=""))
    risk.refresh_from_db()
    assert risk.name == "Charging shed A (north)" and risk.assessments.count() == 1


def test_reassess_regrades_and_keeps_the_history(staff, data):
    risk = data.risk_a
    response = staff.post(reverse("risks:risksource_assess", args=[risk.pk]), {
        "assess-method": "matrix", "assess-likelihood": "2", "assess-consequence": "3",
        "assess-note": "shed rebuilt"})
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.grade, risk.score) == ("low", 6.0)
    assert list(risk.assessments.values_list("grade", flat=True)) == ["low", "major"]


def test_reassess_with_bad_input_writes_nothing(staff, data):
    risk = data.risk_a
    response = staff.post(reverse("risks:risksource_assess", args=[risk.pk]), {
        "assess-method": "lec", "assess-l": "10", "assess-e": "6"})
    assert response.status_code == 400
    assert response.context["assess_form"].errors["c"]
    risk.refresh_from_db()
    assert risk.grade == "major" and risk.assessments.count() == 1


def test_the_preview_shows_the_grade_in_its_colour(staff):
    url = reverse("risks:grade_preview")
    html = staff.get(url, {"method": "matrix", "likelihood": "5", "consequence": "5"}).content.decode()
    assert 'data-grade="major"' in html and RED in html and "25" in html
    html = staff.get(url, {"method": "lec", "l": "1", "e": "10", "c": "7"}).content.decode()
    assert 'data-grade="low"' in html and "70" in html
    html = staff.get(url, {"prefix": "assess", "assess-method": "matrix",
                           "assess-likelihood": "3", "assess-consequence": "3"}).content.decode()
    assert 'data-grade="medium"' in html


def test_residents_may_not_grade_risks(client, data):
    login(client, data, "resident_a1")
    assert client.get(reverse("risks:risksource_add")).status_code == 403
    assert client.get(reverse("risks:grade_preview")).status_code == 403
    assert client.post(reverse("risks:risksource_assess", args=[data.risk_a.pk]),
                       {"assess-method": "matrix"}).status_code == 403


# --- the map, the printable sheet, the residents' page -----------------------------------------

def test_the_community_map_carries_the_risk_layer(staff, data):
    response = staff.get(reverse("map"), {"community": data.community_a.pk})
    config = response.context["map_config"]["risks"]
    assert config["endpoint"].startswith("/api/risks/") and "format=geojson" in config["endpoint"]
    assert [g["hex"] for g in config["grades"]] == [RED, "#f0883e", "#e3b341", "#0969da"]
    layer = staff.get(config["endpoint"] + f"&community={data.community_a.pk}").json()
    assert [f["properties"]["colour"] for f in layer["features"]] == ["red"]
    assert staff.get(reverse("risks:map")).status_code == 302


def test_the_printable_map_has_legend_community_date_and_main_risks(staff, data):
    response = staff.get(reverse("risks:map_print"),
                         {"community": data.community_a.pk, "size": "a3"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Community A" in html and 'id="legend"' in html
    for label in ("Major", "High", "Medium", "Low"):
        assert label in html
    assert "A3 landscape" in html and TODAY.isoformat() in html
    assert "<svg" in html and f'fill="{RED}"' in html and "Charging shed A" in html
    assert "Charging shed B" not in html


def test_the_printable_map_of_another_community_is_not_found(staff, data):
    response = staff.get(reverse("risks:map_print"), {"community": data.community_b.pk})
    assert response.status_code == 404


def test_residents_see_the_main_risks_what_to_do_and_shelters(client, data):
    login(client, data, "resident_a1")
    response = client.get(reverse("risks:residents"), {"community": data.community_a.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Charging shed A" in html and "Do not charge e-bikes indoors." in html
    assert "Shelter A" in html and "m away" in html
    assert "Charging shed B" not in html
    assert client.get(reverse("risks:residents"),
                      {"community": data.community_b.pk}).status_code == 404
    assert client.get(reverse("risks:residents")).status_code == 200  # their only community


# --- inspections on a phone -------------------------------------------------------------------

def test_grid_worker_starts_a_due_inspection_and_sees_the_phone_form(client, data):
    login(client, data, "grid_worker_a1")
    due = client.get(reverse("risks:inspection_due")).content.decode()
    assert "Shelter A" in due and "overdue" in due and "Shelter B" not in due
    response = client.post(reverse("risks:inspectionplan_start", args=[data.plan_a.pk]))
    inspection = Inspection.objects.filter(plan=data.plan_a).get()
    assert response.url == reverse("risks:inspection_edit", args=[inspection.pk])
    html = client.get(response.url).content.decode()
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    for value in ("pass", "fail", "na"):
        assert f'value="{value}"' in html
    assert "data-geolocate" in html


def test_a_plan_of_another_grid_is_not_due_for_the_grid_worker(client, data):
    InspectionPlan.objects.filter(pk=data.plan_a.pk).update(grid=data.grid_a2)
    data.shelter_a.grid = data.grid_a2
    data.shelter_a.save()
    login(client, data, "grid_worker_a1")
    assert "Shelter A" not in client.get(reverse("risks:inspection_due")).content.decode()


def answers(data, inspection, **override):
    post = {f"answer_{data.item_a1.pk}": "pass", f"answer_{data.item_a2.pk}": "pass"}
    post.update(override)
    return post


def test_a_failed_item_without_a_note_is_an_error_on_that_item_and_nothing_is_written(client, data):
    login(client, data, "grid_worker_a1")
    inspection = start_inspection(data.users["grid_worker_a1"], None, plan=data.plan_a)
    before = Hazard.objects.count(), InspectionAnswer.objects.count()
    response = client.post(reverse("risks:inspection_edit", args=[inspection.pk]),
                           answers(data, inspection, **{f"answer_{data.item_a2.pk}": "fail"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "item-card has-error" in html and "Say what is wrong" in html
    response = client.post(reverse("risks:inspection_edit", args=[inspection.pk]),
                           {f"answer_{data.item_a1.pk}": "pass"})
    assert response.status_code == 400 and "Answer this item" in response.content.decode()
    assert (Hazard.objects.count(), InspectionAnswer.objects.count()) == before
    inspection.refresh_from_db()
    assert inspection.status == "in_progress"


def test_submitting_the_inspection_lists_the_hazards_found(client, data):
    login(client, data, "grid_worker_a1")
    inspection = start_inspection(data.users["grid_worker_a1"], None, plan=data.plan_a)
    response = client.post(reverse("risks:inspection_edit", args=[inspection.pk]), answers(
        data, inspection, **{f"answer_{data.item_a1.pk}": "fail",
                             f"note_{data.item_a1.pk}": "Bicycles in the exit",
                             f"photo_{data.item_a1.pk}": photo("exit.jpg"),
                             "latitude": "31.232", "longitude": "121.472"}))
    assert response.status_code == 302
    hazard = Hazard.objects.get(answer__inspection=inspection)
    page = client.get(response.url).content.decode()
    assert "Hazards found" in page and hazard.title in page
    inspection.refresh_from_db()
    assert (inspection.status, inspection.latitude) == ("completed", 31.232)
    answer = inspection.answers.get(item=data.item_a1)
    assert client.get(reverse("risks:inspection_photo", args=[inspection.pk, answer.pk])).status_code == 200
    # a completed inspection is not answered twice
    assert client.get(reverse("risks:inspection_edit", args=[inspection.pk])).status_code == 302


def test_grid_worker_may_not_inspect_another_grid(client, data):
    login(client, data, "grid_worker_a1")
    data.shelter_a.grid = data.grid_a2
    data.shelter_a.save()
    response = client.post(reverse("risks:inspection_add"), {
        "template": data.checklist_a.pk, "facility": data.shelter_a.pk})
    assert response.status_code in (400, 403)
    assert not Inspection.objects.filter(inspector=data.users["grid_worker_a1"]).exists()


def test_staff_manage_a_checklist_with_its_items(staff, data):
    response = staff.post(reverse("risks:checklisttemplate_add"), {
        "community": data.community_a.pk, "name": "Garage before the rains",
        "risk_type": "garage_flood", "facility_kind": "",
        "items-TOTAL_FORMS": "2", "items-INITIAL_FORMS": "0",
        "items-0-order": "1", "items-0-text": "Pumps work", "items-0-severity": "major",
        "items-0-rectify_days": "1",
        "items-1-order": "", "items-1-text": "", "items-1-severity": "general",
        "items-1-rectify_days": "7"})
    checklist = ChecklistTemplate.objects.get(name="Garage before the rains")
    assert response.status_code == 302
    assert list(checklist.items.values_list("text", flat=True)) == ["Pumps work"]


# --- hazards ----------------------------------------------------------------------------------

def act(client, hazard, action, **fields):
    return client.post(reverse("risks:hazard_act", args=[hazard.pk, action]),
                       {f"{action}-{k}": v for k, v in fields.items()})


def test_the_loop_through_the_web_from_found_to_verified(client, data):
    hazard = data.hazard_a
    login(client, data, "staff_a")
    deadline = (TODAY + dt.timedelta(days=5)).isoformat()
    response = act(client, hazard, "assign", responsible=data.property_a.pk,
                   assignee=data.users["grid_worker_a1"].pk, deadline=deadline, note="today")
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert (hazard.status, hazard.assignee, hazard.deadline.isoformat()) == (
        "assigned", data.users["grid_worker_a1"], deadline)

    login(client, data, "grid_worker_a1")
    before = HazardEvent.objects.count()
    response = act(client, hazard, "rectify", note="Cleared")  # no photo
    assert response.status_code == 400
    assert "A photo of the result is required" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == "assigned" and HazardEvent.objects.count() == before
    response = act(client, hazard, "rectify", note="Cleared", photo=photo())
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == "rectified"
    page = client.get(hazard.get_absolute_url()).content.decode()
    assert 'data-action="verify"' not in page and 'data-action="reopen"' not in page
    assert act(client, hazard, "verify").status_code == 403

    login(client, data, "staff_a")
    page = client.get(hazard.get_absolute_url()).content.decode()
    assert 'data-action="verify"' in page and 'data-action="reopen"' in page
    event = hazard.events.get(action="rectify")
    assert client.get(reverse("risks:hazard_event_photo", args=[hazard.pk, event.pk])).status_code == 200
    assert act(client, hazard, "verify", note="Checked").status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == "verified"
    page = client.get(hazard.get_absolute_url()).content.decode()
    assert "verified" in page and 'data-action="assign"' not in page


def test_an_illegal_step_is_refused_with_its_reason(staff, data):
    response = act(staff, data.hazard_a, "verify")
    assert response.status_code == 400
    assert "cannot become" in response.content.decode()
    data.hazard_a.refresh_from_db()
    assert data.hazard_a.status == "found"


def test_assigning_without_a_deadline_writes_nothing(staff, data):
    response = act(staff, data.hazard_a, "assign", responsible=data.property_a.pk)
    assert response.status_code == 400
    assert response.context["actions"][0]["form"].errors["deadline"]
    data.hazard_a.refresh_from_db()
    assert data.hazard_a.status == "found" and data.hazard_a.events.count() == 1


def test_the_hazard_list_highlights_overdue_ones_and_sums_them_up(staff, data):
    Hazard.objects.filter(pk=data.hazard_a.pk).update(status="assigned",
                                                      deadline=TODAY - dt.timedelta(days=1))
    html = staff.get(reverse("risks:hazard_list")).content.decode()
    assert "overdue-flag" in html
    assert "overdue-flag" in staff.get(reverse("risks:hazard_list") + "?overdue=true").content.decode()
    summary = staff.get(reverse("risks:hazard_summary"), HTTP_HX_REQUEST="true")
    assert summary.context["overdue"] == 1 and summary.context["by_grid"][0]["overdue"] == 1
    assert "Grid A1" in summary.content.decode()


def test_grid_worker_reports_a_hazard_with_a_photo(client, data):
    login(client, data, "grid_worker_a1")
    response = client.post(reverse("risks:hazard_add"), {
        "community": data.community_a.pk, "title": "Loose cable", "severity": "general",
        "building": data.building_a1.pk, "photo": photo("cable.jpg")})
    hazard = Hazard.objects.get(title="Loose cable")
    assert response.status_code == 302 and hazard.status == "found" and hazard.photo
    response = client.post(reverse("risks:hazard_add"), {
        "community": data.community_a.pk, "title": "Elsewhere", "severity": "general",
        "building": data.building_a2.pk})
    assert response.status_code == 400 and not Hazard.objects.filter(title="Elsewhere").exists()


def test_photos_are_served_only_within_scope(client, data):
    hazard = loop.report(data.users["admin"], community=data.community_b, title="B photo",
                         building=data.building_b1, photo=photo())
    login(client, data, "staff_a")
    assert client.get(reverse("risks:hazard_photo", args=[hazard.pk])).status_code == 404
    login(client, data, "staff_b")
    assert client.get(reverse("risks:hazard_photo", args=[hazard.pk])).status_code == 200


def test_the_dashboard_shows_grades_hazards_and_overdue_inspections(staff, data):
    html = staff.get(reverse("dashboard")).content.decode()
    assert 'data-grade="major"' in html and "Open hazards" in html and "Overdue inspections" in html
    panel = staff.get(reverse("dashboard")).context["panels"][0]
    assert [g["count"] for g in panel["grades"]] == [1, 0, 0, 0]
    assert panel["plans_overdue"] == 1 and panel["hazards_open"] == 1


def test_map_config_is_valid_json(staff):
    html = staff.get(reverse("map")).content.decode()
    start = html.index('id="map-config"')
    payload = html[html.index(">", start) + 1:html.index("</script>", start)]
    assert json.loads(payload)["risks"]["labels"]["legend"] == "Risk grades"
