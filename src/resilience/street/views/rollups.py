"""The roll-up page: counts and rates per community or per grid, with CSV and XLSX downloads.
Small counts of vulnerable residents are shown as "<3" here as in every download."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from resilience.people.vocab import Vulnerability
from resilience.relief.vocab import SupplyCategory
from resilience.street import dashboard, rollups
from resilience.street.api_rollups import PER, rollup_file


def _details(row: dict) -> None:
    """Compact lists for the page: vulnerable residents by kind, stock and days by category."""
    row["by_kind"] = [(label, row[f"vulnerable_{value}"]) for value, label in Vulnerability.choices
                      if row.get(f"vulnerable_{value}")]
    row["by_category"] = [(label, row.get(f"stock_{value}"), row.get(f"days_{value}"))
                          for value, label in SupplyCategory.choices
                          if row.get(f"stock_{value}") or row.get(f"days_{value}") is not None]


@login_required
def rollup_page(request):
    if not rollups.may_see_rollups(request.user):
        raise PermissionDenied(_("Roll-ups are for the street office and community staff."))
    per = request.GET.get("per") or "community"
    fmt = request.GET.get("format") or "html"
    if per not in PER or fmt not in ("html", "csv", "xlsx"):
        return HttpResponseBadRequest(_("Unknown roll-up level or format."))
    scope = rollups.communities_for(request.user)
    regions = dashboard.regions_of(scope)
    region = next((r for r in regions if r.code == request.GET.get("region")), None)
    communities = rollups.in_region(scope, region) if region else scope
    download = rollup_file(communities, per, fmt)
    if download is not None:
        return download
    names, rows = rollups.table(communities, per)
    for row in rows:
        _details(row)
    query = f"&region={region.code}" if region else ""
    return render(request, "street/rollups.html", {
        "rows": rows, "per": per, "regions": regions, "region": region, "query": query,
        "min_cell": rollups.min_cell(), "title": _("Roll-ups"),
    })
