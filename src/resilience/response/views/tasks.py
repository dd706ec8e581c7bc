"""Task pages: the registry list and detail (with the notes log and the allowed steps), and
"My tasks" — a phone page where a volunteer sees only their own tasks with big buttons."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.views.generic import ObjectViews
from resilience.response.filtersets import TaskFilterSet
from resilience.response.forms import NoteForm, TaskForm
from resilience.response.models import Task
from resilience.response.services import tasks as flow
from resilience.core.views.files import serve_file
from resilience.response.views.common import error_text, safe_next
from resilience.response.vocab import OPEN_STATUSES

STEP_LABELS = {flow.ACCEPT: _l("Accept"), flow.PROGRESS: _l("In progress"),
               flow.COMPLETE: _l("Done"), flow.CANCEL: _l("Cancel")}


class TaskViews(ObjectViews):
    model = Task
    filterset = TaskFilterSet
    form = TaskForm
    columns = ("title", "status", "priority", "assignee", "due", "grid", "source")
    select_related = ("assignee", "grid", "community")
    filter_fields = ("mine", "open", "overdue", "status", "source", "assignee", "grid",
                     "incident", "community")
    detail_groups = (
        (_l("task"), ("title", "status", "priority", "description", "assignee", "due", "source",
                      "role", "phase", "escalation_level")),
        (_l("about"), ("community", "incident", "grid", "building", "resident", "alert")),
        (_l("record"), ("created_by", "accepted_at", "completed_at", "outcome")),
    )
    detail_template = "response/task_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("tasks/mine/", my_tasks, name="task_mine"),
            *super().urls(),
            path("tasks/<int:pk>/events/<int:event>/photo/", event_photo, name="task_event_photo"),
            path("tasks/<int:pk>/<slug:step>/", task_step, name="task_step"),
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["events"] = obj.events.select_related("user")
        context["task_steps"] = task_buttons(obj, request.user)
        context["note_form"] = NoteForm()
        return context


def task_buttons(task: Task, user) -> list[dict]:
    return [{"step": s, "label": STEP_LABELS[s]} for s in flow.allowed_actions(task, user)
            if s in STEP_LABELS]


@login_required
def my_tasks(request):
    """The signed-in person's open tasks, most urgent first, then the last ones done."""
    mine = Task.objects.visible_to(request.user, "view").filter(assignee=request.user)
    open_tasks = list(mine.filter(status__in=OPEN_STATUSES).select_related("incident", "resident")
                      .order_by("priority", "due", "id")[:50])
    for task in open_tasks:  # their own tasks: the assignee's steps, no query per task
        task.buttons = [{"step": a, "label": STEP_LABELS[a]}
                        for a in (flow.ACCEPT, flow.PROGRESS, flow.COMPLETE)
                        if task.status in flow.TRANSITIONS[a]]
    done = mine.exclude(status__in=OPEN_STATUSES).order_by("-updated")[:10]
    return render(request, "response/my_tasks.html",
                  {"tasks": open_tasks, "done": done, "now": timezone.now(),
                   "note_form": NoteForm()})


@login_required
@require_POST
def task_step(request, pk: int, step: str):
    """Accept / progress / complete / cancel; the error, if any, is shown as a message."""
    action = {flow.ACCEPT: flow.accept, flow.PROGRESS: flow.progress,
              flow.COMPLETE: flow.complete, flow.CANCEL: flow.cancel}.get(step)
    if action is None:
        raise Http404
    task = get_object_or_404(Task.objects.visible_to(request.user, "view"), pk=pk)
    form = NoteForm(request.POST, request.FILES)
    back = safe_next(request, task.get_absolute_url())
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(back)
    kwargs = {"note": form.cleaned_data["note"]}
    if step in (flow.PROGRESS, flow.COMPLETE) and form.cleaned_data.get("photo"):
        kwargs["photo"] = form.cleaned_data["photo"]
    try:
        action(task, request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do that."))
    else:
        messages.success(request, _("“%(task)s” is now “%(status)s”.") % {
            "task": task, "status": task.get_status_display()})
    return redirect(back)


@login_required
def event_photo(request, pk: int, event: int):
    task = get_object_or_404(Task.objects.visible_to(request.user, "view"), pk=pk)
    return serve_file(get_object_or_404(task.events, pk=event).photo)
