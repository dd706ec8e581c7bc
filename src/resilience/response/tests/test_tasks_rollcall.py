"""The task state machine, overdue escalation, and roll-call."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from resilience.core.models import AccessLogEntry
from resilience.response.models import RollCallEntry, Task, TaskEvent
from resilience.response.services import rollcall as roll
from resilience.response.services import tasks as flow
from resilience.response.services.tasks import TRANSITIONS, TaskTransitionError
from resilience.response.vocab import HelperKind, RollCallStatus, TaskStatus as S

pytestmark = pytest.mark.django_db


def new_task(world, assignee="volunteer_a", **fields):
    fields.setdefault("title", "送药上门")
    return Task.objects.create(community=world.community_a,
                               assignee=world.users[assignee] if assignee else None, **fields)


def photo():
    return SimpleUploadedFile("done.jpg", b"\xff\xd8\xff\xe0fake", content_type="image/jpeg")


def test_the_assignee_accepts_progresses_and_completes_with_a_photo(world):
    task = new_task(world)
    flow.accept(task, world.users["volunteer_a"])
    flow.progress(task, world.users["volunteer_a"], note="出发")
    flow.complete(task, world.users["volunteer_a"], note="已送达", photo=photo())
    task.refresh_from_db()
    assert task.status == S.DONE and task.outcome == "已送达"
    assert task.accepted_at and task.completed_at
    actions = list(task.events.values_list("action", "from_status", "to_status"))
    assert actions == [("accept", S.OPEN, S.ACCEPTED), ("progress", S.ACCEPTED, S.IN_PROGRESS),
                       ("complete", S.IN_PROGRESS, S.DONE)]
    assert task.events.last().photo


@pytest.mark.parametrize("status", list(S.values))
@pytest.mark.parametrize("action", ["accept", "progress", "complete"])
def test_every_illegal_transition_is_refused_with_a_clear_error(world, status, action):
    task = new_task(world, status=status)
    step = getattr(flow, action)
    if status in TRANSITIONS[action]:
        step(task, world.users["volunteer_a"])
        assert task.status == TRANSITIONS[action][status]
    else:
        with pytest.raises(TaskTransitionError) as exc:
            step(task, world.users["volunteer_a"])
        assert "status" in exc.value.message_dict
        task.refresh_from_db()
        assert task.status == status
        assert not TaskEvent.objects.exists()


def test_someone_else_cannot_work_a_task_assigned_to_another(world):
    task = new_task(world, assignee="grid_worker_a1", grid=world.grid_a1)
    with pytest.raises(PermissionDenied):
        flow.accept(task, world.users["volunteer_a"])
    flow.accept(task, world.staff_a)  # staff may act for the assignee
    assert task.status == S.ACCEPTED


def test_only_staff_reassign_or_cancel_and_a_reason_is_needed(world):
    task = new_task(world)
    with pytest.raises(PermissionDenied):
        flow.assign(task, world.users["volunteer_a"], world.grid_worker_a1)
    with pytest.raises(ValidationError) as exc:
        flow.assign(task, world.staff_a, world.staff_b)
    assert "assignee" in exc.value.message_dict
    flow.accept(task, world.users["volunteer_a"])
    flow.assign(task, world.staff_a, world.grid_worker_a1)
    assert (task.status, task.assignee) == (S.OPEN, world.grid_worker_a1)
    with pytest.raises(ValidationError) as exc:
        flow.cancel(task, world.staff_a, "")
    assert "note" in exc.value.message_dict
    flow.cancel(task, world.staff_a, "不再需要")
    assert task.status == S.CANCELLED


def test_a_photo_that_is_not_an_image_is_refused(world):
    task = new_task(world, status=S.ACCEPTED)
    bad = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError) as exc:
        flow.complete(task, world.users["volunteer_a"], photo=bad)
    assert "photo" in exc.value.message_dict
    task.refresh_from_db()
    assert task.status == S.ACCEPTED


def test_overdue_tasks_escalate_once_per_interval_up_to_the_maximum(world):
    now = timezone.now()
    late = new_task(world, due=now - dt.timedelta(hours=2), priority=5)
    new_task(world, due=now + dt.timedelta(days=2))
    new_task(world, due=now - dt.timedelta(hours=2), status=S.DONE)
    assert flow.escalate_overdue(now) == 1
    assert flow.escalate_overdue(now) == 0  # again at once: nothing
    late.refresh_from_db()
    assert (late.escalation_level, late.priority) == (1, 1)
    assert flow.escalate_overdue(now + dt.timedelta(hours=2)) == 1
    assert flow.escalate_overdue(now + dt.timedelta(hours=9)) == 0  # at the maximum
    late.refresh_from_db()
    assert late.escalation_level == flow.MAX_ESCALATION


def test_the_escalation_job_is_registered():
    from resilience.core.tasks import periodic
    from resilience.response import jobs  # noqa: F401

    assert "response.escalate_overdue" in periodic()


# -- roll-call --------------------------------------------------------------------------------

def test_a_roll_call_lists_the_vulnerable_residents_with_the_nearest_helper(world, incident):
    rollcall = roll.start(incident, world.staff_a)
    entries = list(rollcall.entries.all())
    assert [e.resident for e in entries] == [world.resident_a1]  # A2 is not vulnerable
    entry = entries[0]
    # volunteer_a lives in the resident's building: nearer than the grid worker at the grid centre
    assert (entry.helper, entry.helper_kind) == (world.users["volunteer_a"], HelperKind.VOLUNTEER)
    assert entry.distance_m == pytest.approx(0, abs=1)
    assert entry.grid == world.grid_a1
    assert incident.events.filter(action="rollcall").exists()


def test_the_helper_marks_their_resident_and_progress_counts_by_grid(world, incident):
    rollcall = roll.start(incident, world.staff_a)
    entry = rollcall.entries.get()
    roll.mark(entry, world.users["volunteer_a"], RollCallStatus.SAFE)
    entry.refresh_from_db()
    assert (entry.status, entry.marked_by) == (RollCallStatus.SAFE, world.users["volunteer_a"])
    board = roll.progress(rollcall)
    assert board["total"]["total"] == 1 and board["total"]["done"] == 1
    assert board["grids"][0]["name"] == "Grid A1" and board["grids"][0]["safe"] == 1


def test_someone_not_assigned_cannot_mark_and_nothing_changes(world, incident):
    rollcall = roll.start(incident, world.staff_a)
    entry = rollcall.entries.get()
    with pytest.raises(ValidationError) as exc:
        roll.mark(entry, world.grid_worker_a1, RollCallStatus.SAFE)
    assert "helper" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        roll.mark(entry, world.users["volunteer_a"], "fine")
    assert "status" in exc.value.message_dict
    entry.refresh_from_db()
    assert entry.status == RollCallStatus.PENDING
    roll.mark(entry, world.staff_a, RollCallStatus.EVACUATED)  # staff mark on their behalf
    entry.refresh_from_db()
    assert entry.status == RollCallStatus.EVACUATED


def test_needs_are_decrypted_only_for_those_who_may_and_the_reveal_is_logged(world):
    resident = world.resident_a1
    assert roll.needs_of(resident, world.grid_worker_a1) == ["elderly living alone"]
    assert AccessLogEntry.objects.filter(user=world.grid_worker_a1).count() == 1
    assert roll.needs_of(resident, world.users["volunteer_a"]) == ["elderly living alone"]
    assert not AccessLogEntry.objects.filter(user=world.users["volunteer_a"]).exists()


def test_health_tags_are_not_named_to_those_who_may_not_reveal(world):
    resident = world.resident_a1
    resident.tags = ["dialysis", "elderly_alone"]
    resident.save()
    labels = roll.needs_of(resident, world.users["volunteer_a"])
    assert "dialysis" not in " ".join(labels)
    assert set(labels) == {"elderly living alone", "health need"}


def test_the_situation_report_reads_the_roll_call(world, incident):
    from resilience.response.services import incidents

    rollcall = roll.start(incident, world.staff_a)
    roll.mark(rollcall.entries.get(), world.users["volunteer_a"], RollCallStatus.EVACUATED)
    numbers = incidents.situation(incident)
    assert numbers["evacuated"] == 1 and numbers["pending"] == 0


def test_a_closed_incident_has_no_new_roll_call(world, incident):
    from resilience.response.services import incidents

    incidents.close(incident, world.staff_a, "ok")
    with pytest.raises(ValidationError):
        roll.start(incident, world.staff_a)
    assert not RollCallEntry.objects.exists()
