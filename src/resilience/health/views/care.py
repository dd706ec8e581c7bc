"""Care pages: the health overview, care plans, follow-ups (record one, and the next is
scheduled), the overdue list per health worker and the health worker's phone list."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.health.filtersets import CarePlanFilterSet, FollowUpFilterSet
from resilience.health.forms import CarePlanForm, RecordFollowUpForm
from resilience.health.models import CarePlan, FollowUp, HealthArchive, Referral, Screening
from resilience.health.services import care, screening
from resilience.core.views.forms import flash_errors
from resilience.health.views.archives import clear


class CarePlanViews(ObjectViews):
    model = CarePlan
    filterset = CarePlanFilterSet
    form = CarePlanForm
    slug = "careplans"
    columns = ("resident", "kind", "interval_days", "assignee", "active", "started_on")
    select_related = ("resident", "assignee")
    filter_fields = ("kind", "active", "assignee")


def _due(followup: FollowUp):
    return _("overdue") if followup.is_overdue() else ""


class FollowUpViews(ObjectViews):
    model = FollowUp
    filterset = FollowUpFilterSet
    slug = "followups"
    columns = ("resident", "kind", "scheduled_on", Column("overdue", _l("overdue"), value=_due),
               "assignee", "done_at", "next_on")
    select_related = ("resident", "assignee", "care_plan")
    filter_fields = ("done", "kind", "assignee", "scheduled_before")
    detail_groups = ((_l("follow-up"), ("resident", "kind", "scheduled_on", "assignee",
                                         "care_plan", "referral")),
                     (_l("outcome"), ("done_at", clear("outcome", _l("outcome")), "next_on",
                                     "recorded_by")))
    detail_template = "health/followup_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [*super().urls(),
                path("followups/<int:pk>/record/", record_followup, name="followup_record"),
                path("followups/mine/", my_followups, name="my_followups"),
                path("followups/overdue/", overdue, name="overdue")]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        if obj.done_at is None and can(request.user, "change", obj):
            context["record_form"] = RecordFollowUpForm()
        return context


def _health_worker(request) -> None:
    if not can_any(request.user, "change", FollowUp):
        raise PermissionDenied


@login_required
def home(request):
    """The health worker's overview: today's work, overdue by worker, closed incidents."""
    if not can_any(request.user, "view", Screening):  # health workers and admins
        raise PermissionDenied
    today = timezone.localdate()
    incidents = list(screening.recent_closed_incidents(request.user)[:10])
    return render(request, "health/home.html", {
        "today": today,
        "mine": care.mine(request.user, today, days_ahead=0).count(),
        "overdue_total": care.overdue(request.user, today).count(),
        "by_worker": care.overdue_by_worker(request.user, today),
        "open_referrals": Referral.objects.visible_to(request.user, "view").exclude(
            status="closed").count(),
        "incidents": incidents,
        "archives": HealthArchive.objects.visible_to(request.user, "view").count(),
    })


@login_required
def my_followups(request):
    """Phone list: my open follow-ups (overdue, today, the next 7 days) with a record form."""
    _health_worker(request)
    today = timezone.localdate()
    followups = list(care.mine(request.user, today)[:100])
    return render(request, "health/my_followups.html", {
        "followups": followups, "today": today, "form": RecordFollowUpForm()})


@login_required
def overdue(request):
    """Overdue follow-ups per health worker, and the list (filter by ``?assignee=``)."""
    _health_worker(request)
    today = timezone.localdate()
    rows = care.overdue(request.user, today)
    assignee = request.GET.get("assignee")
    if assignee and assignee.isdigit():
        rows = rows.filter(assignee_id=int(assignee))
    return render(request, "health/overdue.html", {
        "by_worker": care.overdue_by_worker(request.user, today), "rows": rows[:200],
        "today": today})


@login_required
@require_POST
def record_followup(request, pk: int):
    followup = FollowUpViews().get_object(request, pk, "change")
    form = RecordFollowUpForm(request.POST)
    back = request.POST.get("next") or followup.get_absolute_url()
    if not back.startswith("/"):
        back = followup.get_absolute_url()
    if form.is_valid():
        try:
            _done, following = care.record(request.user, followup, **form.cleaned_data)
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            if following is not None:
                messages.success(request, _("Recorded. Next follow-up on %(date)s.") % {
                    "date": date_format(following.scheduled_on)})
            else:
                messages.success(request, _("Recorded."))
    else:
        messages.error(request, _("Write the outcome."))
    return redirect(back)
