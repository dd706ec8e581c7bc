"""Communities side by side: the street office sees all of its communities, staff only their
own; sortable by score or any dimension."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from resilience.assessment import access
from resilience.assessment.services import compare
from resilience.assessment.views.pages import chosen_index
from resilience.assessment.vocab import Dimension


@login_required
def street(request):
    communities = access.communities_for(request.user).select_related("region").order_by("name")
    if not access.sees_assessment(request.user):
        raise PermissionDenied
    region = request.GET.get("region")
    if region and region.isdigit():
        communities = communities.filter(region_id=region)
    index = chosen_index(request)
    sort = request.GET.get("sort", "score")
    rows = compare.side_by_side(communities, index, sort)
    columns = [("name", _("community")), ("score", _("score")), *Dimension.choices]
    return render(request, "assessment/street.html", {
        "rows": rows, "index": index, "sort": sort, "columns": columns,
        "dimension_labels": Dimension.labels,
        "regions": sorted({c.region for c in communities if c.region}, key=lambda r: r.name),
        "title": _("Communities compared")})
