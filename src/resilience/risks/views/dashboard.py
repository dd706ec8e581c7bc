"""The risks panel of the dashboard: risk sources per grade, open and overdue hazards, late plans."""
from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from resilience.core.scope import can_any
from resilience.risks import hazards as loop
from resilience.risks.inspections import overdue_plans
from resilience.risks.models import Hazard, InspectionPlan, RiskSource
from resilience.risks.services import grade_counts
from resilience.risks.views.grades import legend


def panel(request) -> dict | None:
    """The panel's context, or None when the user may see none of it."""
    user = request.user
    today = timezone.localdate()
    context: dict = {"template": "risks/_dashboard.html"}
    if can_any(user, "view", RiskSource):
        counts = grade_counts(RiskSource.objects.visible_to(user, "view").filter(active=True))
        register = reverse("risks:risksource_list")
        context["grades"] = [{**g, "count": counts.get(g["grade"], 0),
                              "url": f"{register}?grade={g['grade']}"} for g in legend()]
        context["map_url"] = reverse("map")
    if can_any(user, "view", Hazard):
        hazards = Hazard.objects.visible_to(user, "view")
        context["hazards_open"] = hazards.exclude(status=loop.S.VERIFIED).count()
        context["hazards_overdue"] = loop.overdue(hazards, today).count()
        context["hazards_url"] = reverse("risks:hazard_list")
    if can_any(user, "view", InspectionPlan):
        plans = InspectionPlan.objects.visible_to(user, "view")
        context["plans_overdue"] = overdue_plans(plans, today).count()
        context["plans_url"] = reverse("risks:inspectionplan_list")
    return context if len(context) > 1 else None
