"""Self-evaluation pages: run the checklist (with staff's notes attesting the manual items),
see items, evidence, total and pass/fail."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.assessment import access, checklist
from resilience.assessment.forms import EvaluationForm
from resilience.assessment.models import SelfEvaluation
from resilience.assessment.services import evaluations
from resilience.assessment.views.pages import community_of
from resilience.core.views.forms import flash_errors


def manual_items(evaluation: SelfEvaluation | None) -> list[dict]:
    return [i for i in (evaluation.items if evaluation else []) if i.get("kind") == "manual"]


@login_required
@require_POST
def evaluation_new(request, pk: int):
    """Evaluate the community now, keeping the attestations of the last evaluation unless the
    form gives new ones."""
    place = community_of(request, pk, "add")
    last = evaluations.latest_evaluation(place)
    form = EvaluationForm(request.POST, manual_items=manual_items(last) or [
        {"code": code} for code in checklist.manual_codes()])
    notes = dict(last.attestations) if last else {}
    if form.is_valid():
        # a field left out of the post keeps its note; one sent empty withdraws it
        notes.update({k[5:]: v for k, v in form.cleaned_data.items()
                      if k.startswith("note_") and k in request.POST})
    try:
        evaluation = evaluations.evaluate_community(place, notes, by=request.user)
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect("assessment:community", pk=place.pk)
    return redirect(evaluation.get_absolute_url())


@login_required
def evaluation_detail(request, pk: int):
    evaluation = get_object_or_404(SelfEvaluation.objects.visible_to(request.user, "view")
                                   .select_related("community", "by"), pk=pk)
    may_run = access.may(request.user, "add", evaluation.community)
    form = EvaluationForm(manual_items=manual_items(evaluation),
                          initial_notes=evaluation.attestations) if may_run else None
    items = evaluation.items or []
    return render(request, "assessment/evaluation_detail.html", {
        "evaluation": evaluation, "community": evaluation.community,
        "basic": [i for i in items if i.get("part") == "basic"],
        "scored": [i for i in items if i.get("part") != "basic"],
        "form": form, "may_run": may_run,
        "title": _("Self-evaluation of %(name)s") % {"name": evaluation.community.name}})
