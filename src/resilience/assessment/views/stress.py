"""Stress test pages: choose a scenario and its parameters, see the shortfalls and how they
compare with the previous run of the same scenario, run it again."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.assessment import access
from resilience.assessment.report import FIGURES, label_of
from resilience.assessment.forms import StressForm
from resilience.assessment.models import StressTest
from resilience.assessment.services import stress
from resilience.assessment.vocab import StressKind
from resilience.assessment.views.pages import community_of
from resilience.core.views.forms import add_errors, flash_errors

@login_required
def stress_new(request, pk: int):
    """Choose a scenario (``?kind=``), fill in its parameters, run it."""
    from resilience.assessment.stress import SCENARIOS

    place = community_of(request, pk, "add")
    kind = request.POST.get("kind") or request.GET.get("kind") or StressKind.LOCKDOWN
    if kind not in SCENARIOS:
        kind = StressKind.LOCKDOWN
    form = StressForm(request.POST or None, community=place, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            test = stress.run_stress_test(place, kind, form.parameters(), by=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect(test.get_absolute_url())
    return render(request, "assessment/stress_new.html", {
        "community": place, "form": form, "kind": kind,
        "scenarios": [(k, s.label) for k, s in SCENARIOS.items()],
        "title": _("New stress test")})


def _test(request, pk: int) -> StressTest:
    return get_object_or_404(StressTest.objects.visible_to(request.user, "view")
                             .select_related("community", "by"), pk=pk)


def figures(result: dict) -> list[dict]:
    return [{"key": key, "label": label, "value": result.get(key)}
            for key, label in FIGURES if key in (result or {})]


@login_required
def stress_detail(request, pk: int):
    test = _test(request, pk)
    previous = stress.previous_test(test)
    comparison = stress.comparison(test, previous) if previous else []
    for row in comparison:
        row["label"] = label_of(row["key"])
    result = test.result or {}
    return render(request, "assessment/stress_detail.html", {
        "test": test, "community": test.community, "result": result,
        "figures": figures(result), "supplies": result.get("supplies") or [],
        "assumptions": result.get("assumptions") or [],
        "details": result.get("details") or {}, "previous": previous,
        "comparison": comparison,
        "may_run": access.may(request.user, "add", test.community),
        "title": str(test)})


@login_required
@require_POST
def stress_again(request, pk: int):
    """Run the same scenario with the same parameters again, now."""
    test = _test(request, pk)
    community_of(request, test.community_id, "add")
    try:
        again = stress.run_stress_test(test.community, test.kind, test.parameters,
                                       by=request.user)
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect(test.get_absolute_url())
    return redirect(again.get_absolute_url())
