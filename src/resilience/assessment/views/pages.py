"""The community assessment page, running an assessment, a run's detail and CSV, the printable
report and the indices. Communities come from ``access.communities_for`` and runs from
``AssessmentRun.objects.visible_to``: out of scope is a 404, in scope but not allowed a 403."""
from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.assessment import access, report
from resilience.assessment.catalogue import catalogue
from resilience.assessment.models import AssessmentRun, Index
from resilience.assessment.services import runs, trends
from resilience.assessment.vocab import Dimension
from resilience.core.views.forms import flash_errors


def chosen_index(request) -> Index:
    """The index named by ``?index=`` or the default one."""
    pk = request.GET.get("index") or request.POST.get("index")
    if pk and str(pk).isdigit():
        found = Index.objects.filter(pk=pk).first()
        if found:
            return found
    return runs.default_index()


def community_of(request, pk, action: str = "view"):
    """The community if the user may ``action`` its assessment: 404 when they cannot see it,
    403 when they see it but may not act."""
    community = access.community_or_404(request.user, pk)
    if action != "view" and not access.may(request.user, action, community):
        raise PermissionDenied(_("You may look at this assessment but not change it."))
    return community


@login_required
def home(request):
    """The user's community, or the street comparison when they see several."""
    communities = list(access.communities_for(request.user)[:2])
    if not communities:
        raise PermissionDenied(_("The assessment is for the committee, the street office and "
                                 "grid workers."))
    if len(communities) == 1:
        return redirect("assessment:community", pk=communities[0].pk)
    return redirect("assessment:street")


@login_required
def community(request, pk: int):
    """Latest score, radar, trend, dimensions, weakest indicators, stress tests, self-evaluation."""
    place = community_of(request, pk)
    index = chosen_index(request)
    context = report.summary(place, index)
    context.update({
        "title": _("Resilience of %(name)s") % {"name": place.name},
        "may_run": access.may(request.user, "add", place),
        "indices": Index.objects.all(),
    })
    return render(request, "assessment/community.html", context)


@login_required
@require_POST
def run_new(request, pk: int):
    """Run an assessment of the community now (the "Run assessment" button)."""
    place = community_of(request, pk, "add")
    index = chosen_index(request)
    try:
        run = runs.assess_one(place, index, by=request.user)
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect("assessment:community", pk=place.pk)
    if run.score is None:
        messages.info(request, _("Assessment done; no indicator had a value yet."))
    else:
        messages.success(request, _("Assessment done: score %(score).1f.") % {
            "score": run.score})
    return redirect(run.get_absolute_url())


def _run(request, pk: int) -> AssessmentRun:
    return get_object_or_404(AssessmentRun.objects.visible_to(request.user, "view")
                             .select_related("community", "index", "by"), pk=pk)


def value_rows(run: AssessmentRun) -> list[dict]:
    """Every indicator of the run with its catalogue entry, grouped in dimension order."""
    known = catalogue()
    order = {d: k for k, d in enumerate(Dimension.values)}
    labels = dict(Dimension.choices)
    rows = []
    for value in run.values.all():
        indicator = known.get(value.indicator)
        rows.append({
            "value": value, "code": value.indicator,
            "name": indicator.name if indicator else value.indicator,
            "definition": indicator.definition if indicator else "",
            "unit": indicator.unit if indicator else "",
            "target": indicator.target if indicator else None,
            "dimension": labels.get(value.dimension, value.dimension),
            "dimension_code": value.dimension,
            "recommendation": indicator.recommendation(value.score) if indicator else "",
            "inputs": [(k, v) for k, v in (value.inputs or {}).items()],
        })
    rows.sort(key=lambda r: (order.get(r["dimension_code"], 9), str(r["name"])))
    return rows


@login_required
def run_detail(request, pk: int):
    run = _run(request, pk)
    change = trends.why_changed(run)
    return render(request, "assessment/run_detail.html", {
        "run": run, "community": run.community, "rows": value_rows(run), "change": change,
        "may_enter": access.may(request.user, "add", run.community),
        "radar": report.radar_of(run, change["previous"]),
        "dimensions": [{"label": label, "score": (run.dimension_scores or {}).get(d),
                        "weight": (run.weights or {}).get(d)} for d, label in Dimension.choices
                       if d in (run.dimension_scores or {})],
        "title": _("Assessment of %(name)s") % {"name": run.community.name},
    })


@login_required
def run_csv(request, pk: int):
    return values_csv(_run(request, pk))


def values_csv(run: AssessmentRun) -> HttpResponse:
    """The run's indicator values as CSV (UTF-8 with BOM, so spreadsheet programs read the
    Chinese names)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="assessment-{run.community.code}-{run.at:%Y%m%d-%H%M}.csv"')
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["community", "time", "indicator", "name", "dimension", "value", "unit",
                     "score", "target", "weight", "source", "inputs"])
    for row in value_rows(run):
        v = row["value"]
        writer.writerow([run.community.code, run.at.isoformat(), v.indicator, str(row["name"]),
                         v.dimension, "" if v.value is None else v.value, str(row["unit"]),
                         "" if v.score is None else v.score,
                         "" if row["target"] is None else row["target"], v.weight, v.source,
                         json.dumps(v.inputs, ensure_ascii=False, sort_keys=True)])
    return response


@login_required
def report_page(request, pk: int):
    """The printable community resilience report."""
    place = community_of(request, pk)
    index = chosen_index(request)
    context = report.summary(place, index, with_buildings=True, weakest=10)
    context["title"] = _("Community resilience report: %(name)s") % {"name": place.name}
    if context["run"]:
        context["csv_url"] = reverse("assessment:run_csv", args=[context["run"].pk])
    return render(request, "assessment/report.html", context)


@login_required
def index_list(request):
    if not access.sees_assessment(request.user):
        raise PermissionDenied
    return render(request, "assessment/index_list.html", {
        "indices": Index.objects.all(), "title": _("Resilience indices")})


@login_required
def index_detail(request, pk: int):
    if not access.sees_assessment(request.user):
        raise PermissionDenied
    index = get_object_or_404(Index, pk=pk)
    known = catalogue()
    problem = ""
    try:
        chosen = runs.indicators_of(index)
        runs.check_index(index)  # say on the page why runs with this index would be refused
    except ValidationError as exc:
        chosen = [known[c] for c in index.indicators if c in known] or list(known.values())
        problem = " ".join(exc.messages)
    return render(request, "assessment/index_detail.html", {
        "index": index, "indicators": chosen, "problem": problem,
        "title": str(index)})
