"""Evacuation pages: a community's plan (who goes where, who is left without a place), its
walking paths with a block/unblock button each, and the printable sheet of one building."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.core.scope import can
from resilience.places.models import Building, Community
from resilience.shelters import evacuation, graph
from resilience.shelters.models import EvacuationPlan, PathEdge


def _community(user, pk: int) -> Community:
    return get_object_or_404(Community.objects.visible_to(user, "view"), pk=pk)


def _plan(user, community) -> EvacuationPlan:
    stored = evacuation.current(community)
    if not can(user, "view", stored):
        raise Http404
    return stored


@login_required
def evacuation_choose(request):
    communities = Community.objects.visible_to(request.user, "view").order_by("name")
    if communities.count() == 1:
        return redirect("shelters:evacuation_detail", communities.get().pk)
    return render(request, "shelters/evacuation_choose.html", {"communities": communities[:500]})


@login_required
def evacuation_detail(request, pk: int):
    community = _community(request.user, pk)
    stored = _plan(request.user, community)
    r = stored.result
    rows = [a | {"building_name": r["buildings"].get(str(a["building"])),
                 "shelter_name": r["shelters"].get(str(a["shelter"]))}
            for a in r.get("assignments", [])]
    unplaced = [u | {"building_name": r["buildings"].get(str(u["building"])),
                     "reason_label": evacuation.reason_label(u["reason"])}
                for u in r.get("unplaced", [])]
    return render(request, "shelters/evacuation_detail.html", {
        "community": community, "plan": stored, "rows": rows, "unplaced": unplaced,
        "summary": evacuation.summary(r), "can_change": can(request.user, "change", stored),
        "blocked": PathEdge.objects.filter(community=community, blocked=True).count(),
    })


@login_required
@require_POST
def evacuation_recompute(request, pk: int):
    community = _community(request.user, pk)
    if not can(request.user, "change", _plan(request.user, community)):
        raise Http404
    evacuation.recompute(community)
    messages.success(request, _("The evacuation plan was computed again."))
    return redirect("shelters:evacuation_detail", community.pk)


@login_required
def path_list(request, pk: int):
    community = _community(request.user, pk)
    edges = PathEdge.objects.visible_to(request.user, "view").filter(community=community) \
        .order_by("-blocked", "pk")
    page = Paginator(edges, 50).get_page(request.GET.get("page"))
    return render(request, "shelters/path_list.html", {
        "community": community, "page": page,
        "can_change": PathEdge.objects.visible_to(request.user, "change")
                              .filter(community=community).exists()})


@login_required
@require_POST
def path_block(request, pk: int):
    """Block a path (or reopen it with ``unblock=1``) and plan again."""
    edge = get_object_or_404(PathEdge.objects.visible_to(request.user, "change"), pk=pk)
    graph.set_blocked(edge, request.POST.get("unblock") != "1")
    messages.success(request, _("The path is blocked; the plan was computed again.") if edge.blocked
                     else _("The path is open again; the plan was computed again."))
    return redirect("shelters:path_list", edge.community_id)


@login_required
def evacuation_sheet(request, pk: int):
    """The printable evacuation sheet of one building: where its residents go and how."""
    building = get_object_or_404(Building.objects.visible_to(request.user, "view")
                                 .select_related("community"), pk=pk)
    stored = _plan(request.user, building.community)
    r = stored.result
    legs = [a | {"shelter_name": r["shelters"].get(str(a["shelter"])),
                 "steps": evacuation.describe_route(a["route"])}
            for a in r.get("assignments", []) if a["building"] == building.pk]
    unplaced = [u | {"reason_label": evacuation.reason_label(u["reason"])}
                for u in r.get("unplaced", []) if u["building"] == building.pk]
    return render(request, "shelters/evacuation_sheet.html", {
        "building": building, "plan": stored, "legs": legs, "unplaced": unplaced,
        "needing_help": sum(a["needing_help"] for a in legs) + sum(u["needing_help"] for u in unplaced),
        "speeds": (evacuation.WALK_SPEED, evacuation.WALK_SPEED_HELPED),
    })
