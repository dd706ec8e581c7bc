"""Consultation pages: the staff registry (with open now / close / publish and a results panel)
and the residents' phone pages — the open consultations and the ballot."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.views.forms import flash_errors
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.participation import consultations as services
from resilience.participation.filtersets_consultations import ConsultationFilterSet
from resilience.participation.forms_consultations import BallotForm, CloseForm, ConsultationForm
from resilience.participation.models import Consultation
from resilience.participation.vocab_consultations import ConsultationState


def state_cell(consultation: Consultation):
    return format_html('<span class="status-badge status-{}">{}</span>', consultation.state(),
                       consultation.get_state_display())


def turnout_cell(consultation: Consultation):
    ballots = consultation.ballots.count()
    if consultation.eligible_count is None:
        return str(ballots)
    return _("%(ballots)d of %(eligible)d") % {"ballots": ballots,
                                                "eligible": consultation.eligible_count}


class ConsultationViews(ObjectViews):
    model = Consultation
    filterset = ConsultationFilterSet
    form = ConsultationForm
    columns = ("title", Column("state", _l("state"), value=state_cell), "voter_unit", "opens_at",
               "closes_at", "grid", "building",
               Column("turnout", _l("ballots cast"), value=turnout_cell), "published")
    select_related = ("community", "grid", "building")
    filter_fields = ("state", "voter_unit", "published", "grid", "community")
    detail_groups = (
        (_l("consultation"), ("title", Column("state", _l("state"), value=state_cell),
                              "opens_at", "closes_at", "closed_at", "close_reason")),
        (_l("rules"), ("voter_unit", "quorum_percent", "majority", "secret", "max_choices",
                       "eligible_count", Column("turnout", _l("ballots cast"),
                                                value=turnout_cell))),
        (_l("where"), ("community", "grid", "building")),
        (_l("record"), ("created_by", "created", "updated")),
    )
    detail_template = "participation/consultation_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("consultations/open/", consultation_open, name="consultation_open"),
            path("consultations/<int:pk>/vote/", consultation_vote, name="consultation_vote"),
            path("consultations/<int:pk>/open-now/", open_now, name="consultation_open_now"),
            path("consultations/<int:pk>/close/", close, name="consultation_close"),
            path("consultations/<int:pk>/publish/", publish, name="consultation_publish"),
            *super().urls(),
        ]

    def get_queryset(self, request, action: str = "view"):
        if action == "view":
            queryset = services.readable_consultations(request.user)
        else:
            queryset = Consultation.objects.visible_to(request.user, action).order_by(
                *services.ORDER)
        return queryset.select_related(*self.select_related)

    def get_object(self, request, pk: int, action: str = "view"):
        consultation = services.close_if_ended(super().get_object(request, pk, action))
        if action == "delete" and consultation.has_opened():
            raise PermissionDenied  # its ballots are the record of a vote
        return consultation

    def get_form(self, request, instance, data=None):
        if instance.pk is None:
            instance.created_by = request.user
        return super().get_form(request, instance, data)

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        may_change = services.can(request.user, "change", obj)
        context.update(results_context(request.user, obj))
        context["options"] = obj.options.all()
        context["may_change"] = may_change
        context["can_change"] = context["can_change"] and not obj.has_opened()
        context["can_delete"] = context["can_delete"] and not obj.has_opened()
        context["may_open"] = may_change and not obj.has_opened() and obj.closes_at > timezone.now()
        context["may_close"] = may_change and obj.closed_at is None and obj.has_opened()
        context["closing_early"] = obj.closes_at > timezone.now()
        context["may_publish"] = may_change and obj.result is not None and not obj.published
        context["close_form"] = CloseForm()
        return context


def results_context(user, consultation: Consultation) -> dict:
    """The result (with the reason in words) if ``user`` may see it, for the results panel."""
    if not services.may_see_results(user, consultation):
        return {"result": None}
    result = consultation.result
    return {"result": result, "reason_text": services.reason_text(result["reason"])}


@login_required
@require_POST
def open_now(request, pk: int):
    consultation = ConsultationViews().get_object(request, pk, "change")
    try:
        services.open_now(consultation, request.user)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("Voting is open."))
    return redirect(consultation.get_absolute_url())


@login_required
@require_POST
def close(request, pk: int):
    # Not through ConsultationViews.get_object: that would count it first, in the system's name.
    consultation = ObjectViews.get_object(ConsultationViews(), request, pk, "change")
    form = CloseForm(request.POST)
    form.is_valid()
    try:
        services.close(consultation, request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("Voting is closed and the votes are counted."))
    return redirect(consultation.get_absolute_url())


@login_required
@require_POST
def publish(request, pk: int):
    consultation = ConsultationViews().get_object(request, pk, "change")
    try:
        services.publish(consultation, request.user)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The results are published."))
    return redirect(consultation.get_absolute_url())


@login_required
def consultation_open(request):
    """The phone list: consultations of the reader's places that are open or have results."""
    now = timezone.now()
    items = []
    for consultation in services.readable_consultations(request.user, now).select_related(
            "grid", "building")[:50]:
        state = consultation.state(now)
        if state == ConsultationState.ENDED:
            services.close_if_ended(consultation, now)
            state = consultation.state(now)
        if state == ConsultationState.OPEN or (state == ConsultationState.CLOSED
                                               and consultation.published):
            consultation.is_open = state == ConsultationState.OPEN
            consultation.may_vote = consultation.is_open and bool(
                services.voting_units(request.user, consultation))
            consultation.voted = consultation.may_vote and services.has_voted(request.user,
                                                                               consultation)
            items.append(consultation)
    return render(request, "participation/consultation_open.html", {"consultations": items})


@login_required
def consultation_vote(request, pk: int):
    """One consultation on the phone: the proposal, the ballot, and the result once published."""
    consultation = services.close_if_ended(
        get_object_or_404(services.readable_consultations(request.user), pk=pk))
    form = None
    status = 200
    if request.method == "POST":
        form = BallotForm(request.POST, consultation=consultation)
        if form.is_valid():
            try:
                services.cast_vote(consultation, request.user, form.chosen())
            except ValidationError as exc:
                for text in exc.messages:
                    form.add_error(None, text)
            except PermissionDenied:
                form.add_error(None, _("You may not vote here."))
            else:
                messages.success(request, _("Your vote has been counted. Thank you."))
                return redirect("participation:consultation_vote", pk=consultation.pk)
        status = 400
    units = services.voting_units(request.user, consultation)
    voted = bool(units) and services.has_voted(request.user, consultation)
    is_open = consultation.state() == ConsultationState.OPEN
    if form is None and is_open and units and not voted:
        form = BallotForm(consultation=consultation)
    my_choices = []
    if voted and not consultation.secret:
        my_choices = [c.option.label for c in services.BallotChoice.objects.filter(
            ballot__consultation=consultation, ballot__voter=request.user).select_related("option")]
    context = {
        "consultation": consultation,
        "form": form if status == 400 or (is_open and units and not voted) else None,
        "units": units, "voted": voted, "is_open": is_open, "my_choices": my_choices,
        "ballots": consultation.ballots.count(), **results_context(request.user, consultation),
    }
    return render(request, "participation/consultation_vote.html", context, status=status)
