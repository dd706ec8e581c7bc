"""Drill pages: the staff registry (plan, finish, cancel), the grid worker's phone page (tick
households present per building, a stopwatch per building), the printable report and the
residents' list of their community's drills."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.scope import can
from resilience.core.views.forms import flash_errors
from resilience.core.views.generic import ObjectViews
from resilience.participation import drills
from resilience.participation.filtersets_learning import DrillFilterSet
from resilience.participation.forms_learning import DrillForm, FinishDrillForm, TimingForm
from resilience.participation.models import Drill, DrillParticipation, DrillTiming
from resilience.participation.vocab_learning import DrillStatus


class DrillViews(ObjectViews):
    model = Drill
    filterset = DrillFilterSet
    form = DrillForm
    columns = ("title", "scenario", "status", "planned_at", "grid", "building", "community")
    select_related = ("community", "grid", "building")
    filter_fields = ("status", "scenario", "grid", "building", "community")
    detail_groups = (
        (_l("drill"), ("title", "scenario", "status", "planned_at", "plan", "objectives",
                       "observers")),
        (_l("where"), ("community", "grid", "building")),
        (_l("outcome"), ("finished_at", "finished_by", "lessons_learned")),
    )
    detail_template = "participation/drill_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("drills/community/", drill_board, name="drill_board"),
            *super().urls(),
            path("drills/<int:pk>/field/", drill_field, name="drill_field"),
            path("drills/<int:pk>/timer/", drill_timer, name="drill_timer"),
            path("drills/<int:pk>/finish/", finish, name="drill_finish"),
            path("drills/<int:pk>/cancel/", cancel, name="drill_cancel"),
            path("drills/<int:pk>/report/", report, name="drill_report"),
        ]

    def get_form(self, request, instance, data=None):
        if instance.pk is None:
            instance.created_by = request.user
        return super().get_form(request, instance, data)

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["rate"] = drills.participation_rate(obj)
        context["times"] = drills.evacuation_times(obj)
        context["may_record"] = (obj.status == DrillStatus.PLANNED
                                 and drills.recordable_buildings(obj, request.user).exists())
        if obj.status == DrillStatus.PLANNED and context["can_change"]:
            context["finish_form"] = FinishDrillForm(initial={
                "lessons_learned": obj.lessons_learned})
        return context


@login_required
def drill_board(request):
    """Residents' list: planned drills as notices of the date, done ones with the outcome and
    whether my own household was recorded present."""
    visible = Drill.objects.visible_to(request.user, "view").select_related("grid", "building")
    now = timezone.now()
    planned = list(visible.filter(status=DrillStatus.PLANNED, planned_at__gte=now - dt.timedelta(
        hours=12)).order_by("planned_at")[:20])
    done = list(visible.filter(status=DrillStatus.DONE).order_by("-planned_at")[:20])
    for drill in done:
        drill.rate = drills.participation_rate(drill)
        drill.times = drills.evacuation_times(drill)
        drill.mine = drills.household_outcome(drill, request.user)
    return render(request, "participation/drill_board.html", {"planned": planned, "done": done})


@login_required
def drill_field(request, pk: int):
    """The grid worker's phone page: per building, tick the households present and time it."""
    drill = DrillViews().get_object(request, pk)
    buildings = list(drills.recordable_buildings(drill, request.user))
    if not buildings:
        raise PermissionDenied
    if request.method == "POST":
        building = next((b for b in buildings if str(b.pk) == request.POST.get("building")), None)
        if building is None:
            messages.error(request, _("Choose one of your buildings."))
        else:
            try:
                count = drills.tick_building(drill, request.user, building,
                                             request.POST.getlist("present"))
            except ValidationError as exc:
                flash_errors(request, exc)
            else:
                messages.success(request, _("%(building)s: %(count)d households present.")
                                 % {"building": building, "count": count})
        return redirect(f"{request.path}#building-{request.POST.get('building', '')}")
    households = drills.households_in_scope(drill).filter(building__in=buildings).order_by("room")
    present = dict(DrillParticipation.objects.filter(drill=drill, resident__isnull=True)
                   .values_list("household", "present"))
    timings = {t.building_id: t for t in DrillTiming.objects.filter(drill=drill,
                                                                   building__in=buildings)}
    rows = []
    for building in buildings:
        mine = [(h, present.get(h.pk)) for h in households if h.building_id == building.pk]
        rows.append({"building": building, "households": mine, "timing": timings.get(building.pk),
                     "present": sum(1 for _h, p in mine if p)})
    return render(request, "participation/drill_field.html",
                  {"drill": drill, "rows": rows, "open": drill.status == DrillStatus.PLANNED})


@login_required
@require_POST
def drill_timer(request, pk: int):
    """Start / all out / arrived stamped with the server's clock, or minutes typed in."""
    drill = DrillViews().get_object(request, pk)
    form = TimingForm(request.POST)
    buildings = drills.recordable_buildings(drill, request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("participation:drill_field", pk=drill.pk)
    building = buildings.filter(pk=form.cleaned_data["building"]).first()
    if building is None:
        raise PermissionDenied
    now = timezone.now()
    event = form.cleaned_data["event"]
    values = {"people_counted": form.cleaned_data.get("people_counted")}
    if event == "start":
        values["started_at"] = now
    elif event == "all_out":
        values["all_out_at"] = now
    elif event == "arrived":
        values["arrived_at"] = now
    else:
        values["seconds"] = int(form.cleaned_data["minutes"] * Decimal(60))
    try:
        drills.record_timing(drill, request.user, building=building, **values)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("%(building)s: time recorded.") % {"building": building})
    return redirect(f"{drill_field_url(drill)}#building-{building.pk}")


def drill_field_url(drill: Drill) -> str:
    from django.urls import reverse

    return reverse("participation:drill_field", args=[drill.pk])


@login_required
@require_POST
def finish(request, pk: int):
    drill = DrillViews().get_object(request, pk, "change")
    form = FinishDrillForm(request.POST)
    if form.is_valid():
        try:
            drills.finish_drill(drill, request.user,
                                lessons_learned=form.cleaned_data["lessons_learned"],
                                actions=form.action_list())
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Drill finished."))
            return redirect("participation:drill_report", pk=drill.pk)
    else:
        messages.error(request, _("Write down what the drill taught."))
    return redirect(drill.get_absolute_url())


@login_required
@require_POST
def cancel(request, pk: int):
    drill = DrillViews().get_object(request, pk, "change")
    try:
        drills.cancel_drill(drill, request.user)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("Drill cancelled."))
    return redirect(drill.get_absolute_url())


@login_required
def report(request, pk: int):
    """The printable report: scope, participation rate, times per building, lessons, actions."""
    drill = get_object_or_404(Drill.objects.visible_to(request.user, "view")
                              .select_related("community", "grid", "building", "plan"), pk=pk)
    return render(request, "participation/drill_report.html", {
        "drill": drill, "rate": drills.participation_rate(drill),
        "times": drills.evacuation_times(drill), "can_change": can(request.user, "change", drill)})
