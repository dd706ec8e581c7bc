"""The task state machine: assign, accept, progress, complete, cancel, and overdue escalation.

open → accepted → in progress → done, and cancelled from any open status; (re)assigning sends a
task back to open for the new assignee to accept. Each step locks the task row, checks who acts
(the assignee, or a supervisor — someone who may add tasks there, i.e. staff), writes a
``TaskEvent`` (the notes log, with an optional photo) and, through the change log, who did it.
Anything else raises ``TaskTransitionError`` (a ``ValidationError`` on ``status``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.scope import can
from resilience.response.models import IncidentEvent, Task, TaskEvent
from resilience.response.services.common import acting, works_in
from resilience.response.vocab import OPEN_STATUSES, TaskStatus

S = TaskStatus
ASSIGN, ACCEPT, PROGRESS, COMPLETE, CANCEL, ESCALATE = (
    "assign", "accept", "progress", "complete", "cancel", "escalate")

# action → {status it may start from: status it leads to}
TRANSITIONS: dict[str, dict[str, str]] = {
    ASSIGN: {S.OPEN: S.OPEN, S.ACCEPTED: S.OPEN, S.IN_PROGRESS: S.OPEN},
    ACCEPT: {S.OPEN: S.ACCEPTED},
    PROGRESS: {S.ACCEPTED: S.IN_PROGRESS, S.IN_PROGRESS: S.IN_PROGRESS},
    COMPLETE: {S.ACCEPTED: S.DONE, S.IN_PROGRESS: S.DONE},
    CANCEL: {S.OPEN: S.CANCELLED, S.ACCEPTED: S.CANCELLED, S.IN_PROGRESS: S.CANCELLED},
}
TARGET_STATUS = {ASSIGN: S.OPEN, ACCEPT: S.ACCEPTED, PROGRESS: S.IN_PROGRESS,
                 COMPLETE: S.DONE, CANCEL: S.CANCELLED}
MAX_ESCALATION = 2
ESCALATION_INTERVAL = dt.timedelta(hours=1)  # between two escalations of the same task
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".bmp"}


class TaskTransitionError(ValidationError):
    """The task's status does not allow this step (e.g. completing a task nobody accepted)."""

    def __init__(self, from_status: str, to_status: str):
        self.from_status, self.to_status = from_status, to_status
        message = _("A task that is “%(from)s” cannot become “%(to)s”.") % {
            "from": S(from_status).label, "to": S(to_status).label}
        super().__init__({"status": [ValidationError(message, code="invalid_transition")]})


def allowed_actions(task: Task, user) -> list[str]:
    """The steps ``user`` may take on the task now (for buttons)."""
    supervisor = can(user, "add", task)
    mine = task.assignee_id == user.pk or (task.assignee_id is None and can(user, "change", task))
    result = []
    for action, moves in TRANSITIONS.items():
        if task.status not in moves:
            continue
        if action in (ASSIGN, CANCEL) and supervisor:
            result.append(action)
        elif action not in (ASSIGN, CANCEL) and (mine or supervisor):
            result.append(action)
    return result


@contextlib.contextmanager
def _locked(task: Task, user, supervisor_only: bool = False):
    """The task's row, locked, once ``user`` is known to be its assignee or a supervisor."""
    with acting(user), transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if not can(user, "view", locked):
            raise PermissionDenied(_("You may not see this task."))
        supervisor = can(user, "add", locked)
        mine = locked.assignee_id == user.pk or (locked.assignee_id is None
                                                 and can(user, "change", locked))
        if not supervisor and (supervisor_only or not mine):
            raise PermissionDenied(_("Only the person assigned, or community staff, may do this "
                                     "with the task."))
        yield locked
    for field in Task._meta.concrete_fields:  # the caller's object shows the new state
        setattr(task, field.attname, getattr(locked, field.attname))


def _move(task: Task, user, action: str, note: str = "", photo=None) -> str:
    before = task.status
    to = TRANSITIONS[action].get(before)
    if to is None:
        raise TaskTransitionError(before, TARGET_STATUS[action])
    task.status = to
    return before


def _event(task: Task, user, action: str, before: str, note: str = "", photo=None) -> TaskEvent:
    event = TaskEvent(task=task, user=user if user is not None and user.pk else None,
                      action=action, from_status=before, to_status=task.status, note=note)
    if photo:
        event.photo = photo
    event.save()
    if task.incident_id:
        IncidentEvent.objects.create(
            incident_id=task.incident_id, user=event.user, action=f"task_{action}",
            note=f"{task.title}: {S(before).label if before else ''} → {task.get_status_display()}"
                 + (f" — {note}" if note else ""))
    return event


def check_photo(photo, field: str = "photo") -> None:
    """Refuse (ValidationError on ``field``) an upload that is not a non-empty image."""
    content_type = getattr(photo, "content_type", "") or ""
    suffix = PurePath(getattr(photo, "name", "") or "").suffix.lower()
    if not (content_type.startswith("image/") or suffix in IMAGE_SUFFIXES):
        raise ValidationError({field: _("The photo must be an image (JPEG, PNG, HEIC…).")})
    if getattr(photo, "size", 1) == 0:
        raise ValidationError({field: _("The photo is empty.")})


def assign(task: Task, user, assignee, note: str = "") -> Task:
    """Give the task to ``assignee`` (who must work in its community); they then accept it."""
    if assignee is None:
        raise ValidationError({"assignee": _("Choose who is to do the task.")})
    with _locked(task, user, supervisor_only=True) as locked:
        if not works_in(assignee, locked.community_id):
            raise ValidationError({"assignee": _("This person does not work in the task's "
                                                 "community.")})
        before = _move(locked, user, ASSIGN)
        locked.assignee, locked.accepted_at = assignee, None
        locked.save()
        _event(locked, user, ASSIGN, before, note or str(assignee))
    return task


def accept(task: Task, user, note: str = "") -> Task:
    """The assignee takes the task on (an unassigned task becomes theirs)."""
    with _locked(task, user) as locked:
        before = _move(locked, user, ACCEPT)
        if locked.assignee_id is None:
            locked.assignee = user
        locked.accepted_at = timezone.now()
        locked.save()
        _event(locked, user, ACCEPT, before, note)
    return task


def progress(task: Task, user, note: str = "", photo=None) -> Task:
    """Work has started, or a progress note on work under way."""
    if photo is not None:
        check_photo(photo)
    with _locked(task, user) as locked:
        before = _move(locked, user, PROGRESS)
        locked.save()
        _event(locked, user, PROGRESS, before, note, photo)
    return task


def complete(task: Task, user, note: str = "", photo=None) -> Task:
    """The work is done; the note becomes the task's outcome."""
    if photo is not None:
        check_photo(photo)
    with _locked(task, user) as locked:
        before = _move(locked, user, COMPLETE)
        locked.completed_at = timezone.now()
        if note:
            locked.outcome = note
        locked.save()
        _event(locked, user, COMPLETE, before, note, photo)
    return task


def cancel(task: Task, user, note: str = "") -> Task:
    """Staff call the task off; the reason is required."""
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the task is cancelled.")})
    with _locked(task, user, supervisor_only=True) as locked:
        before = _move(locked, user, CANCEL)
        locked.outcome = note
        locked.save()
        _event(locked, user, CANCEL, before, note)
    return task


def overdue(queryset, now: dt.datetime | None = None):
    """Open tasks past their due time."""
    return queryset.filter(status__in=OPEN_STATUSES, due__lt=now or timezone.now())


def escalate_overdue(now: dt.datetime | None = None) -> int:
    """Raise every overdue open task one escalation level (at most ``MAX_ESCALATION``), at most
    once per ``ESCALATION_INTERVAL``: it moves up the list (priority 1) and its incident's
    timeline says so. Running it twice in a row changes nothing the second time."""
    now = now or timezone.now()
    candidates = list(overdue(Task.objects.all(), now).filter(
        escalation_level__lt=MAX_ESCALATION).values_list("pk", flat=True))
    count = 0
    for pk in candidates:
        with acting_system(), transaction.atomic():
            task = Task.objects.select_for_update().get(pk=pk)
            recent = task.escalated_at and task.escalated_at > now - ESCALATION_INTERVAL
            if task.status not in OPEN_STATUSES or recent or task.escalation_level >= MAX_ESCALATION:
                continue
            task.escalation_level += 1
            task.escalated_at = now
            task.priority = 1
            task.save()
            _event(task, None, ESCALATE, task.status,
                   _("Overdue since %(due)s: escalated to level %(level)d.") % {
                       "due": timezone.localtime(task.due).strftime("%Y-%m-%d %H:%M"),
                       "level": task.escalation_level})
            count += 1
    return count


def acting_system():
    from resilience.core.actor import acting_as

    return acting_as(None, "escalation")
