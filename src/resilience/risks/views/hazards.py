"""Hidden hazards: the list with overdue ones highlighted, a summary by grid and organisation,
and the detail page where each step of the loop is a small form calling ``risks.hazards``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.risks import forms
from resilience.risks import hazards as loop
from resilience.risks.filtersets_inspections import HazardFilterSet
from resilience.risks.models import Hazard, HazardEvent
from resilience.core.views.forms import add_errors
from resilience.risks.vocab import HazardStatus

A = HazardEvent.Action
OVERDUE = _l("overdue")


def is_overdue(hazard: Hazard, today=None) -> bool:
    today = today or timezone.localdate()
    return (hazard.status in loop.OPEN_STATUSES and hazard.deadline is not None
            and hazard.deadline < today)


def status_cell(hazard: Hazard):
    """The status as a badge; an overdue hazard also gets a red flag (its row is highlighted)."""
    badge = format_html('<span class="status-badge status-{}">{}</span>', hazard.status,
                        hazard.get_status_display())
    if is_overdue(hazard):
        return format_html('{}<span class="overdue-flag">{}</span>', badge, OVERDUE)
    return badge


class HazardViews(ObjectViews):
    model = Hazard
    filterset = HazardFilterSet
    form = forms.HazardForm
    columns = ("title", Column("status", _l("status"), value=status_cell, order="status"),
               "severity", "deadline", "grid", "responsible", "assignee", "found_at")
    select_related = ("grid", "responsible", "assignee", "community")
    filter_fields = ("status", "severity", "overdue", "open", "source", "grid", "responsible",
                     "community", "escalation_level")
    detail_groups = (
        (_l("hazard"), ("title", Column("status", _l("status"), value=status_cell), "severity",
                        "source", "description", "deadline", "responsible", "assignee",
                        "escalation_level")),
        (_l("where"), ("community", "grid", "building", "facility", "risk", "latitude",
                       "longitude")),
        (_l("record"), ("found_by", "found_at", "rectified_at", "verified_by", "verified_at")),
    )
    list_template = "risks/hazard_list.html"
    detail_template = "risks/hazard_detail.html"

    @classmethod
    def urls(cls) -> list:
        views = cls()
        return [
            *(p for p in super().urls() if p.name != "hazard_add"),
            path("hazards/add/", ReportHazardView.as_view(views=views), name="hazard_add"),
            path("hazards/summary/", summary_view, name="hazard_summary"),
            path("hazards/<int:pk>/<slug:action>/", act, name="hazard_act"),
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["events"] = obj.events.select_related("user")
        context["overdue"] = is_overdue(obj)
        context["actions"] = action_forms(obj, request.user)
        context["inspection"] = obj.answer.inspection if obj.answer_id else None
        return context


ACTIONS = {
    A.ASSIGN: (_l("Assign"), forms.AssignForm),
    A.START: (_l("Start rectifying"), forms.NoteForm),
    A.RECTIFY: (_l("Mark rectified"), forms.RectifyForm),
    A.VERIFY: (_l("Verify"), forms.NoteForm),
    A.REOPEN: (_l("Reopen"), forms.RequiredNoteForm),
    A.COMMENT: (_l("Comment"), forms.RequiredNoteForm),
}
VERIFY_ACTIONS = (A.VERIFY, A.REOPEN)


def allowed_actions(hazard: Hazard, user) -> list[str]:
    """The steps ``user`` may take on the hazard now: the state machine and their rights agree."""
    may_change = can(user, "change", hazard)
    may_verify = can(user, "verify", hazard)
    allowed = []
    for action, moves in loop.TRANSITIONS.items():
        if hazard.status not in moves:
            continue
        if (may_verify if action in VERIFY_ACTIONS else may_change):
            allowed.append(action)
    allowed.append(A.COMMENT)  # whoever sees the hazard may add a note to its timeline
    return allowed


def _form(action: str, hazard: Hazard, user, data=None, files=None):
    form_class = ACTIONS[action][1]
    kwargs = {"prefix": action}
    if form_class is forms.AssignForm:
        kwargs.update(hazard=hazard, user=user)
    return form_class(data, files, **kwargs)


def action_forms(hazard: Hazard, user, bound=None) -> list[dict]:
    """One small form per allowed step; ``bound`` is the one just posted, with its errors."""
    result = []
    for action in allowed_actions(hazard, user):
        form = bound if bound is not None and bound.prefix == action else _form(action, hazard, user)
        result.append({"action": action, "label": ACTIONS[action][0], "form": form,
                       "url": reverse("risks:hazard_act", args=[hazard.pk, action]),
                       "multipart": action == A.RECTIFY, "open": form.is_bound})
    return result


@login_required
@require_POST
def act(request, pk: int, action: str):
    """One step of the rectification loop; on an error the page shows it and nothing is written."""
    if action not in ACTIONS:
        raise Http404
    views = HazardViews()
    hazard = views.get_object(request, pk)
    form = _form(action, hazard, request.user, request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == A.ASSIGN:
                loop.assign(hazard, request.user, responsible=data["responsible"],
                            assignee=data["assignee"], deadline=data["deadline"], note=data["note"])
            elif action == A.START:
                loop.start(hazard, request.user, note=data["note"])
            elif action == A.RECTIFY:
                loop.rectify(hazard, request.user, note=data["note"], photo=data["photo"])
            elif action == A.VERIFY:
                loop.verify(hazard, request.user, note=data["note"])
            elif action == A.REOPEN:
                loop.reopen(hazard, request.user, note=data["note"])
            else:
                loop.comment(hazard, request.user, note=data["note"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if action == A.COMMENT:
                messages.success(request, _("Comment added."))
            else:
                messages.success(request, _("The hazard is now “%(status)s”.")
                                 % {"status": hazard.get_status_display()})
            return redirect(hazard.get_absolute_url())
    hazard.refresh_from_db()
    context = views.detail_context(request, hazard)
    context["actions"] = action_forms(hazard, request.user, bound=form)
    if not any(a["form"] is form for a in context["actions"]):
        # The step is no longer offered (someone else moved the hazard): say why.
        messages.error(request, " ".join(m for field in form.errors.values() for m in field)
                       or _("This step is not possible now."))
    return render(request, views.detail_template, context, status=400)


class ReportHazardView(LoginRequiredMixin, View):
    """A staff finding or a grid worker's report: a new hazard, status found."""

    views: ObjectViews = None

    def get(self, request):
        if not can_any(request.user, "add", Hazard):
            raise PermissionDenied
        initial = {k: v for k, v in request.GET.items() if k in forms.ReportHazardForm.base_fields}
        form = forms.ReportHazardForm(initial=initial, user=request.user)
        return self._render(request, form)

    def post(self, request):
        if not can_any(request.user, "add", Hazard):
            raise PermissionDenied
        form = forms.ReportHazardForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                hazard = loop.report(
                    request.user, community=data["community"], title=data["title"],
                    severity=data["severity"], description=data["description"],
                    grid=data.get("grid"), building=data.get("building"),
                    facility=data.get("facility"), risk=data.get("risk"),
                    latitude=data.get("latitude"), longitude=data.get("longitude"),
                    photo=data.get("photo"))
            except ValidationError as exc:
                add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not report a hazard here."))
            else:
                messages.success(request, _("Reported %(object)s.") % {"object": hazard})
                return redirect(hazard.get_absolute_url())
        return self._render(request, form, status=400)

    def _render(self, request, form, status: int = 200):
        return render(request, "risks/hazard_report.html", {
            "form": form, "list_url": self.views.url("list")}, status=status)


def summary(queryset, today=None) -> dict:
    """Open and overdue hazards of ``queryset`` per grid and per responsible organisation."""
    today = today or timezone.localdate()
    counts = {
        "open": Count("pk", filter=~Q(status=HazardStatus.VERIFIED)),
        "overdue": Count("pk", filter=Q(status__in=loop.OPEN_STATUSES, deadline__lt=today)),
    }
    base = queryset.order_by()

    def rows(key: str, label: str):
        result = (base.values(key, label).annotate(**counts).filter(open__gt=0)
                  .order_by("-overdue", "-open", label))
        return [{"id": r[key], "label": r[label], "open": r["open"], "overdue": r["overdue"]}
                for r in result[:20]]

    totals = base.aggregate(**counts)
    return {"by_grid": rows("grid", "grid__name"),
            "by_organisation": rows("responsible", "responsible__name"),
            "open": totals["open"], "overdue": totals["overdue"]}


@login_required
def summary_view(request):
    """Open and overdue hazards by grid and by organisation (a page, or a panel of the list)."""
    if not can_any(request.user, "view", Hazard):
        raise PermissionDenied
    context = summary(Hazard.objects.visible_to(request.user, "view"))
    context["list_url"] = reverse("risks:hazard_list")
    template = "risks/_hazard_summary.html" if request.htmx else "risks/hazard_summary.html"
    return render(request, template, context)
