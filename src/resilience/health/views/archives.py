"""Archive pages: the list, the archive page (every opening is written to the access log), its
parts added and removed in place, FHIR export and import."""
from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.models import AccessLogEntry
from resilience.core.scope import can, can_any
from resilience.core.api.errors import error_detail
from resilience.core.views.forms import flash_errors
from resilience.core.views.generic import ObjectViews, client_ip
from resilience.core.views.tables import Column
from resilience.health import fhir
from resilience.health.filtersets import HealthArchiveFilterSet
from resilience.health.forms import (
    PART_FORMS, HealthArchiveForm, ImportForm, RecordFollowUpForm, ScheduleForm,
    StartCarePlanForm,
)
from resilience.health.models import CarePlan, FollowUp, HealthArchive
from resilience.health.services import archives
from resilience.health.services.archives import PART_MODELS


READS_SHOWN = 10  # the archive page lists its latest openings; the full log stays in the database


def clear(name: str, label) -> Column:
    """A column of an encrypted field shown in clear: only on pages whose reading is logged or
    that only health workers reach."""
    return Column(name, label, value=lambda obj: getattr(obj, name) or "—")


class HealthArchiveViews(ObjectViews):
    model = HealthArchive
    filterset = HealthArchiveFilterSet
    form = HealthArchiveForm
    slug = "archives"
    # The list says who has an archive and when they are next seen, never what is in it:
    # opening one is the logged read.
    columns = ("resident", Column("next_followup", _l("next follow-up"),
                                  value=lambda a: a.next_followup or "—", order="next_followup"),
               "community", "updated")
    select_related = ("resident", "community")
    filter_fields = ("community", "tag", "device")
    detail_groups = (
        (_l("resident"), ("resident", "community", "mobility",
                          Column("care_needs", _l("care needs"),
                                 value=lambda a: ", ".join(a.care_need_labels()) or "—"),
                          clear("allergies", _l("allergies")),
                          clear("family_doctor", _l("family doctor")), "clinic",
                          clear("notes", _l("notes")))),
    )
    detail_template = "health/archive_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("archives/import/", import_fhir, name="archive_import"),
            *super().urls(),
            path("archives/<int:pk>/fhir/", export_fhir, name="archive_fhir"),
            path("archives/<int:pk>/<str:kind>/add/", add_part, name="archive_part_add"),
            path("archives/<int:pk>/<str:kind>/<int:part>/remove/", remove_part,
                 name="archive_part_remove"),
            path("archives/<int:pk>/consent/<int:part>/withdraw/", withdraw_consent,
                 name="archive_consent_withdraw"),
            path("archives/<int:pk>/careplan/", start_care_plan, name="archive_careplan"),
        ]

    def get_queryset(self, request, action: str = "view"):
        soonest = (FollowUp.objects.filter(resident=OuterRef("resident"), done_at__isnull=True)
                   .order_by("scheduled_on").values("scheduled_on")[:1])
        return super().get_queryset(request, action).annotate(next_followup=Subquery(soonest))

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        archives.read_archive(request.user, obj, channel="web", ip=client_ip(request))
        context = super().detail_context(request, obj, revealed)
        may_change = can(request.user, "change", obj)
        context.update({
            "may_change": may_change,
            "conditions": obj.conditions.all(),
            "medications": obj.medications.all(),
            "devices": obj.devices.all(),
            "consents": obj.consents.all(),
            "tags": obj.resident.tag_labels(),
            "care_plans": CarePlan.objects.visible_to(request.user, "view").filter(
                resident=obj.resident_id),
            "followups": FollowUp.objects.visible_to(request.user, "view").filter(
                resident=obj.resident_id).order_by("-scheduled_on")[:10],
            "fhir_consent": obj.current_consent("fhir_export") is not None,
            "today": timezone.localdate(),
            "reads": AccessLogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(HealthArchive), object_id=obj.pk,
            ).select_related("user")[:READS_SHOWN],
            "next_followup": FollowUp.objects.visible_to(request.user, "view").filter(
                resident=obj.resident_id, done_at__isnull=True).select_related(
                    "assignee", "care_plan").order_by("scheduled_on", "id").first(),
        })
        next_followup = context["next_followup"]
        if next_followup is not None and can(request.user, "change", next_followup):
            context["record_form"] = RecordFollowUpForm()
        if may_change:
            context["part_forms"] = {kind: form() for kind, form in PART_FORMS.items()}
            context["careplan_form"] = StartCarePlanForm()
            context["schedule_form"] = ScheduleForm()
        return context


def _archive(request, pk: int, action: str = "change") -> HealthArchive:
    return HealthArchiveViews().get_object(request, pk, action)


@login_required
@require_POST
def add_part(request, pk: int, kind: str):
    archive = _archive(request, pk)
    if kind not in PART_FORMS:
        raise PermissionDenied
    form = PART_FORMS[kind](request.POST)
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if kind == "consent":
            fields["recorded_by"] = request.user
        try:
            archives.add_part(request.user, archive, PART_MODELS[kind], **fields)
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Saved."))
    else:
        for name, texts in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for text in texts:
                messages.error(request, f"{label}: {text}" if label else text)
    return redirect(archive.get_absolute_url())


@login_required
@require_POST
def remove_part(request, pk: int, kind: str, part: int):
    archive = _archive(request, pk)
    if kind not in PART_MODELS:
        raise PermissionDenied
    item = get_object_or_404(PART_MODELS[kind].objects.filter(archive=archive), pk=part)
    archives.remove_part(request.user, item)
    messages.success(request, _("Removed."))
    return redirect(archive.get_absolute_url())


@login_required
@require_POST
def withdraw_consent(request, pk: int, part: int):
    archive = _archive(request, pk)
    consent = get_object_or_404(archive.consents, pk=part)
    try:
        archives.withdraw_consent(request.user, consent)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("Consent withdrawn."))
    return redirect(archive.get_absolute_url())


@login_required
@require_POST
def start_care_plan(request, pk: int):
    from resilience.health.services import care

    archive = _archive(request, pk)
    form = StartCarePlanForm(request.POST)
    if form.is_valid():
        try:
            care.start_care_plan(request.user, archive.resident, **form.cleaned_data)
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Care plan started; the first follow-up is scheduled."))
    else:
        messages.error(request, _("Check the care plan's kind, interval and date."))
    return redirect(archive.get_absolute_url())


@login_required
def export_fhir(request, pk: int):
    """Download the archive as a FHIR Bundle (needs a current FHIR-export consent)."""
    archive = _archive(request, pk, "view")
    try:
        bundle = fhir.export_archive(request.user, archive, ip=client_ip(request))
    except fhir.ConsentMissing as exc:
        messages.error(request, str(exc))
        return redirect(archive.get_absolute_url())
    response = HttpResponse(json.dumps(bundle, ensure_ascii=False, indent=2),
                            content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="archive-{archive.pk}.fhir.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def import_fhir(request):
    """Upload a FHIR Bundle into a resident's archive; all of it or nothing."""
    if not can_any(request.user, "add", HealthArchive):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user,
                      initial={"resident": request.GET.get("resident")})
    if request.method == "POST" and form.is_valid():
        try:
            archive = fhir.import_bundle(request.user, form.cleaned_data["resident"],
                                         form.cleaned_data["file"].read())
        except ValidationError as exc:
            for where, texts in error_detail(exc).items():
                for text in texts:
                    form.add_error(None, f"{where}: {text}")
        except PermissionDenied as exc:
            form.add_error("resident", str(exc) or _("You may not change this archive."))
        else:
            messages.success(request, _("Imported."))
            return redirect(archive.get_absolute_url())
    return render(request, "health/archive_import.html", {"form": form},
                  status=400 if form.is_bound and form.errors else 200)
