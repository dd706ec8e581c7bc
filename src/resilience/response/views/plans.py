"""Plan pages: the registry list (overdue reviews flagged), the structured detail, a printable
version, "from a template", and the steps: new version, put in force, review, role holders."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import pgettext_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.response import forms
from resilience.response.filtersets import PlanFilterSet
from resilience.response.models import Plan
from resilience.response.services import plans as svc
from resilience.core.views.forms import add_errors
from resilience.response.views.common import error_text
from resilience.response.vocab import Phase, ResourceKind


def review_cell(plan: Plan):
    due = plan.review_due
    if plan.status == "active" and plan.review_overdue:
        return format_html('<span class="overdue-flag">{}</span> {}', _("review overdue"),
                           due or "")
    return due or "—"


class PlanViews(ObjectViews):
    model = Plan
    filterset = PlanFilterSet
    form = forms.PlanForm
    columns = ("name", "scenario", "version", "status", "community",
               Column("review_due", _l("next review"), value=review_cell))
    select_related = ("community",)
    filter_fields = ("scenario", "status", "review_overdue", "community")
    detail_groups = (
        (pgettext_lazy("emergency plan", "plan"),
         ("name", "name_en", "scenario", "version", "status", "community", "previous", "summary")),
        (_l("review"), ("reviewed_on", "reviewed_by",
                        Column("review_due", _l("next review"), value=review_cell))),
    )
    detail_template = "response/plan_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            *super().urls(),
            path("plans/from-template/", from_template, name="plan_from_template"),
            path("plans/<int:pk>/print/", print_plan, name="plan_print"),
            path("plans/<int:pk>/role/", add_role, name="plan_role"),
            path("plans/<int:pk>/tasks/add/", add_task, name="plan_task_add"),
            path("plans/<int:pk>/criteria/", set_criteria, name="plan_criteria"),
            path("plans/<int:pk>/tasks/<int:task>/delete/", remove_task, name="plan_task_delete"),
            path("plans/<int:pk>/<slug:step>/", plan_step, name="plan_step"),
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context.update(plan_context(obj))
        may_change = can(request.user, "change", obj)
        context["steps"] = [s for s in STEPS if may_change and s[0] in steps_for(obj)]
        if may_change:
            context["role_form"] = forms.RoleForm(plan=obj, user=request.user)
            if obj.status == "draft":
                context["task_form"] = forms.PlanTaskForm()
                context["criteria_form"] = forms.CriteriaForm()
                context["editable"] = True
        return context


STEPS = (("new-version", _l("New version")), ("put-in-force", _l("Put in force")),
         ("review", _l("Reviewed today")))


def steps_for(plan: Plan) -> set[str]:
    if plan.status == "draft":
        return {"put-in-force"}
    if plan.status == "active":
        return {"new-version", "review"}
    return {"new-version"}


def plan_context(plan: Plan) -> dict:
    """The plan as a document: levels, tasks grouped by phase, role holders, resources."""
    tasks = list(plan.tasks.all())
    phases = [{"phase": label, "tasks": [t for t in tasks if t.phase == value]}
              for value, label in Phase.choices]
    kinds = dict(ResourceKind.choices)
    resources = [{**r, "kind": kinds.get(r.get("kind"), r.get("kind"))} for r in plan.resources]
    return {"levels": plan.levels.all(), "phases": phases,
            "roles": plan.roles.select_related("user", "grid"),
            "resources": resources, "contacts": plan.contacts}


def _plan(request, pk: int) -> Plan:
    plan = Plan.objects.visible_to(request.user, "view").filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


@login_required
def print_plan(request, pk: int):
    """The plan on paper (print stylesheet)."""
    plan = _plan(request, pk)
    return render(request, "response/plan_print.html", {"plan": plan, **plan_context(plan)})


@login_required
@require_POST
def plan_step(request, pk: int, step: str):
    plan = _plan(request, pk)
    action = {"new-version": svc.new_version, "put-in-force": svc.put_in_force,
              "review": svc.review}.get(step)
    if action is None:
        raise Http404
    try:
        result = action(plan, request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(plan.get_absolute_url())
    messages.success(request, _("Saved %(object)s.") % {"object": result})
    return redirect(result.get_absolute_url())


@login_required
@require_POST
def add_role(request, pk: int):
    plan = _plan(request, pk)
    form = forms.RoleForm(request.POST, plan=plan, user=request.user)
    if form.is_valid():
        try:
            svc.assign_role(plan, request.user, form.cleaned_data["role"],
                            form.cleaned_data["user"], form.cleaned_data["grid"])
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Role holder saved."))
    else:
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    return redirect(plan.get_absolute_url())


@login_required
def from_template(request):
    """Tailor a template to a community: a new plan version, in force at once."""
    if not can_any(request.user, "add", Plan):
        raise PermissionDenied
    form = forms.FromTemplateForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = svc.from_template(form.cleaned_data["community"],
                                         form.cleaned_data["scenario"], request.user)
            except ValidationError as exc:
                add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("community", str(exc))
            else:
                messages.success(request, _("Created %(object)s.") % {"object": plan})
                return redirect(plan.get_absolute_url())
        status = 400
    return render(request, "response/plan_from_template.html",
                  {"form": form, "list_url": reverse("response:plan_list")}, status=status)


@login_required
@require_POST
def add_task(request, pk: int):
    plan = _plan(request, pk)
    form = forms.PlanTaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(plan.get_absolute_url())
    try:
        svc.add_task(plan, request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Task added."))
    return redirect(plan.get_absolute_url())


@login_required
@require_POST
def set_criteria(request, pk: int):
    plan = _plan(request, pk)
    form = forms.CriteriaForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(plan.get_absolute_url())
    try:
        svc.set_criteria(plan, request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Activation criteria saved."))
    return redirect(plan.get_absolute_url())


@login_required
@require_POST
def remove_task(request, pk: int, task: int):
    plan = _plan(request, pk)
    row = plan.tasks.filter(pk=task).first()
    if row is None:
        raise Http404
    try:
        svc.remove_task(plan, request.user, row)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Task removed."))
    return redirect(plan.get_absolute_url())
