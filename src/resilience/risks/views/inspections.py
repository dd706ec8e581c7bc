"""Checklists, inspection plans and inspections — the last done on a phone, one item per card."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any, membership_q, memberships_of
from resilience.core.views.generic import ObjectEditView, ObjectViews, OutOfScope
from resilience.core.views.tables import Column
from resilience.risks import forms
from resilience.risks.filtersets_inspections import (
    ChecklistTemplateFilterSet, InspectionFilterSet, InspectionPlanFilterSet,
)
from resilience.risks.inspections import complete_inspection, due_plans, start_inspection
from resilience.risks.models import ChecklistTemplate, Hazard, Inspection, InspectionPlan
from resilience.core.views.forms import add_errors
from resilience.risks.vocab import Answer

OVERDUE = _l("overdue")


def due_cell(plan: InspectionPlan):
    """The next due date, flagged when it has passed."""
    if plan.active and plan.next_due < timezone.localdate():
        return format_html('{} <span class="overdue-flag">{}</span>',
                           plan.next_due.isoformat(), OVERDUE)
    return plan.next_due.isoformat()


# -- checklists -------------------------------------------------------------------------------

class ChecklistTemplateViews(ObjectViews):
    model = ChecklistTemplate
    slug = "checklists"
    filterset = ChecklistTemplateFilterSet
    form = forms.ChecklistTemplateForm
    columns = ("name", "risk_type", "facility_kind", "community",
               Column("items", _l("items"), value=lambda t: t.item_count, order="item_count"))
    select_related = ("community",)
    detail_groups = ((_l("checklist"), ("name", "community", "risk_type", "facility_kind",
                                         "description")),)
    list_template = "risks/object_list.html"
    detail_template = "risks/checklist_detail.html"
    edit_template = "risks/checklist_edit.html"

    def get_queryset(self, request, action: str = "view"):
        return super().get_queryset(request, action).annotate(
            item_count=Count("items")).order_by("name", "pk")

    @classmethod
    def urls(cls) -> list:
        views = cls()
        edit = ChecklistEditView.as_view(views=views)
        return [
            *(p for p in super().urls() if p.name not in ("checklisttemplate_add",
                                                          "checklisttemplate_edit")),
            path(f"{cls.slug}/add/", edit, name="checklisttemplate_add"),
            path(f"{cls.slug}/<int:pk>/edit/", edit, name="checklisttemplate_edit"),
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["items"] = obj.items.all()
        context["plans"] = (InspectionPlan.objects.visible_to(request.user, "view")
                            .filter(template=obj).select_related("facility", "building", "risk",
                                                                 "grid")[:50])
        return context


class ChecklistEditView(ObjectEditView):
    """A checklist with its items, saved together or not at all."""

    def post(self, request, pk: int | None = None):
        instance = self._instance(request, pk)
        is_new = instance.pk is None
        form = self.views.get_form(request, instance, data=request.POST)
        items = forms.ChecklistItemFormSet(request.POST, instance=instance, prefix="items")
        if form.is_valid() and items.is_valid():
            try:
                with transaction.atomic():
                    checklist = form.save()
                    if not can(request.user, "add" if is_new else "change", checklist):
                        raise OutOfScope
                    items.instance = checklist
                    items.save()
            except OutOfScope:
                form.add_error(None, _("You may not put this checklist there: it would be "
                                       "outside your scope."))
            except IntegrityError:
                form.add_error(None, _("This checklist conflicts with an existing record."))
            else:
                messages.success(request, (_("Created %(object)s.") if is_new
                                           else _("Saved %(object)s.")) % {"object": checklist})
                return redirect(checklist.get_absolute_url())
            if is_new:
                form.instance.pk = None
        return self._render(request, form, instance if not is_new else None, status=400,
                            items=items)

    def _render(self, request, form, instance, status: int = 200, items=None):
        is_new = instance is None or instance.pk is None
        if items is None:
            items = forms.ChecklistItemFormSet(instance=instance or ChecklistTemplate(),
                                               prefix="items")
        return render(request, self.views.edit_template, {
            "views": self.views, "form": form, "items": items, "is_new": is_new,
            "object": None if is_new else instance,
            "verbose_name": self.views.opts.verbose_name, "list_url": self.views.url("list"),
            "cancel_url": self.views.url("list") if is_new else instance.get_absolute_url(),
        }, status=status)


# -- plans ------------------------------------------------------------------------------------

class InspectionPlanViews(ObjectViews):
    model = InspectionPlan
    slug = "plans"
    filterset = InspectionPlanFilterSet
    form = forms.InspectionPlanForm
    columns = (Column("template", _l("checklist"), link=True),
               Column("target", _l("what to inspect"), value=lambda p: p.target),
               Column("next_due", _l("next due"), value=due_cell, order="next_due"),
               "frequency_days", "grid", "organisation", "active")
    select_related = ("template", "facility", "building", "risk", "grid", "organisation",
                      "community")
    filter_fields = ("overdue", "community", "grid", "template", "organisation", "active")
    detail_groups = ((_l("inspection plan"), ("template", "community", "facility", "building",
                                               "risk", "grid", "organisation", "frequency_days",
                                               Column("next_due", _l("next due"), value=due_cell),
                                               "active")),)
    list_template = "risks/object_list.html"
    detail_template = "risks/plan_detail.html"

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["can_start"] = obj.active and can_any(request.user, "add", Inspection)
        context["inspections"] = (Inspection.objects.visible_to(request.user, "view")
                                  .filter(plan=obj).select_related("inspector")[:20])
        return context


def startable(plans, user):
    """The plans ``user`` may carry out: Inspection's "add" scope, read on the plan's fields.

    A plan's grid or owner may come from its target (a facility in a grid), as the inspection's
    will, so a grid or organisation condition also matches through the target.
    """
    if user.is_superuser:
        return plans
    combined = None
    for membership in memberships_of(user):
        q = membership_q(Inspection, membership, "add")
        if q is not None:
            q = _through_target(q)
            combined = q if combined is None else combined | q
    return plans.filter(combined) if combined is not None else plans.none()


def _through_target(q: Q) -> Q:
    widened = Q()
    widened.connector, widened.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            widened.children.append(_through_target(child))
        elif child[0] == "grid":
            widened.children.append(Q(grid=child[1]) | Q(grid__isnull=True) & (
                Q(facility__grid=child[1]) | Q(building__grid=child[1]) | Q(risk__grid=child[1])))
        elif child[0] == "organisation":
            widened.children.append(Q(organisation=child[1]) | Q(facility__owner=child[1])
                                    | Q(building__manager=child[1]) | Q(risk__owner=child[1]))
        else:
            widened.children.append(child)
    return widened


@login_required
def due(request):
    """The inspections the user should do now: due or overdue plans they may carry out."""
    if not can_any(request.user, "view", Inspection):
        raise PermissionDenied
    today = timezone.localdate()
    plans = startable(InspectionPlan.objects.visible_to(request.user, "view"), request.user)
    plans = (due_plans(plans, today).select_related("template", "facility", "building", "risk",
                                                    "grid", "community")
             .order_by("next_due", "pk")[:200])
    started = (Inspection.objects.visible_to(request.user, "change")
               .filter(status=Inspection.Status.IN_PROGRESS, inspector=request.user)
               .select_related("template", "facility", "building", "risk", "grid")[:50])
    return render(request, "risks/due.html", {
        "plans": [{"plan": p, "overdue": p.next_due < today,
                   "days": (today - p.next_due).days} for p in plans],
        "started": started,
        "today": today,
    })


@login_required
@require_POST
def start_plan(request, pk: int):
    """Start the plan's inspection and go to its checklist."""
    plan = get_object_or_404(InspectionPlan.objects.visible_to(request.user, "view"), pk=pk)
    try:
        inspection = start_inspection(request.user, None, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("risks:inspection_due")
    return redirect("risks:inspection_edit", pk=inspection.pk)


# -- inspections ------------------------------------------------------------------------------

def inspection_target(inspection: Inspection):
    return inspection.facility or inspection.building or inspection.risk or inspection.grid


class InspectionViews(ObjectViews):
    model = Inspection
    filterset = InspectionFilterSet
    columns = (Column("template", _l("checklist"), link=True),
               Column("target", _l("inspected"), value=inspection_target),
               "status", "inspector", "started_at", "completed_at",
               Column("failed", _l("failed items"), value=lambda i: i.failed_items,
                      order="failed_items"))
    select_related = ("template", "facility", "building", "risk", "grid", "inspector")
    filter_fields = ("status", "community", "grid", "template", "inspector", "completed_after",
                     "completed_before")
    detail_groups = ((_l("inspection"), (
        "template", Column("target", _l("inspected"), value=inspection_target), "status",
        "inspector", "organisation", "plan", "started_at", "completed_at", "latitude",
        "longitude", "notes")),)
    list_template = "risks/object_list.html"
    detail_template = "risks/inspection_detail.html"

    def get_queryset(self, request, action: str = "view"):
        return super().get_queryset(request, action).annotate(
            failed_items=Count("answers", filter=Q(answers__answer=Answer.FAIL))
        ).order_by("-started_at", "-pk")

    @classmethod
    def urls(cls) -> list:
        views = cls()
        return [
            *super().urls(),
            path("inspections/due/", due, name="inspection_due"),
            path("inspections/add/", StartInspectionView.as_view(views=views),
                 name="inspection_add"),
            path("inspections/<int:pk>/edit/", PerformInspectionView.as_view(views=views),
                 name="inspection_edit"),
            path("plans/<int:pk>/start/", start_plan, name="inspectionplan_start"),
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["answers"] = obj.answers.select_related("item")
        context["hazards"] = (Hazard.objects.visible_to(request.user, "view")
                              .filter(answer__inspection=obj))
        context["can_perform"] = (obj.status == Inspection.Status.IN_PROGRESS
                                  and can(request.user, "change", obj))
        return context


class StartInspectionView(LoginRequiredMixin, View):
    """An inspection outside any plan: choose the checklist and what is inspected."""

    views: ObjectViews = None

    def get(self, request):
        if not can_any(request.user, "add", Inspection):
            raise PermissionDenied
        initial = {k: v for k, v in request.GET.items()
                   if k in forms.StartInspectionForm.base_fields}
        return self._render(request, forms.StartInspectionForm(initial=initial, user=request.user))

    def post(self, request):
        if not can_any(request.user, "add", Inspection):
            raise PermissionDenied
        form = forms.StartInspectionForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection = start_inspection(
                    request.user, data["template"], facility=data["facility"],
                    building=data["building"], risk=data["risk"], grid=data["grid"])
            except ValidationError as exc:
                add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not inspect here."))
            else:
                return redirect("risks:inspection_edit", pk=inspection.pk)
        return self._render(request, form, status=400)

    def _render(self, request, form, status: int = 200):
        return render(request, "risks/inspection_start.html", {
            "form": form, "list_url": self.views.url("list")}, status=status)


class PerformInspectionView(LoginRequiredMixin, View):
    """The checklist on a phone: Pass / Fail / N.A., a note and a photo per item, then submit."""

    views: ObjectViews = None

    def _inspection(self, request, pk):
        inspection = self.views.get_object(request, pk, "change")
        if inspection.status != Inspection.Status.IN_PROGRESS:
            messages.info(request, _("This inspection is already completed."))
            return inspection, redirect(inspection.get_absolute_url())
        return inspection, None

    def get(self, request, pk: int):
        inspection, done = self._inspection(request, pk)
        if done:
            return done
        form = forms.ChecklistAnswersForm(items=inspection.template.items.all())
        return self._render(request, inspection, form)

    def post(self, request, pk: int):
        inspection, done = self._inspection(request, pk)
        if done:
            return done
        form = forms.ChecklistAnswersForm(request.POST, request.FILES,
                                          items=inspection.template.items.all())
        if form.is_valid():
            try:
                found = complete_inspection(
                    inspection, request.user, form.answers(),
                    latitude=form.cleaned_data.get("latitude"),
                    longitude=form.cleaned_data.get("longitude"))
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                if found:
                    messages.warning(request, _("Inspection completed: %(count)d hazard(s) found.")
                                     % {"count": len(found)})
                else:
                    messages.success(request, _("Inspection completed: no hazards found."))
                return redirect(inspection.get_absolute_url())
        return self._render(request, inspection, form, status=400)

    def _render(self, request, inspection, form, status: int = 200):
        return render(request, "risks/inspection_perform.html", {
            "object": inspection, "form": form, "target": inspection_target(inspection),
            "list_url": self.views.url("list"),
        }, status=status)
