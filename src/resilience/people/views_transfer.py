"""Import (upload, progress, row-level report) and export (download) pages of the registry."""
from __future__ import annotations

import csv
import io

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from resilience.core.scope import can_any
from resilience.people.models import ImportJob
from resilience.people.transfer import exporting
from resilience.people.transfer.importing import IMPORTERS, KINDS, importable_communities, kind_label
from resilience.people.transfer.jobs import start_job
from resilience.people.transfer.report import Report
from resilience.people.transfer.tables import EXPORT_KINDS
from resilience.places.models import Community

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
REPORT_ROWS_SHOWN = 500
CRS_LABELS = (
    ("wgs84", _l("WGS-84 (GPS, OpenStreetMap)")),
    ("gcj02", _l("GCJ-02 (Amap, Tencent, Google China)")),
    ("bd09", _l("BD-09 (Baidu)")),
)
LIST_URLS = {
    "residents": "people:resident_list", "volunteers": "people:volunteer_list",
    "buildings": "places:building_list", "facilities": "places:facility_list",
}
EXPORT_LABELS = {
    "residents": _l("residents"), "households": _l("households"), "buildings": _l("buildings"),
    "facilities": _l("facilities"), "volunteers": _l("volunteers"), "grids": _l("grids"),
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_l("What the file holds"))
    community = forms.ModelChoiceField(label=_l("Community"), queryset=Community.objects.none())
    crs = forms.ChoiceField(label=_l("Coordinate system"), choices=CRS_LABELS, initial="wgs84",
                            help_text=_l("Of the latitude and longitude columns; they are stored "
                                         "in WGS-84."))
    file = forms.FileField(label=_l("File"),
                           help_text=_l("CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX; Chinese "
                                        "or English column headers."))
    dry_run = forms.BooleanField(label=_l("Only check the file, import nothing"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["kind"].choices = [(k, kind_label(k).capitalize()) for k in KINDS
                                       if importable_communities(user, k).exists()]
        communities = self.fields["community"].queryset = importable_communities(user)
        if not self.is_bound and len(only := list(communities[:2])) == 1:
            self.initial["community"] = only[0].pk
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.xlsx"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "RESILIENCE_IMPORT_MAX_BYTES", MAX_UPLOAD_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB: split it.")
                                        % {"mb": limit // (1024 * 1024)})
        return upload

    def clean(self):
        data = super().clean()
        kind, community = data.get("kind"), data.get("community")
        if kind and community and not importable_communities(self.user, kind).filter(pk=community.pk).exists():
            self.add_error("community", _("You may not import %(kind)s into this community.")
                           % {"kind": kind_label(kind)})
        return data


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_l("Records"))
    format = forms.ChoiceField(label=_l("Format"), choices=(
        ("xlsx", "XLSX (Excel)"), ("csv", _l("CSV (UTF-8 with BOM)")), ("geojson", "GeoJSON")))
    community = forms.ModelChoiceField(label=_l("Community"), queryset=Community.objects.none(),
                                       required=False, empty_label=_l("All I may see"))
    reveal = forms.BooleanField(label=_l("Include personal data in clear"), required=False,
                                help_text=_l("ID and phone numbers and health details; every record "
                                             "is written to the access log."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, str(EXPORT_LABELS[k]).capitalize()) for k in EXPORT_KINDS
                                       if can_any(user, "view", EXPORT_KINDS[k].model)]
        self.fields["community"].queryset = Community.objects.visible_to(user, "view")


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    """The upload form; a valid upload becomes a job that runs in the background."""
    if not importable_communities(request.user).exists():
        raise PermissionDenied(_("You may not import records into any community."))
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob.objects.create(
            kind=form.cleaned_data["kind"], community=form.cleaned_data["community"],
            user=request.user, file_name=upload.name[:200], crs=form.cleaned_data["crs"],
            dry_run=form.cleaned_data["dry_run"])
        start_job(job, upload.read(), language=get_language())
        return redirect(job.get_absolute_url())
    jobs = ImportJob.objects.for_user(request.user).select_related("community")[:10]
    status = 400 if form.errors else 200
    return render(request, "people/import.html", {
        "form": form, "jobs": jobs, "formats": _column_help(),
    }, status=status)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress, then its report; HTMX polls the status fragment every second."""
    job = get_object_or_404(ImportJob.objects.for_user(request.user).select_related("community"), pk=pk)
    context = _job_context(job)
    if getattr(request, "htmx", False):
        return render(request, "people/import_job_status.html", context)
    return render(request, "people/import_job.html", context)


@login_required
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole row-level report of a job as CSV, for long reports."""
    job = get_object_or_404(ImportJob.objects.for_user(request.user), pk=pk)
    report = Report.from_dict(job.report or {"kind": job.kind})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("row"), _("column"), _("value"), _("reason")])
    for p in report.problems:
        writer.writerow(["" if p.row is None else p.row, p.column, p.value, p.reason])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The export form; with ``kind`` and ``format`` in the query, the file itself."""
    form = ExportForm(request.GET if "kind" in request.GET else None, user=request.user)
    if not form.fields["kind"].choices:
        raise PermissionDenied(_("There is nothing you may export."))
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            try:
                table = exporting.build_table(data["kind"], user=request.user,
                                              community=data["community"], reveal=data["reveal"])
            except exporting.RevealDenied as exc:
                form.add_error("reveal", str(exc))
                status = 403
            else:
                buffer = io.BytesIO()
                exporting.write_table(table, data["format"], buffer)
                response = HttpResponse(buffer.getvalue(),
                                        content_type=exporting.CONTENT_TYPES[data["format"]])
                name = exporting.file_name(data["kind"], data["format"], data["community"])
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                response["Cache-Control"] = "no-store"
                return response
        else:
            status = 400
    return render(request, "people/export.html", {"form": form}, status=status)


def _job_context(job: ImportJob) -> dict:
    report = Report.from_dict(job.report) if job.report else None
    list_url = ""
    if report is not None and report.ok and not report.dry_run and job.kind in LIST_URLS:
        try:
            list_url = f"{reverse(LIST_URLS[job.kind])}?community={job.community_id}"
        except NoReverseMatch:
            list_url = ""
    problems = report.problems[:REPORT_ROWS_SHOWN] if report else []
    return {
        "job": job, "report": report, "problems": problems,
        "more_problems": len(report.problems) - len(problems) if report else 0,
        "kind_label": kind_label(job.kind), "list_url": list_url,
    }


def _column_help() -> list[dict]:
    """The columns each kind of file may have, for the help on the upload page."""
    return [
        {"kind": kind_label(kind), "columns": [
            {"label": c.label, "aliases": "、".join(a for a in c.aliases if not a.isascii()),
             "required": c.required}
            for c in IMPORTERS[kind].columns]}
        for kind in KINDS
    ]
