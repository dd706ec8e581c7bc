"""The committee's needs board: unmet needs by building, by kind and by how long they have
waited; overdue requests; and the shortfall of stock and of helpers that matching finds."""
from __future__ import annotations

from collections import Counter, defaultdict

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from resilience.core.roles import Role
from resilience.core.scope import memberships_of
from resilience.places.models import Community
from resilience.relief import matching
from resilience.relief.models import NeedRequest
from resilience.relief.priority import explain
from resilience.relief.requests import shows_health
from resilience.relief.vocab import ACTIVE_REQUEST_STATUSES, NeedKind, RequestStatus

AGE_BUCKETS = ((6, _l("< 6 h")), (24, _l("6–24 h")), (72, _l("1–3 d")), (None, _l("> 3 d")))
SHORTFALL_SHOWN = 50


def _bucket(hours: float) -> str:
    for limit, label in AGE_BUCKETS:
        if limit is None or hours < limit:
            return label
    return AGE_BUCKETS[-1][1]


BOARD_ROLES = (Role.ADMIN, Role.OFFICE, Role.STAFF, Role.GRID_WORKER, Role.HEALTH_WORKER)


def sees_board(user) -> bool:
    """Committee, office and workers: not residents or volunteers (they see their own)."""
    return user.is_superuser or any(m.role in BOARD_ROLES for m in memberships_of(user))


@login_required
def board(request):
    user = request.user
    if not sees_board(user):
        raise PermissionDenied(_("The needs board is for the committee, the street office and "
                                 "workers."))
    visible = NeedRequest.objects.visible_to(user, "view")
    communities = list(Community.objects.filter(
        pk__in=visible.values("community_id").distinct()).order_by("name"))
    chosen = request.GET.get("community")
    community = next((c for c in communities if str(c.pk) == chosen),
                     communities[0] if communities else None)
    context = {"communities": communities, "community": community,
               "kinds": NeedKind.choices, "buckets": [label for _limit, label in AGE_BUCKETS]}
    if community is None:
        return render(request, "relief/needs_board.html", context)
    now = timezone.now()
    unmet = list(visible.filter(community=community, status__in=ACTIVE_REQUEST_STATUSES)
                 .values_list("pk", "building_id", "building__name", "kind", "status", "created",
                              "due_at"))
    by_building: dict[int, dict] = {}
    by_kind, by_age = Counter(), Counter()
    overdue = 0
    for pk, building, name, kind, status, created, due_at in unmet:
        row = by_building.setdefault(building, {"id": building, "name": name, "total": 0,
                                                "kinds": Counter(), "open": 0})
        row["total"] += 1
        row["kinds"][kind] += 1
        row["open"] += status == RequestStatus.OPEN
        by_kind[kind] += 1
        by_age[_bucket((now - created).total_seconds() / 3600)] += 1
        overdue += bool(due_at and due_at < now)
    buildings = sorted(by_building.values(), key=lambda r: (-r["total"], r["name"]))
    for row in buildings:
        row["cells"] = [row["kinds"].get(k, 0) for k, _label in NeedKind.choices]
    plan = matching.plan(community, now=now)
    shown = set(plan.short_stock[:SHORTFALL_SHOWN]) | set(plan.short_helpers[:SHORTFALL_SHOWN])
    details = {r.pk: r for r in visible.filter(pk__in=shown).select_related(
        "household__building", "item")}
    health = shows_health(user)
    for r in details.values():
        r.why = explain(r.priority_reasons, health=health)
    missing_items: dict = defaultdict(lambda: {"item": None, "requests": 0, "quantity": 0})
    for pk in plan.short_stock:
        r = details.get(pk)
        if r is not None:
            entry = missing_items[r.item_id]
            entry["item"], entry["requests"] = r.item, entry["requests"] + 1
            entry["quantity"] += r.quantity or 1
    context.update({
        "total": len(unmet), "overdue": overdue, "buildings": buildings,
        "by_kind": [(label, by_kind.get(k, 0), k) for k, label in NeedKind.choices],
        "by_age": [(label, by_age.get(label, 0)) for _limit, label in AGE_BUCKETS],
        "short_stock": [details[pk] for pk in plan.short_stock if pk in details],
        "short_stock_total": len(plan.short_stock),
        "missing_items": list(missing_items.values()),
        "short_helpers": [details[pk] for pk in plan.short_helpers if pk in details],
        "short_helpers_total": len(plan.short_helpers),
        "matchable": plan.matched,
        "title": _("Unmet needs"),
    })
    return render(request, "relief/needs_board.html", context)


def urls() -> list:
    return [path("needs/", board, name="needs_board")]


def requests_panel(request) -> dict | None:
    """The dashboard panel: overdue and escalated requests for the committee (how staff hear
    of an escalation), or the deliveries waiting for a volunteer."""
    from django.urls import reverse

    from resilience.relief import dispatch
    from resilience.relief.requests import overdue

    user = request.user
    context: dict = {"template": "relief/needs_panel.html"}
    if sees_board(user):
        visible = NeedRequest.objects.visible_to(user, "view")
        context["open_requests"] = visible.filter(status=RequestStatus.OPEN).count()
        context["overdue_requests"] = overdue(visible).count()
        context["escalated"] = list(overdue(visible).filter(escalated_at__isnull=False)
                                    .select_related("household__building")
                                    .order_by("-escalated_at")[:5])
        context["board_url"] = reverse("relief:needs_board")
        context["overdue_url"] = reverse("relief:needrequest_list") + "?overdue=true"
    batches = dispatch.batches_of(user) if not user.is_superuser else []
    if batches:
        context["my_batches"] = len(batches)
        context["mine_url"] = reverse("relief:dispatch_mine")
    return context if len(context) > 1 else None
