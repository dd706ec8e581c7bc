"""Report pages: the phone form (随手拍) and "My reports" for residents; the staff registry with
a triage form on each new report."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.scope import can
from resilience.core.views.files import serve_file
from resilience.core.views.forms import add_errors, flash_errors
from resilience.core.views.generic import ObjectViews
from resilience.participation import services
from resilience.participation.filtersets import ReportFilterSet
from resilience.participation.forms import ReportForm, TriageForm
from resilience.participation.models import Report
from resilience.participation.vocab import ReportStatus


class ReportViews(ObjectViews):
    model = Report
    filterset = ReportFilterSet
    columns = ("description", "kind", "status", "outcome", "building", "reporter", "created")
    select_related = ("community", "building", "reporter")
    filter_fields = ("status", "kind", "outcome", "building", "community")
    detail_groups = (
        (_l("report"), ("kind", "status", "description", "reporter", "created")),
        (_l("where"), ("community", "grid", "building", "latitude", "longitude")),
        (_l("triage"), ("outcome", "triage_note", "hazard", "incident", "triaged_by",
                        "triaged_at")),
    )
    detail_template = "participation/report_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("reports/new/", report_new, name="report_new"),
            path("reports/mine/", my_reports, name="report_mine"),
            *super().urls(),
            path("reports/<int:pk>/triage/", triage, name="report_triage"),
            path("reports/<int:pk>/photo/", report_photo, name="report_photo"),
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        if obj.status == ReportStatus.NEW and can(request.user, "change", obj):
            context["triage_form"] = TriageForm()
        return context


@login_required
def report_new(request):
    community = services.community_of(request.user)
    if community is None:
        raise PermissionDenied(_("Only people with a role in a community may report."))
    form = ReportForm(request.POST or None, request.FILES or None, community=community)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.file_report(request.user, kind=data["kind"], description=data["description"],
                                 photo=data["photo"], latitude=data["latitude"],
                                 longitude=data["longitude"], building=data["building"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your report was sent to the community staff."))
            return redirect("participation:report_mine")
    status = 400 if form.is_bound else 200
    return render(request, "participation/report_new.html", {"form": form}, status=status)


@login_required
def my_reports(request):
    reports = (Report.objects.visible_to(request.user, "view").filter(reporter=request.user)
               .select_related("building")[:50])
    return render(request, "participation/report_mine.html", {"reports": reports})


@login_required
@require_POST
def triage(request, pk: int):
    report = ReportViews().get_object(request, pk, "change")
    form = TriageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.triage(report, request.user, outcome=data["outcome"], note=data["note"],
                            scenario=data["scenario"] or "other")
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Report triaged."))
    else:
        messages.error(request, _("Choose an outcome."))
    return redirect(report.get_absolute_url())


@login_required
def report_photo(request, pk: int):
    return serve_file(ReportViews().get_object(request, pk).photo)
