"""Task pages: the list (open ones first, "assigned to me" for volunteers on a phone), the detail
and the edit form. Generic registry pages; the task's own steps grow with the response work."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _l

from resilience.core.views.generic import ObjectViews
from resilience.response.filtersets import TaskFilterSet
from resilience.response.forms import TaskForm
from resilience.response.models import Task


class TaskViews(ObjectViews):
    model = Task
    filterset = TaskFilterSet
    form = TaskForm
    columns = ("title", "status", "priority", "assignee", "due", "grid", "source")
    select_related = ("assignee", "grid", "community")
    filter_fields = ("mine", "open", "status", "source", "assignee", "grid", "community")
    detail_groups = (
        (_l("task"), ("title", "status", "priority", "description", "assignee", "due", "source")),
        (_l("about"), ("community", "grid", "building", "resident", "alert")),
        (_l("record"), ("created_by", "accepted_at", "completed_at", "outcome")),
    )
