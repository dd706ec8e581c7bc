"""The response panel of the dashboard: open incidents, my tasks, overdue tasks and reviews."""
from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from resilience.core.scope import can_any
from resilience.response.models import Incident, Plan, RollCallEntry, Task
from resilience.response.services.plans import review_overdue
from resilience.response.services.tasks import overdue
from resilience.response.vocab import OPEN_STATUSES, IncidentStatus, RollCallStatus


def incidents_panel(request) -> dict | None:
    """The panel's context, or None when the user may see none of it."""
    user = request.user
    context: dict = {"template": "response/_dashboard.html"}
    if can_any(user, "view", Incident):
        context["incidents"] = list(Incident.objects.visible_to(user, "view").exclude(
            status=IncidentStatus.CLOSED).select_related("community")[:5])
        context["incidents_url"] = reverse("response:incident_list")
    if can_any(user, "view", Task):
        tasks = Task.objects.visible_to(user, "view")
        context["my_tasks"] = tasks.filter(assignee=user, status__in=OPEN_STATUSES).count()
        context["overdue_tasks"] = overdue(tasks, timezone.now()).count()
        context["tasks_url"] = reverse("response:task_list")
        context["mine_url"] = reverse("response:task_mine")
    if can_any(user, "add", Plan):
        context["reviews_overdue"] = review_overdue(Plan.objects.visible_to(user, "view")).count()
        context["plans_url"] = reverse("response:plan_list")
    pending = RollCallEntry.objects.filter(helper=user, status=RollCallStatus.PENDING,
                                           rollcall__closed_at__isnull=True).count()
    if pending:
        context["rollcall_pending"] = pending
        context["rollcall_url"] = reverse("response:rollcall_mine")
    return context if len(context) > 1 else None
