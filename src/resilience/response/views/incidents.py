"""Incident pages: open (by hand or from an alert), the command page (situation, tasks,
timeline, roll-call) with one small form per step, and the situation numbers as a live panel."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any
from resilience.core.views.generic import ObjectViews
from resilience.response import forms
from resilience.response.filtersets import IncidentFilterSet
from resilience.response.models import Incident
from resilience.response.services import incidents as svc
from resilience.response.services import rollcall as roll
from resilience.core.views.forms import add_errors
from resilience.response.views.common import error_text
from resilience.response.vocab import OPEN_STATUSES, IncidentStatus


class IncidentViews(ObjectViews):
    model = Incident
    filterset = IncidentFilterSet
    form = forms.IncidentForm
    columns = ("title", "status", "scenario", "level", "community", "plan", "activated_at")
    select_related = ("community", "plan")
    filter_fields = ("status", "scenario", "community")
    detail_groups = (
        (_l("incident"), ("title", "status", "scenario", "level", "plan", "community", "alert",
                          "description")),
        (_l("record"), ("opened_by", "created", "activated_at", "closed_at", "lessons")),
    )
    detail_template = "response/incident_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            *(p for p in super().urls() if p.name != "incident_add"),
            path("incidents/add/", open_view, name="incident_add"),
            path("incidents/<int:pk>/situation/", situation_view, name="incident_situation"),
            path("incidents/<int:pk>/<slug:step>/", incident_step, name="incident_step"),
        ]

    def detail_context(self, request, obj, revealed: bool = False, bound=None) -> dict:
        context = super().detail_context(request, obj, revealed)
        user = request.user
        may_change = can(user, "change", obj) and obj.status != IncidentStatus.CLOSED
        context.update({
            "situation": svc.situation(obj),
            "events": timeline(obj),
            "tasks": obj.tasks.select_related("assignee").order_by("status", "due"),
            "now": timezone.now(),
            "rollcalls": obj.rollcalls.all(),
            "reports": obj.reports.all()[:5],
            "open_statuses": OPEN_STATUSES,
            "steps": step_forms(obj, user, bound) if may_change else [],
        })
        return context


EVENT_LABELS = {
    "opened": _l("Opened"), "activated": _l("Plan activated"), "level_changed": _l("Level changed"),
    "note": _l("Note"), "report": _l("Situation report"), "rollcall": _l("Roll-call started"),
    "closed": _l("Closed"), "task_assign": _l("Task assigned"), "task_accept": _l("Task accepted"),
    "task_progress": _l("Task in progress"), "task_complete": _l("Task done"),
    "task_cancel": _l("Task cancelled"), "task_escalate": _l("Task escalated"),
}


def timeline(incident) -> list:
    """The incident's events, each with a readable ``label``."""
    events = list(incident.events.select_related("user"))
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action)
    return events


STEP_FORMS = {
    "activate": (_l("Activate a plan"), forms.ActivateForm),
    "report": (_l("Situation report"), forms.ReportForm),
    "note": (_l("Add to the timeline"), forms.TimelineForm),
    "rollcall": (_l("Start a roll-call"), None),
    "close": (_l("Close with a review"), forms.CloseForm),
}


def _form(step: str, incident, user, data=None):
    form_class = STEP_FORMS[step][1]
    if form_class is None:
        return None
    kwargs = {"prefix": step}
    if form_class is forms.ActivateForm:
        kwargs.update(incident=incident, user=user)
    if form_class is forms.ReportForm and data is None:
        kwargs["initial"] = {"injured": incident.injured, "needs": incident.needs}
    return form_class(data, **kwargs)


def step_forms(incident, user, bound=None) -> list[dict]:
    result = []
    for step, (label, _cls) in STEP_FORMS.items():
        form = bound if bound is not None and bound.prefix == step else _form(step, incident, user)
        if step == "activate" and incident.plan_id:
            label = _l("Change the response level")  # the plan is already active
        result.append({"step": step, "label": label, "form": form,
                       "url": reverse("response:incident_step", args=[incident.pk, step]),
                       "open": form is not None and form.is_bound})
    return result


@login_required
@require_POST
def incident_step(request, pk: int, step: str):
    """One step of the response; on an error the page shows it and nothing is written."""
    if step not in STEP_FORMS:
        raise Http404
    views = IncidentViews()
    incident = views.get_object(request, pk)
    form = _form(step, incident, request.user, request.POST)
    if form is None or form.is_valid():
        data = form.cleaned_data if form is not None else {}
        try:
            if step == "activate":
                created = svc.activate(incident, request.user, data["plan"], data["level"])
                messages.success(request, _("Plan activated: %(n)d tasks assigned.") % {
                    "n": len(created)})
            elif step == "report":
                svc.report(incident, request.user, injured=data["injured"], needs=data["needs"])
                messages.success(request, _("Situation report saved."))
            elif step == "note":
                svc.note(incident, request.user, data["note"])
            elif step == "rollcall":
                rollcall = roll.start(incident, request.user)
                messages.success(request, _("Roll-call started."))
                return redirect(rollcall.get_absolute_url())
            else:
                svc.close(incident, request.user, data["lessons"])
                messages.success(request, _("The incident is closed."))
        except ValidationError as exc:
            if form is None:
                messages.error(request, error_text(exc))
                return redirect(incident.get_absolute_url())
            add_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not do that."))
            return redirect(incident.get_absolute_url())
        else:
            return redirect(incident.get_absolute_url())
    incident.refresh_from_db()
    context = views.detail_context(request, incident, bound=form)
    return render(request, views.detail_template, context, status=400)


@login_required
def situation_view(request, pk: int):
    """The live numbers (a panel refreshed by htmx)."""
    incident = IncidentViews().get_object(request, pk)
    return render(request, "response/_situation.html",
                  {"object": incident, "situation": svc.situation(incident)})


@login_required
def open_view(request):
    """Open an incident; ``?alert=<id>`` opens it from that alert (its area, the plan in force)."""
    if not can_any(request.user, "add", Incident):
        raise PermissionDenied
    alert = None
    alert_id = request.GET.get("alert") or request.POST.get("alert")
    if alert_id:
        from resilience.alerts.models import Alert

        alert = Alert.objects.visible_to(request.user, "view").filter(pk=alert_id).first()
        if alert is None:
            raise Http404
        if request.method == "POST":
            try:
                incident = svc.open_from_alert(alert, request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                return redirect(alert.get_absolute_url())
            messages.success(request, _("Created %(object)s.") % {"object": incident})
            return redirect(incident.get_absolute_url())
        return render(request, "response/incident_from_alert.html", {"alert": alert})
    form = forms.OpenIncidentForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = svc.open_incident(
                    request.user, data["community"], title=data["title"],
                    scenario=data["scenario"], description=data["description"],
                    grids=list(data["grids"]), buildings=list(data["buildings"]))
            except ValidationError as exc:
                add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("community", str(exc))
            else:
                messages.success(request, _("Created %(object)s.") % {"object": incident})
                return redirect(incident.get_absolute_url())
        status = 400
    return render(request, "response/incident_open.html",
                  {"form": form, "list_url": reverse("response:incident_list")}, status=status)
