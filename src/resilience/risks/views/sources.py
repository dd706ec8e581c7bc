"""Pages of the risk register: list with grade badges, detail with history, add/edit/re-assess.

Saving a risk source grades it through ``risks.services.assess``: the grade is derived from the
method and its inputs, never typed in, and every assessment is kept.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from resilience.core.scope import can, can_any
from resilience.core.views.forms import add_errors
from resilience.core.views.generic import ObjectEditView, ObjectViews, OutOfScope
from resilience.core.views.tables import Column
from resilience.risks import forms
from resilience.risks.filtersets import RiskSourceFilterSet
from resilience.risks.grading import grade
from resilience.risks.models import Hazard, Inspection, InspectionPlan, RiskSource
from resilience.risks.services import assess
from resilience.risks.views.grades import grade_badge, grade_info, inputs_text

GRADE_COLUMN = Column("grade", _l("grade"), value=lambda r: grade_badge(r.grade), order="score")


class RiskSourceViews(ObjectViews):
    model = RiskSource
    slug = "register"
    filterset = RiskSourceFilterSet
    form = forms.RiskSourceForm
    columns = ("name", GRADE_COLUMN, "risk_type", "community", "grid", "building", "owner",
               "assessed_at")
    select_related = ("community", "grid", "building", "owner")
    filter_fields = ("risk_type", "grade", "community", "grid", "method", "owner", "active")
    detail_groups = (
        (_l("risk source"), ("name", "risk_type", "community", "owner", "active", "description")),
        (_l("location"), ("grid", "building", "facility", "latitude", "longitude", "geometry")),
        (_l("controls and advice"), ("controls", "advice")),
    )
    list_template = "risks/object_list.html"
    detail_template = "risks/risksource_detail.html"
    edit_template = "risks/risksource_edit.html"

    @classmethod
    def urls(cls) -> list:
        views = cls()
        edit = RiskSourceEditView.as_view(views=views)  # grades the risk on save
        return [
            *(p for p in super().urls() if p.name not in ("risksource_add", "risksource_edit")),
            path(f"{cls.slug}/add/", edit, name="risksource_add"),
            path(f"{cls.slug}/<int:pk>/edit/", edit, name="risksource_edit"),
            path(f"{cls.slug}/<int:pk>/assess/", reassess, name="risksource_assess"),
            path(f"{cls.slug}/grade/", grade_preview, name="grade_preview"),
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        user = request.user
        context.update(
            grade=grade_info(obj.grade),
            badge=grade_badge(obj.grade, obj.score),
            inputs_text=inputs_text(obj.inputs) if obj.grade else "",
            assessments=[{"a": a, "badge": grade_badge(a.grade, a.score),
                          "inputs": inputs_text(a.inputs)}
                         for a in obj.assessments.select_related("assessed_by")[:50]],
            inspections=Inspection.objects.visible_to(user, "view").filter(risk=obj)
            .select_related("template", "inspector")[:20],
            hazards=Hazard.objects.visible_to(user, "view").filter(risk=obj)[:20],
            plans=InspectionPlan.objects.visible_to(user, "view").filter(risk=obj)
            .select_related("template")[:20],
            can_assess=context["can_change"],
        )
        if context["can_change"] and "assess_form" not in context:
            context["assess_form"] = forms.AssessmentForm(
                initial=forms.AssessmentForm.initial_from(obj), prefix="assess")
        return context


class RiskSourceEditView(ObjectEditView):
    """Add or edit a risk source; it is saved and graded in one transaction, or not at all."""

    def post(self, request, pk: int | None = None):
        instance = self._instance(request, pk)
        is_new = instance.pk is None
        form = self.views.get_form(request, instance, data=request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    risk = form.save(commit=False)
                    if form.assessment_changed():
                        method, inputs, note = form.assessment()
                        assess(risk, method, inputs, request.user, note)  # saves it, graded
                    else:
                        risk.save()
                    if not can(request.user, "add" if is_new else "change", risk):
                        raise OutOfScope
            except OutOfScope:
                form.add_error(None, _("You may not put this risk source there: it would be "
                                       "outside your scope. Check the places you chose."))
            except ValidationError as exc:
                add_errors(form, exc)
            except IntegrityError:
                form.add_error(None, _("This risk source conflicts with an existing record."))
            else:
                message = _("Created %(object)s.") if is_new else _("Saved %(object)s.")
                messages.success(request, message % {"object": risk})
                return redirect(risk.get_absolute_url())
            if is_new:
                form.instance.pk = None
        return self._render(request, form, instance if not is_new else None, status=400)


@login_required
@require_POST
def reassess(request, pk: int):
    """Grade a risk source again (same or other method); the previous grade stays in its history."""
    views = RiskSourceViews()
    risk = views.get_object(request, pk, "change")
    form = forms.AssessmentForm(request.POST, prefix="assess")
    if form.is_valid():
        method, inputs, note = form.assessment()
        try:
            assessment = assess(risk, method, inputs, request.user, note)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Re-assessed: %(grade)s (score %(score)s).") % {
                "grade": assessment.get_grade_display(), "score": f"{assessment.score:g}"})
            return redirect(risk.get_absolute_url())
    risk.refresh_from_db()
    context = views.detail_context(request, risk)
    context["assess_form"] = form
    return render(request, views.detail_template, context, status=400)


@login_required
@require_GET
def grade_preview(request):
    """The score, grade and colour the chosen method and inputs give (an HTMX partial)."""
    if not (can_any(request.user, "add", RiskSource) or can_any(request.user, "change", RiskSource)):
        raise PermissionDenied
    prefix = request.GET.get("prefix") or None
    form = forms.AssessmentForm(request.GET, prefix=prefix)
    context = {"result": None, "message": _("Choose the inputs to see the grade.")}
    if form.is_valid():
        method, inputs, _note = form.assessment()
        try:
            score, graded = grade(method, inputs)
        except ValidationError as exc:
            context["message"] = " ".join(exc.messages)
        else:
            context["result"] = {**grade_info(graded), "score": f"{score:g}",
                                 "badge": grade_badge(graded)}
    return render(request, "risks/_grade_preview.html", context)

