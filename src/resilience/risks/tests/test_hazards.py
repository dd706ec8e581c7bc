"""The hazard rectification loop: every transition, evidence, who may verify, escalation, on-time rate."""
import datetime as dt
import itertools
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from resilience.core.models import ChangeLogEntry
from resilience.places.models import Facility
from resilience.risks import hazards as svc
from resilience.risks.hazards import TRANSITIONS, TransitionError
from resilience.risks.models import Hazard, HazardEvent
from resilience.risks.vocab import HazardStatus as S

ACTIONS = ("assign", "start", "rectify", "verify", "reopen")
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def photo(name="after.jpg"):
    return SimpleUploadedFile(name, b"\xff\xd8\xff\xe0fake-jpeg", content_type="image/jpeg")


def new_hazard(world, user="staff_a", **fields) -> Hazard:
    fields.setdefault("community", world.community_a)
    fields.setdefault("building", world.building_a1)
    fields.setdefault("title", "楼道堆放杂物")
    return svc.report(world.users[user], **fields)


def act(name, hazard, user):
    """Run step ``name`` with the arguments it needs."""
    if name == "assign":
        return svc.assign(hazard, user, deadline=TODAY + dt.timedelta(days=7))
    if name == "rectify":
        return svc.rectify(hazard, user, note="已清理", photo=photo())
    if name == "reopen":
        return svc.reopen(hazard, user, note="仍有杂物")
    return getattr(svc, name)(hazard, user)


def set_status(hazard, status):
    Hazard.objects.filter(pk=hazard.pk).update(status=status)
    hazard.refresh_from_db()


# --- report ---------------------------------------------------------------------------------

def test_report_creates_a_found_hazard_placed_at_the_building(world):
    hazard = new_hazard(world, severity="major")
    assert hazard.status == S.FOUND and hazard.severity == "major"
    assert hazard.grid == world.grid_a1
    assert hazard.responsible == world.property_a  # the building's manager
    assert (hazard.latitude, hazard.longitude) == (world.building_a1.latitude, world.building_a1.longitude)
    event = hazard.events.get()
    assert (event.action, event.from_status, event.to_status, event.user) == (
        "report", "", "found", world.users["staff_a"])
    entry = ChangeLogEntry.objects.get(content_type=ContentType.objects.get_for_model(Hazard),
                                       object_id=hazard.pk)
    assert entry.user == world.users["staff_a"] and entry.action == "create"


def test_grid_worker_cannot_report_a_hazard_in_another_grid(world):
    before = Hazard.objects.count(), HazardEvent.objects.count()
    with pytest.raises(PermissionDenied):
        new_hazard(world, "grid_worker_a1", building=world.building_a2)
    assert (Hazard.objects.count(), HazardEvent.objects.count()) == before
    assert new_hazard(world, "grid_worker_a1").grid == world.grid_a1


def test_report_refuses_a_place_in_another_community(world):
    with pytest.raises(ValidationError) as exc:
        new_hazard(world, building=world.building_b1)
    assert "community" in exc.value.message_dict
    assert not Hazard.objects.exists()


def test_resident_cannot_report_through_the_staff_service(world):
    with pytest.raises(PermissionDenied):
        new_hazard(world, "resident_a1")


def test_report_needs_a_title(world):
    with pytest.raises(ValidationError) as exc:
        new_hazard(world, title="  ")
    assert "title" in exc.value.message_dict


# --- the full loop --------------------------------------------------------------------------

def test_the_whole_loop_writes_an_event_and_a_change_log_entry_per_step(world):
    staff, worker = world.users["staff_a"], world.users["grid_worker_a1"]
    hazard = new_hazard(world, "grid_worker_a1")
    svc.assign(hazard, staff, responsible=world.property_a, assignee=world.users["property_a"],
               deadline=TODAY + dt.timedelta(days=3), note="请物业三天内清理")
    assert (hazard.status, hazard.assignee, hazard.deadline) == (
        S.ASSIGNED, world.users["property_a"], TODAY + dt.timedelta(days=3))
    svc.start(hazard, world.users["property_a"])
    svc.rectify(hazard, world.users["property_a"], note="杂物已清运", photo=photo())
    assert hazard.status == S.RECTIFIED and hazard.rectified_at
    svc.verify(hazard, staff, note="现场复查通过")
    assert hazard.status == S.VERIFIED and hazard.verified_by == staff and hazard.verified_at
    assert not hazard.is_open
    events = list(hazard.events.values_list("action", "from_status", "to_status", "user__username"))
    assert events == [
        ("report", "", "found", "grid_worker_a1"),
        ("assign", "found", "assigned", "staff_a"),
        ("start", "assigned", "rectifying", "property_a"),
        ("rectify", "rectifying", "rectified", "property_a"),
        ("verify", "rectified", "verified", "staff_a"),
    ]
    assert hazard.events.get(action="rectify").photo.name.endswith(".jpg")
    log = ChangeLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Hazard),
                                        object_id=hazard.pk).order_by("id")
    assert [e.user.username for e in log] == [
        "grid_worker_a1", "staff_a", "property_a", "property_a", "staff_a"]
    assert log.last().before["status"] == "rectified" and log.last().after["status"] == "verified"
    assert Hazard.objects.get(pk=hazard.pk).status == S.VERIFIED
    assert worker  # the grid worker reported it


def test_rectify_may_skip_start(world):
    hazard = new_hazard(world)
    svc.assign(hazard, world.users["staff_a"], deadline=TODAY)
    svc.rectify(hazard, world.users["property_a"], note="已修复", photo=photo())
    assert hazard.status == S.RECTIFIED


# --- every transition -----------------------------------------------------------------------

LEGAL = {(from_status, action) for action, table in TRANSITIONS.items() for from_status in table}


@pytest.mark.parametrize("status,action", list(itertools.product(S.values, ACTIONS)))
def test_each_step_is_allowed_exactly_from_its_statuses(world, status, action):
    staff = world.users["staff_a"]  # may change and verify: only the status decides
    hazard = new_hazard(world)
    set_status(hazard, status)
    events = hazard.events.count()
    if (status, action) in LEGAL:
        act(action, hazard, staff)
        assert hazard.status == TRANSITIONS[action][status]
        assert Hazard.objects.get(pk=hazard.pk).status == hazard.status
        assert hazard.events.count() == events + 1
        last = hazard.events.last()
        assert (last.action, last.from_status, last.to_status) == (action, status, hazard.status)
    else:
        with pytest.raises(TransitionError) as exc:
            act(action, hazard, staff)
        message = exc.value.message_dict["status"][0]
        assert str(S(status).label) in message and str(svc.TARGET_STATUS[action].label) in message
        assert isinstance(exc.value, ValidationError)
        assert Hazard.objects.get(pk=hazard.pk).status == status
        assert hazard.events.count() == events


def test_the_transition_table_is_the_documented_one():
    assert LEGAL == {
        ("found", "assign"), ("assigned", "assign"), ("rectifying", "assign"),
        ("assigned", "start"), ("assigned", "rectify"), ("rectifying", "rectify"),
        ("rectified", "verify"), ("rectified", "reopen"),
    }
    assert TRANSITIONS["assign"]["rectifying"] == "rectifying"  # re-assigning keeps the work going


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=8))
def test_random_step_sequences_follow_the_table(world, steps):
    staff = world.users["staff_a"]
    with transaction.atomic():
        hazard = new_hazard(world)
        status, taken = S.FOUND, []
        for step in steps:
            expected = TRANSITIONS[step].get(status)
            if expected is None:
                with pytest.raises(TransitionError):
                    act(step, hazard, staff)
            else:
                act(step, hazard, staff)
                status = expected
                taken.append(step)
            assert Hazard.objects.get(pk=hazard.pk).status == status == hazard.status
        assert list(hazard.events.exclude(action="report").values_list("action", flat=True)) == taken
        transaction.set_rollback(True)


# --- evidence, rights -----------------------------------------------------------------------

@pytest.fixture
def assigned(world):
    hazard = new_hazard(world)
    svc.assign(hazard, world.users["staff_a"], deadline=TODAY + dt.timedelta(days=5))
    return hazard


def test_rectify_without_a_photo_is_refused_and_nothing_changes(world, assigned):
    before = HazardEvent.objects.count(), ChangeLogEntry.objects.count()
    for kwargs in ({"note": "已修复", "photo": None}, {"note": "", "photo": photo()},
                   {"note": "已修复", "photo": SimpleUploadedFile("a.txt", b"x", content_type="text/plain")}):
        with pytest.raises(ValidationError) as exc:
            svc.rectify(assigned, world.users["staff_a"], **kwargs)
        assert set(exc.value.message_dict) <= {"photo", "note"}
    assigned.refresh_from_db()
    assert assigned.status == S.ASSIGNED and assigned.rectified_at is None
    assert (HazardEvent.objects.count(), ChangeLogEntry.objects.count()) == before


@pytest.fixture
def rectified(world, assigned):
    svc.rectify(assigned, world.users["property_a"], note="已修复", photo=photo())
    return assigned


@pytest.mark.parametrize("name", ["grid_worker_a1", "property_a", "volunteer_a", "resident_a1",
                                  "staff_b"])
def test_only_staff_and_the_street_office_may_verify(world, rectified, name):
    with pytest.raises(PermissionDenied):
        svc.verify(rectified, world.users[name])
    with pytest.raises(PermissionDenied):
        svc.reopen(rectified, world.users[name], note="不行")
    assert Hazard.objects.get(pk=rectified.pk).status == S.RECTIFIED


def test_the_street_office_may_verify(world, rectified):
    svc.verify(rectified, world.users["office"])
    assert rectified.status == S.VERIFIED and rectified.verified_by == world.users["office"]


def test_reopen_sends_it_back_to_rectifying_and_clears_rectified_at(world, rectified):
    with pytest.raises(ValidationError):
        svc.reopen(rectified, world.users["staff_a"], note="")
    svc.reopen(rectified, world.users["staff_a"], note="灭火器仍过期")
    assert rectified.status == S.RECTIFYING and rectified.rectified_at is None
    assert rectified.events.last().note == "灭火器仍过期"
    svc.rectify(rectified, world.users["property_a"], note="已更换", photo=photo())
    svc.verify(rectified, world.users["staff_a"])
    assert rectified.status == S.VERIFIED


def test_grid_worker_sees_the_community_but_changes_only_their_grid(world):
    here = new_hazard(world)  # grid a1
    there = new_hazard(world, building=world.building_a2)
    other = new_hazard(world, "staff_b", community=world.community_b, building=world.building_b1)
    worker = world.users["grid_worker_a1"]
    assert set(Hazard.objects.visible_to(worker)) == {here, there}
    assert set(Hazard.objects.visible_to(worker, "change")) == {here}
    svc.assign(here, worker, deadline=TODAY + dt.timedelta(days=2))
    with pytest.raises(PermissionDenied):
        svc.assign(there, worker, deadline=TODAY + dt.timedelta(days=2))
    with pytest.raises(PermissionDenied):
        svc.comment(other, worker, note="看见了")
    svc.comment(there, worker, note="二号网格也有类似情况")
    assert there.events.last().action == "comment"


def test_property_company_sees_only_what_it_is_responsible_for(world):
    theirs = new_hazard(world)  # building a1 is managed by property_a
    not_theirs = new_hazard(world, grid=world.grid_a2, building=None)
    assert not_theirs.responsible is None
    company = world.users["property_a"]
    assert list(Hazard.objects.visible_to(company)) == [theirs]
    with pytest.raises(PermissionDenied):
        svc.assign(not_theirs, company, deadline=TODAY)


def test_property_company_cannot_hand_a_hazard_to_another_organisation(world):
    hazard = new_hazard(world)
    before = HazardEvent.objects.count()
    with pytest.raises(PermissionDenied):
        svc.assign(hazard, world.users["property_a"], responsible=world.team_a, deadline=TODAY)
    hazard.refresh_from_db()
    assert (hazard.status, hazard.responsible) == (S.FOUND, world.property_a)
    assert HazardEvent.objects.count() == before


def test_assign_checks_deadline_assignee_and_community(world):
    hazard = new_hazard(world)
    staff = world.users["staff_a"]
    with pytest.raises(ValidationError) as exc:
        svc.assign(hazard, staff, deadline=TODAY - dt.timedelta(days=1))
    assert "deadline" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.assign(hazard, staff, assignee=world.users["staff_b"], deadline=TODAY)
    assert "assignee" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.assign(hazard, staff, responsible=world.property_b, deadline=TODAY)
    assert "responsible" in exc.value.message_dict
    assert Hazard.objects.get(pk=hazard.pk).status == S.FOUND


def test_reassigning_while_rectifying_keeps_the_status(world, assigned):
    svc.start(assigned, world.users["property_a"])
    svc.assign(assigned, world.users["staff_a"], assignee=world.users["grid_worker_a1"],
               deadline=TODAY + dt.timedelta(days=10), note="改由网格员跟进")
    assert assigned.status == S.RECTIFYING and assigned.assignee == world.users["grid_worker_a1"]
    assert assigned.events.last().action == "assign"


# --- escalation -----------------------------------------------------------------------------

def at(day: dt.date, hour: int = 2) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def late(world):
    hazard = new_hazard(world)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=dt.date(2025, 6, 10), status=S.ASSIGNED)
    hazard.refresh_from_db()
    return hazard


def test_not_escalated_on_the_deadline_day(world, late):
    assert svc.escalate_overdue(at(dt.date(2025, 6, 10), 23)) == []


def test_escalation_is_idempotent_within_a_day_and_capped(world, late):
    day1 = dt.date(2025, 6, 11)
    assert svc.escalate_overdue(at(day1)) == [late]
    for hour in (3, 12, 23):
        assert svc.escalate_overdue(at(day1, hour)) == []
    late.refresh_from_db()
    assert (late.escalation_level, late.escalated_at) == (1, at(day1))
    assert svc.escalate_overdue(at(day1 + dt.timedelta(days=2), 23)) == []  # within 3 days
    assert svc.escalate_overdue(at(day1 + dt.timedelta(days=3), 0)) == [late]
    late.refresh_from_db()
    assert late.escalation_level == 2
    for days in (6, 9, 30):
        assert svc.escalate_overdue(at(day1 + dt.timedelta(days=days))) == []
    late.refresh_from_db()
    assert late.escalation_level == svc.MAX_ESCALATION == 2
    events = list(late.events.filter(action="escalate").order_by("time"))
    assert [e.time for e in events] == [at(day1), at(day1 + dt.timedelta(days=3), 0)]
    assert all(e.user is None and e.from_status == e.to_status == "assigned" for e in events)
    entry = ChangeLogEntry.objects.filter(object_id=late.pk, source="escalate").order_by("id").first()
    assert entry is not None and entry.after["escalation_level"] == 1


def test_rectified_and_not_yet_due_hazards_are_not_escalated(world, late):
    Hazard.objects.filter(pk=late.pk).update(status=S.RECTIFIED)
    not_due = new_hazard(world)
    Hazard.objects.filter(pk=not_due.pk).update(deadline=dt.date(2025, 7, 1))
    no_deadline = new_hazard(world)
    assert no_deadline.deadline is None
    assert svc.escalate_overdue(at(dt.date(2025, 6, 20))) == []


def test_escalate_hazards_command_prints_what_it_did(world, late):
    out = StringIO()
    call_command("escalate_hazards", "--now", "2025-06-12T08:00:00", stdout=out)
    assert "1 hazard(s) escalated" in out.getvalue() and late.title in out.getvalue()
    out = StringIO()
    call_command("escalate_hazards", "--now", "2025-06-12T09:00:00", stdout=out)
    assert "0 hazard(s) escalated" in out.getvalue()


# --- on-time rate ---------------------------------------------------------------------------

def test_on_time_rate_counts_only_decided_hazards(world):
    assert svc.on_time_rate(Hazard.objects.all()) is None
    today = dt.date(2025, 6, 20)
    deadline = dt.date(2025, 6, 15)

    def make(rectified_on=None, due=deadline, status=S.ASSIGNED):
        hazard = new_hazard(world)
        Hazard.objects.filter(pk=hazard.pk).update(
            deadline=due, status=status,
            rectified_at=at(rectified_on, 23) if rectified_on else None)

    make(dt.date(2025, 6, 15), status=S.VERIFIED)     # on the deadline day: on time
    make(dt.date(2025, 6, 10), status=S.RECTIFIED)    # early
    make(dt.date(2025, 6, 16), status=S.VERIFIED)     # a day late
    make(None)                                        # open and overdue: late
    make(None, due=dt.date(2025, 6, 25))              # not yet due: not counted
    make(None, due=None, status=S.FOUND)              # no deadline: not counted
    assert svc.on_time_rate(Hazard.objects.all(), today) == 0.5
    assert svc.on_time_rate(Hazard.objects.filter(status=S.VERIFIED), today) == 0.5
    assert svc.on_time_rate(Hazard.objects.none(), today) is None


def test_report_at_a_facility_takes_its_owner_and_grid(world):
    facility = Facility.objects.create(
        community=world.community_a, grid=world.grid_a2, kind="power_room", code="PR9",
        name="2号配电房", owner=world.team_a, latitude=31.2311, longitude=121.4761)
    hazard = new_hazard(world, building=None, facility=facility)
    assert (hazard.grid, hazard.responsible, hazard.latitude) == (world.grid_a2, world.team_a, 31.2311)
