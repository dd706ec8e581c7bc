"""Dispatch pages: staff plan batches and confirm them; the volunteer's phone page lists their
batches in route order, with the steps and a phone reveal for the stop they are at."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.core.views.generic import ObjectViews, client_ip
from resilience.places.models import Community, Facility
from resilience.relief import dispatch
from resilience.relief.filtersets_requests import DispatchBatchFilterSet
from resilience.relief.forms_requests import CannotFulfilForm, DeliverForm, NoteForm
from resilience.relief.models import DispatchBatch, Item, NeedRequest
from resilience.relief.priority import explain
from resilience.relief.requests import shows_health
from resilience.relief.vocab import BatchStatus, RequestStatus
from resilience.response.views.common import error_text


class DispatchBatchViews(ObjectViews):
    model = DispatchBatch
    slug = "dispatch/batches"
    filterset = DispatchBatchFilterSet
    columns = ("building", "volunteer", "status", "distance_m", "created")
    select_related = ("building", "volunteer", "community")
    filter_fields = ("status", "building", "volunteer", "community")
    detail_template = "relief/dispatch_batch.html"

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["requests"] = _requests_of(request.user, [obj])[obj.pk]
        context["picks"] = _picks([obj])[obj.pk]
        context["can_confirm"] = (obj.status == BatchStatus.PLANNED
                                  and dispatch.can_dispatch(request.user, obj.community))
        context["can_change"] = False
        return context


def _communities(user) -> list:
    return [c for c in Community.objects.visible_to(user, "view").order_by("name")
            if dispatch.can_dispatch(user, c)]


def _requests_of(user, batches) -> dict[int, list]:
    ids = {pk for b in batches for pk in b.route}
    by_id = {r.pk: r for r in NeedRequest.objects.visible_to(user, "view").filter(
        pk__in=ids).select_related("household__building", "household__unit", "item")}
    health = shows_health(user)
    for r in by_id.values():
        r.why = explain(r.priority_reasons, health=health)
    return {b.pk: [by_id[pk] for pk in b.route if pk in by_id] for b in batches}


def _picks(batches) -> dict[int, list]:
    items = {i.pk: i for i in Item.objects.filter(
        pk__in={p.get("item") for b in batches for p in b.picks or []})}
    stores = {w.pk: w for w in Facility.objects.filter(
        pk__in={p.get("warehouse") for b in batches for p in b.picks or []})}
    return {b.pk: [{"item": items.get(p.get("item")), "warehouse": stores.get(p.get("warehouse")),
                    "quantity": p.get("quantity"), "request": p.get("request")}
                   for p in b.picks or []] for b in batches}


@login_required
def board(request):
    """The staff page: the planned batches of a community for review, then confirm."""
    communities = _communities(request.user)
    if not communities:
        raise PermissionDenied(_("Only community staff may dispatch."))
    chosen = request.GET.get("community")
    community = next((c for c in communities if str(c.pk) == chosen), communities[0])
    batches = list(DispatchBatch.objects.visible_to(request.user, "view").filter(
        community=community, status__in=[BatchStatus.PLANNED, BatchStatus.DISPATCHED])
        .select_related("building", "volunteer").order_by("status", "building__name", "id"))
    requests = _requests_of(request.user, batches)
    picks = _picks(batches)
    rows = [{"batch": b, "requests": requests[b.pk], "picks": picks[b.pk]} for b in batches]
    planned_ids = {pk for b in batches if b.status == BatchStatus.PLANNED for pk in b.route}
    unplanned = (NeedRequest.objects.visible_to(request.user, "view")
                 .filter(community=community, status=RequestStatus.OPEN)
                 .exclude(pk__in=planned_ids).count())
    return render(request, "relief/dispatch_board.html", {
        "communities": communities, "community": community,
        "planned": [r for r in rows if r["batch"].status == BatchStatus.PLANNED],
        "dispatched": [r for r in rows if r["batch"].status == BatchStatus.DISPATCHED],
        "unplanned": unplanned})


def _community_from_post(request) -> Community:
    community = get_object_or_404(Community.objects.visible_to(request.user, "view"),
                                  pk=request.POST.get("community") or 0)
    if not dispatch.can_dispatch(request.user, community):
        raise PermissionDenied(_("Only community staff may dispatch."))
    return community


@login_required
@require_POST
def plan(request):
    community = _community_from_post(request)
    proposal = dispatch.propose(community, request.user)
    messages.success(request, _("%(batches)d batches planned; %(stock)d requests lack stock, "
                                "%(helpers)d lack a helper.") % {
        "batches": len(proposal.batches), "stock": len(proposal.short_stock),
        "helpers": len(proposal.short_helpers)})
    return redirect(f"{reverse('relief:dispatch_board')}?community={community.pk}")


@login_required
@require_POST
def confirm(request, pk: int | None = None):
    """Confirm one planned batch (``pk``) or every planned batch of the community."""
    if pk is not None:
        batch = get_object_or_404(DispatchBatch.objects.visible_to(request.user, "view"), pk=pk)
        community = batch.community
        try:
            count = len(dispatch.confirm(batch, request.user).route)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc) if isinstance(exc, ValidationError)
                           else str(exc))
            return redirect(f"{reverse('relief:dispatch_board')}?community={community.pk}")
    else:
        community = _community_from_post(request)
        count = dispatch.confirm_all(community, request.user)
    messages.success(request, _("%(count)d requests assigned.") % {"count": count})
    return redirect(f"{reverse('relief:dispatch_board')}?community={community.pk}")


@login_required
def my_deliveries(request):
    """The volunteer's phone page: batches in route order, stops in order, what to bring."""
    batches = dispatch.batches_of(request.user)
    picks = _picks(batches)
    rows = []
    for batch in batches:
        by_request = {p["request"]: p for p in picks[batch.pk]}
        stops = dispatch.stops(batch, request.user)
        for stop in stops:
            stop["bring"] = by_request.get(stop["request"].pk)
        rows.append({"batch": batch, "stops": stops})
    return render(request, "relief/dispatch_mine.html", {
        "rows": rows, "note_form": NoteForm(), "deliver_form": DeliverForm(),
        "cannot_form": CannotFulfilForm()})


@login_required
@require_POST
def reveal_phone(request, pk: int):
    """The phone in clear for the volunteer holding the request (logged); an htmx fragment."""
    obj = get_object_or_404(NeedRequest.objects.visible_to(request.user, "view")
                            .select_related("volunteer", "resident", "household"), pk=pk)
    try:
        phone = dispatch.reveal_phone(obj, request.user, ip=client_ip(request))
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    response = HttpResponse(format_html('<a class="phone" href="tel:{0}">{0}</a>', phone))
    response["Cache-Control"] = "no-store"
    return response


def urls() -> list:
    return [
        path("dispatch/", board, name="dispatch_board"),
        path("dispatch/plan/", plan, name="dispatch_plan"),
        path("dispatch/confirm/", confirm, name="dispatch_confirm_all"),
        path("dispatch/batches/<int:pk>/confirm/", confirm, name="dispatch_confirm"),
        *DispatchBatchViews.urls(),
        path("my-deliveries/", my_deliveries, name="dispatch_mine"),
        path("my-deliveries/<int:pk>/phone/", reveal_phone, name="dispatch_phone"),
    ]
