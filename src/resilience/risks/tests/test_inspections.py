"""Inspections: starting one in scope, completing it, failed items becoming hazards, plans, checklists."""
import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from resilience.core.models import ChangeLogEntry
from resilience.places.models import Facility
from resilience.risks.inspections import (
    complete_inspection, due_plans, next_due, overdue_plans, start_inspection,
)
from resilience.risks.models import (
    ChecklistItem, ChecklistTemplate, Hazard, Inspection, InspectionAnswer, InspectionPlan,
)
from resilience.risks.vocab import HazardSeverity, HazardSource

TODAY = timezone.localdate()
DEFAULT_CHECKLISTS = ("消防安全检查", "室外消火栓检查", "配电房安全检查", "燃气设施安全检查", "电动自行车充电场所安全检查",
                      "地下车库汛前安全检查", "电梯安全检查", "高层建筑消防安全检查", "应急避难场所完好性检查")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def power_room(world):
    return Facility.objects.create(
        community=world.community_a, grid=world.grid_a1, kind="power_room", code="PR1",
        name="一网格配电房", owner=world.property_a, latitude=31.2312, longitude=121.4712)


@pytest.fixture
def checklist():
    return ChecklistTemplate.objects.get(name="配电房安全检查", community=None)


def all_pass(template, overrides: dict | None = None) -> dict:
    answers = {item.pk: {"answer": "pass", "note": ""} for item in template.items.all()}
    answers.update(overrides or {})
    return answers


def written() -> tuple:
    return (Inspection.objects.filter(status="completed").count(), InspectionAnswer.objects.count(),
            Hazard.objects.count())


# --- the default checklists -----------------------------------------------------------------

def test_default_checklists_are_shared_and_realistic(db):
    shared = ChecklistTemplate.objects.filter(community=None)
    assert set(DEFAULT_CHECKLISTS) <= set(shared.values_list("name", flat=True))
    for template in shared.filter(name__in=DEFAULT_CHECKLISTS):
        items = list(template.items.all())
        assert 6 <= len(items) <= 10, template.name
        assert [i.order for i in items] == list(range(1, len(items) + 1))
        assert any(i.severity == HazardSeverity.MAJOR for i in items), template.name
        assert all(1 <= i.rectify_days <= 30 and i.severity in HazardSeverity.values for i in items)
    fire = shared.get(name="消防安全检查")
    assert fire.items.filter(text__contains="消防通道").exists()
    assert fire.items.filter(text__contains="灭火器在有效期内").exists()
    garage = shared.get(name="地下车库汛前安全检查").items.values_list("text", flat=True)
    assert any("挡水板" in t for t in garage) and any("排水泵" in t for t in garage)
    assert any("沙袋" in t for t in garage)


@pytest.mark.parametrize("name", ["staff_a", "grid_worker_a1", "property_a", "office", "volunteer_a"])
def test_everyone_sees_the_shared_checklists_but_only_the_admin_changes_them(world, name):
    user = world.users[name]
    shared = ChecklistTemplate.objects.filter(community=None)
    assert set(shared) <= set(ChecklistTemplate.objects.visible_to(user))
    assert not ChecklistTemplate.objects.visible_to(user, "change").filter(community=None).exists()
    assert ChecklistTemplate.objects.visible_to(world.users["admin"], "change").count() == shared.count()


def test_a_communitys_own_checklist_stays_in_the_community(world):
    own = ChecklistTemplate.objects.create(community=world.community_a, name="社区自查表")
    assert own in ChecklistTemplate.objects.visible_to(world.users["staff_a"], "change")
    assert own not in ChecklistTemplate.objects.visible_to(world.users["staff_b"])
    assert ChecklistTemplate.objects.visible_to(world.users["outsider"]).count() == \
        ChecklistTemplate.objects.filter(community=None).count()
    from django.contrib.auth.models import AnonymousUser
    assert not ChecklistTemplate.objects.visible_to(AnonymousUser()).exists()


# --- starting -------------------------------------------------------------------------------

def test_grid_worker_starts_an_inspection_in_their_grid(world, power_room, checklist):
    inspection = start_inspection(world.users["grid_worker_a1"], checklist, facility=power_room)
    assert (inspection.community, inspection.grid, inspection.organisation) == (
        world.community_a, world.grid_a1, world.property_a)
    assert inspection.inspector == world.users["grid_worker_a1"]
    assert inspection.status == "in_progress"


def test_property_company_inspects_its_own_facility(world, power_room, checklist):
    assert start_inspection(world.users["property_a"], checklist, facility=power_room).organisation \
        == world.property_a


def test_an_out_of_scope_facility_is_refused_and_nothing_written(world, checklist):
    power_b = Facility.objects.create(community=world.community_b, grid=world.grid_b1,
                                      kind="power_room", code="PR1", name="B配电房")
    with pytest.raises(ValidationError) as exc:
        start_inspection(world.users["staff_a"], checklist, facility=power_b)
    assert "facility" in exc.value.message_dict
    assert not Inspection.objects.exists()


def test_grid_worker_cannot_inspect_another_grid(world, checklist):
    power_a2 = Facility.objects.create(community=world.community_a, grid=world.grid_a2,
                                       kind="power_room", code="PR2", name="二网格配电房")
    with pytest.raises(PermissionDenied):
        start_inspection(world.users["grid_worker_a1"], checklist, facility=power_a2)
    assert not Inspection.objects.exists()
    assert not ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Inspection)).exists()


def test_volunteer_and_resident_may_not_inspect(world, power_room, checklist):
    for name in ("volunteer_a", "resident_a1"):
        with pytest.raises(PermissionDenied):
            start_inspection(world.users[name], checklist, facility=power_room)


def test_another_communitys_checklist_is_refused(world, power_room):
    theirs = ChecklistTemplate.objects.create(community=world.community_b, name="B自查表")
    ChecklistItem.objects.create(template=theirs, text="x")
    with pytest.raises(ValidationError) as exc:
        start_inspection(world.users["admin"], theirs, facility=power_room)
    assert "template" in exc.value.message_dict


def test_a_target_is_required(world, checklist):
    with pytest.raises(ValidationError) as exc:
        start_inspection(world.users["staff_a"], checklist)
    assert "facility" in exc.value.message_dict


# --- completing -----------------------------------------------------------------------------

def test_a_failed_item_becomes_a_hazard_due_in_its_rectify_days(world, power_room, checklist):
    worker = world.users["grid_worker_a1"]
    inspection = start_inspection(worker, checklist, facility=power_room)
    major = checklist.items.get(text__startswith="配电柜无异响")
    general = checklist.items.get(text__startswith="室内无杂物")
    assert (major.severity, major.rectify_days, general.rectify_days) == ("major", 1, 3)
    photo = SimpleUploadedFile("rust.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    hazards = complete_inspection(inspection, worker, all_pass(checklist, {
        major.pk: {"answer": "fail", "note": "2号柜接线端子发黑，有焦味"},
        general.pk: {"answer": "fail", "note": "", "photo": photo},
    }), latitude=31.2312, longitude=121.4712)
    assert len(hazards) == 2
    first = next(h for h in hazards if h.answer.item == major)
    assert first.severity == "major" and first.deadline == TODAY + dt.timedelta(days=1)
    assert first.source == HazardSource.INSPECTION and first.status == "found"
    assert first.responsible == world.property_a  # the facility's owner
    assert (first.facility, first.grid, first.community) == (power_room, world.grid_a1, world.community_a)
    assert (first.latitude, first.longitude) == (31.2312, 121.4712)
    assert "配电柜无异响" in first.title and power_room.name in first.title
    assert first.description == "2号柜接线端子发黑，有焦味"
    assert first.found_by == worker
    event = first.events.get()
    assert (event.action, event.to_status, event.user) == ("report", "found", worker)
    second = next(h for h in hazards if h.answer.item == general)
    assert second.deadline == TODAY + dt.timedelta(days=3) and second.severity == "general"
    assert second.photo.name == second.answer.photo.name != ""
    inspection.refresh_from_db()
    assert inspection.status == "completed" and inspection.completed_at
    assert inspection.answers.count() == checklist.items.count()
    assert inspection.failed_count == 2
    assert (inspection.latitude, inspection.longitude) == (31.2312, 121.4712)
    logged = ChangeLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Hazard))
    assert logged.count() == 2 and {e.user for e in logged} == {worker}


def test_missing_answers_are_named_and_nothing_is_written(world, power_room, checklist):
    worker = world.users["grid_worker_a1"]
    inspection = start_inspection(worker, checklist, facility=power_room)
    answers = all_pass(checklist)
    first, *rest, last = checklist.items.all()
    del answers[first.pk], answers[last.pk]
    before = written()
    with pytest.raises(ValidationError) as exc:
        complete_inspection(inspection, worker, answers)
    message = " ".join(exc.value.message_dict["answers"])
    assert first.text in message and last.text in message
    assert rest[0].text not in message
    assert written() == before
    assert Inspection.objects.get(pk=inspection.pk).status == "in_progress"


def test_a_failed_item_needs_a_note_or_a_photo(world, power_room, checklist):
    worker = world.users["grid_worker_a1"]
    inspection = start_inspection(worker, checklist, facility=power_room)
    item = checklist.items.first()
    before = written()
    with pytest.raises(ValidationError) as exc:
        complete_inspection(inspection, worker, all_pass(checklist, {item.pk: {"answer": "fail", "note": " "}}))
    assert item.text in exc.value.message_dict["answers"][0]
    with pytest.raises(ValidationError):
        complete_inspection(inspection, worker, all_pass(checklist, {item.pk: {"answer": "maybe"}}))
    with pytest.raises(ValidationError) as exc:
        complete_inspection(inspection, worker, {**all_pass(checklist), 999999: {"answer": "pass"}})
    assert "999999" in exc.value.message_dict["answers"][0]
    assert written() == before


def test_an_inspection_is_completed_once(world, power_room, checklist):
    worker = world.users["grid_worker_a1"]
    inspection = start_inspection(worker, checklist, facility=power_room)
    assert complete_inspection(inspection, worker, all_pass(checklist)) == []
    with pytest.raises(ValidationError) as exc:
        complete_inspection(inspection, worker, all_pass(checklist))
    assert "status" in exc.value.message_dict


def test_only_who_may_change_it_completes_it(world, power_room, checklist):
    inspection = start_inspection(world.users["grid_worker_a1"], checklist, facility=power_room)
    for name in ("office", "volunteer_a", "staff_b"):
        with pytest.raises(PermissionDenied):
            complete_inspection(inspection, world.users[name], all_pass(checklist))
    assert written() == (0, 0, 0)


def test_a_hazard_at_a_facility_without_owner_goes_to_the_buildings_manager(world, checklist):
    box = Facility.objects.create(community=world.community_a, grid=world.grid_a1,
                                  building=world.building_a1, kind="fire_equipment", code="FE1",
                                  name="1号楼消防器材箱")
    inspection = start_inspection(world.users["staff_a"], checklist, facility=box)
    item = checklist.items.first()
    [hazard] = complete_inspection(inspection, world.users["staff_a"], all_pass(
        checklist, {item.pk: {"answer": "fail", "note": "过期"}}))
    assert hazard.responsible == world.property_a and hazard.building == world.building_a1
    assert (hazard.latitude, hazard.longitude) == (world.building_a1.latitude, world.building_a1.longitude)


# --- plans ----------------------------------------------------------------------------------

def make_plan(world, facility, template, due, every=30, **fields):
    return InspectionPlan.objects.create(community=world.community_a, template=template,
                                         facility=facility, grid=facility.grid, next_due=due,
                                         frequency_days=every, **fields)


def test_completing_a_planned_inspection_moves_the_plan_on(world, power_room, checklist):
    plan = make_plan(world, power_room, checklist, TODAY - dt.timedelta(days=5))
    worker = world.users["grid_worker_a1"]
    inspection = start_inspection(worker, None, plan=plan)
    assert (inspection.template, inspection.facility, inspection.plan) == (checklist, power_room, plan)
    complete_inspection(inspection, worker, all_pass(checklist))
    plan.refresh_from_db()
    assert plan.next_due == TODAY + dt.timedelta(days=30)  # late: counted from today


def test_next_due_keeps_the_rhythm_when_done_early(world, power_room, checklist):
    plan = make_plan(world, power_room, checklist, dt.date(2025, 6, 10), every=7)
    assert next_due(plan, dt.date(2025, 6, 8)) == dt.date(2025, 6, 17)
    assert next_due(plan, dt.date(2025, 6, 12)) == dt.date(2025, 6, 19)


def test_overdue_and_due_plans(world, power_room, checklist):
    late = make_plan(world, power_room, checklist, TODAY - dt.timedelta(days=1))
    today = make_plan(world, power_room, checklist, TODAY)
    soon = make_plan(world, power_room, checklist, TODAY + dt.timedelta(days=7))
    later = make_plan(world, power_room, checklist, TODAY + dt.timedelta(days=8))
    make_plan(world, power_room, checklist, TODAY - dt.timedelta(days=9), active=False)
    plans = InspectionPlan.objects.all()
    assert list(overdue_plans(plans, TODAY)) == [late]
    assert set(due_plans(plans, TODAY)) == {late, today, soon}
    assert later not in due_plans(plans, TODAY)


def test_a_plan_of_another_checklist_is_refused(world, power_room, checklist):
    plan = make_plan(world, power_room, checklist, TODAY)
    fire = ChecklistTemplate.objects.get(name="消防安全检查", community=None)
    with pytest.raises(ValidationError) as exc:
        start_inspection(world.users["staff_a"], fire, plan=plan)
    assert "template" in exc.value.message_dict
