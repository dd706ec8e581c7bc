"""Roll-call pages: the live board by grid (htmx polling), and "My roll-call" — a helper's
phone page with one big button per finding for each resident assigned to them."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from resilience.core.scope import can
from resilience.response.forms import MarkForm
from resilience.response.models import RollCall, RollCallEntry
from resilience.response.services import rollcall as roll
from resilience.response.views.common import error_text, safe_next
from resilience.response.vocab import RollCallStatus

POLL_SECONDS = 5


def _rollcall(request, pk: int) -> RollCall:
    return get_object_or_404(RollCall.objects.visible_to(request.user, "view")
                             .select_related("incident"), pk=pk)


@login_required
def detail(request, pk: int):
    """The board: progress by grid, refreshed every few seconds; the entries below (staff)."""
    rollcall = _rollcall(request, pk)
    context = {"rollcall": rollcall, "progress": roll.progress(rollcall), "poll": POLL_SECONDS}
    if request.htmx:
        return render(request, "response/_rollcall_board.html", context)
    entries = list(RollCallEntry.objects.visible_to(request.user, "view")
                   .filter(rollcall=rollcall).select_related("resident", "helper", "grid",
                                                            "building")[:500])
    for entry in entries:
        entry.needs = roll.labels_from_tokens(entry.resident.tag_index)
    context["entries"] = entries
    return render(request, "response/rollcall_detail.html", context)


@login_required
def mine(request):
    """The residents the signed-in helper is to check on, in open roll-calls."""
    entries = list(RollCallEntry.objects.filter(helper=request.user, rollcall__closed_at__isnull=True)
                   .select_related("resident__household", "building", "rollcall__incident")
                   .order_by("priority", "building", "id"))
    entries.sort(key=lambda e: e.status != RollCallStatus.PENDING)  # still to check first
    for entry in entries:
        entry.needs = roll.needs_of(entry.resident, request.user)
    return render(request, "response/my_rollcall.html", {
        "entries": entries, "marks": [(s, RollCallStatus(s).label) for s in roll.MARKS]})


@login_required
def mark(request, pk: int):
    """The helper's finding for one resident (POST); a refusal is shown as a message."""
    if request.method != "POST":
        raise Http404
    entry = RollCallEntry.objects.filter(pk=pk).select_related("resident").first()
    if entry is None or not (entry.helper_id == request.user.pk
                             or can(request.user, "view", entry)):
        raise Http404
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    else:
        try:
            roll.mark(entry, request.user, form.cleaned_data["status"], form.cleaned_data["note"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc) if isinstance(exc, ValidationError)
                           else str(exc))
        else:
            messages.success(request, _("%(name)s: %(status)s.") % {
                "name": entry.resident.name, "status": entry.get_status_display()})
    return redirect(safe_next(request, reverse("response:rollcall_mine")))


def urls() -> list:
    return [
        path("rollcall/mine/", mine, name="rollcall_mine"),
        path("rollcall/<int:pk>/", detail, name="rollcall_detail"),
        path("rollcall/entries/<int:pk>/mark/", mark, name="rollcall_mark"),
    ]
