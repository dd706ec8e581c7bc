"""Post-crisis pages: screening rounds (started from a closed incident), the PHQ-9 / GAD-7
form of one resident, referrals tracked to closure."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.scope import can
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.health.filtersets import ReferralFilterSet, ScreeningRoundFilterSet
from resilience.health.forms import CloseReferralForm, ReferForm, ScreeningForm
from resilience.health.models import Referral, Screening, ScreeningRound
from resilience.health.services import screening as service
from resilience.core.views.forms import flash_errors
from resilience.health.views.archives import clear
from resilience.health.vocab import ReferralStatus


ROUND_PAGE = 50
SHOWS = (("", _l("all")), ("pending", _l("not yet screened")), ("screened", _l("screened")),
         ("urgent", _l("urgent")))


def _progress(round_: ScreeningRound):
    total = round_.screenings.count()
    done = round_.screenings.filter(screened_at__isnull=False).count()
    return _("%(done)d of %(total)d screened") % {"done": done, "total": total}


class ScreeningRoundViews(ObjectViews):
    model = ScreeningRound
    filterset = ScreeningRoundFilterSet
    slug = "rounds"
    columns = ("incident", Column("progress", _l("progress"), value=_progress), "started_by",
               "created")
    select_related = ("incident", "started_by")
    filter_fields = ("incident",)
    detail_template = "health/round_detail.html"
    detail_groups = ((_l("screening round"), ("incident", Column(
        "started_by", _l("started by"),
        value=lambda r: r.started_by or _("automatically, when the incident closed")), "created",
                                              Column("progress", _l("progress"),
                                                     value=_progress))),)

    @classmethod
    def urls(cls) -> list:
        return [*super().urls(),
                path("rounds/start/<int:incident>/", start_round, name="round_start")]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        from resilience.response.services.rollcall import labels_from_tokens

        context = super().detail_context(request, obj, revealed)
        rows = obj.screenings.select_related("resident").order_by("priority", "resident__name",
                                                                  "id")
        show = request.GET.get("show", "")
        if show == "pending":
            rows = rows.filter(screened_at__isnull=True)
        elif show == "screened":
            rows = rows.filter(screened_at__isnull=False)
        elif show == "urgent":
            rows = rows.filter(urgent=True)
        else:
            show = ""
        page = Paginator(rows, ROUND_PAGE).get_page(request.GET.get("page"))
        for item in page.object_list:
            # The reason they come first, from the keyed tokens: health tags read "health need".
            item.needs = labels_from_tokens(item.resident.tag_index)
        context.update({"screenings": page.object_list, "page": page, "show": show,
                        "shows": SHOWS})
        return context


class ScreeningViews(ObjectViews):
    model = Screening
    slug = "screenings"
    columns = ("resident", "priority", "phq9_total", "gad7_total", "urgent", "screened_at")
    select_related = ("resident", "round__incident")
    detail_template = "health/screening_detail.html"
    detail_groups = ((_l("screening"), ("resident", "round", "priority", "screened_at",
                                        "screened_by")),
                     (_l("result"), ("phq9_total", Column("phq9", _l("PHQ-9 severity"),
                                                          value=lambda s: s.phq9_label()),
                                     "gad7_total", Column("gad7", _l("GAD-7 severity"),
                                                          value=lambda s: s.gad7_label()),
                                     "urgent")))

    @classmethod
    def urls(cls) -> list:
        return [*super().urls(),
                path("screenings/<int:pk>/answers/", record, name="screening_record"),
                path("screenings/<int:pk>/refer/", refer, name="screening_refer")]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        may_change = can(request.user, "change", obj)
        context["form"] = ScreeningForm() if may_change else None
        context["refer_form"] = ReferForm() if may_change else None
        context["needs_referral"] = obj.screened_at is not None and service.needs_referral(obj)
        context["referrals"] = obj.referrals.all()
        return context


class ReferralViews(ObjectViews):
    model = Referral
    filterset = ReferralFilterSet
    slug = "referrals"
    columns = ("resident", "target", "status", "created", "accepted_at", "closed_at")
    select_related = ("resident",)
    filter_fields = ("status", "target")
    detail_template = "health/referral_detail.html"
    detail_groups = ((_l("referral"), ("resident", "target", "status", clear("reason", _l("reason")),
                                       "screening",
                                       "created_by", "created")),
                     (_l("progress"), ("accepted_at", "closed_at",
                                       clear("outcome", _l("outcome")))))

    @classmethod
    def urls(cls) -> list:
        return [*super().urls(),
                path("referrals/<int:pk>/advance/", advance, name="referral_advance")]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["may_change"] = obj.status != ReferralStatus.CLOSED and can(
            request.user, "change", obj)
        context["close_form"] = CloseReferralForm()
        context["followups"] = obj.followups.all()
        return context


@login_required
@require_POST
def start_round(request, incident: int):
    from resilience.response.models import Incident

    found = get_object_or_404(Incident.objects.visible_to(request.user, "view"), pk=incident)
    try:
        round_ = service.start_round(request.user, found)
    except ValidationError as exc:
        flash_errors(request, exc)
        existing = ScreeningRound.objects.filter(incident=found).first()
        return redirect(existing.get_absolute_url() if existing else "health:home")
    messages.success(request, _("Screening round started."))
    return redirect(round_.get_absolute_url())


@login_required
@require_POST
def record(request, pk: int):
    item = ScreeningViews().get_object(request, pk, "change")
    form = ScreeningForm(request.POST)
    if form.is_valid():
        try:
            service.record_screening(request.user, item, phq9=form.answers("phq9"),
                                     gad7=form.answers("gad7"))
        except ValidationError as exc:
            for name, texts in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, texts)
        else:
            messages.success(request, _("Screening recorded."))
            return redirect(item.get_absolute_url())
    context = ScreeningViews().detail_context(request, item)
    context["form"] = form
    return render(request, "health/screening_detail.html", context, status=400)


@login_required
@require_POST
def refer(request, pk: int):
    item = ScreeningViews().get_object(request, pk, "change")
    form = ReferForm(request.POST)
    if form.is_valid():
        try:
            referral = service.refer(request.user, item.resident, screening=item,
                                     **form.cleaned_data)
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Referral opened; a follow-up call is scheduled."))
            return redirect(referral.get_absolute_url())
    return redirect(item.get_absolute_url())


@login_required
@require_POST
def advance(request, pk: int):
    referral = ReferralViews().get_object(request, pk, "change")
    status = request.POST.get("status", "")
    try:
        service.advance_referral(request.user, referral, status, request.POST.get("outcome", ""))
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("Referral updated."))
    return redirect(referral.get_absolute_url())
