"""Needs survey pages: staff build and send a survey, residents answer on a phone page, grid
workers enter paper forms, and everyone allowed sees the results and the ranked needs."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any
from resilience.core.views.generic import ObjectViews
from resilience.relief import surveys
from resilience.relief.filtersets_supplies import SurveyFilterSet
from resilience.relief.forms_surveys import (AnswerForm, PaperHouseholdForm, QuestionForm,
                                             SurveyForm)
from resilience.relief.models import Survey, SurveyResponse
from resilience.relief.purchases import households_of
from resilience.relief.vocab import SurveyStatus


class SurveyViews(ObjectViews):
    model = Survey
    filterset = SurveyFilterSet
    form = SurveyForm
    columns = ("title", "status", "grid", "building", "opened_at", "closes_at")
    select_related = ("community", "grid", "building")
    filter_fields = ("status", "grid", "building", "community")
    detail_template = "relief/survey_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("surveys/mine/", survey_mine, name="survey_mine"),
            *super().urls(),
            path("surveys/<int:pk>/questions/", survey_add_question, name="survey_add_question"),
            path("surveys/<int:pk>/status/", survey_status, name="survey_status"),
            path("surveys/<int:pk>/results/", survey_results, name="survey_results"),
            path("surveys/<int:pk>/answer/", survey_answer, name="survey_answer"),
            path("surveys/<int:pk>/paper/", survey_paper, name="survey_paper"),
        ]

    def get_queryset(self, request, action: str = "view"):
        queryset = super().get_queryset(request, action)
        if not can_any(request.user, "change", Survey):
            queryset = queryset.exclude(status=SurveyStatus.DRAFT)  # drafts are the staff's
        return queryset

    def get_form(self, request, instance, data=None):
        if instance.pk is None:
            instance.created_by = request.user
        return super().get_form(request, instance, data)

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        may_change = can(request.user, "change", obj)
        context.update({
            "questions": obj.questions.all(),
            "may_change": may_change,
            "question_form": QuestionForm() if may_change and obj.status == SurveyStatus.DRAFT
            else None,
            "may_enter": surveys.is_open(obj) and can_any(request.user, "add", SurveyResponse)
            and not households_of(request.user),
            "may_answer": surveys.is_open(obj) and bool(households_of(request.user)),
        })
        return context


def _survey(request, pk: int, action: str = "view") -> Survey:
    return SurveyViews().get_object(request, pk, action)


@login_required
@require_POST
def survey_add_question(request, pk: int):
    survey = _survey(request, pk, "change")
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            surveys.add_question(survey, **form.question_fields())
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Question added."))
    else:
        for field, errors in form.errors.items():
            for text in errors:
                messages.error(request, f"{form.fields[field].label}: {text}"
                               if field in form.fields else text)
    return redirect(survey.get_absolute_url())


@login_required
@require_POST
def survey_status(request, pk: int):
    survey = _survey(request, pk, "change")
    try:
        if request.POST.get("status") == SurveyStatus.OPEN:
            surveys.open_survey(survey, request.user)
            messages.success(request, _("The survey is open: residents of its area see it now."))
        else:
            surveys.close_survey(survey, request.user)
            messages.success(request, _("The survey is closed."))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect(survey.get_absolute_url())


@login_required
def survey_results(request, pk: int):
    survey = _survey(request, pk)
    if not can_any(request.user, "view", SurveyResponse) or households_of(request.user) and \
            not can_any(request.user, "change", Survey):
        raise PermissionDenied  # residents see their own answers, not everyone's
    results = surveys.results(survey)
    top = max([n["score"] for n in results["needs"]] + [1])
    for need in results["needs"]:
        need["width"] = round(need["score"] / top * 100, 1)
    return render(request, "relief/survey_results.html", {"survey": survey, "results": results})


@login_required
def survey_mine(request):
    """The resident's list of surveys waiting for their household's answers."""
    open_surveys = list(surveys.open_for(request.user))
    answered = set(SurveyResponse.objects.filter(
        household__in=households_of(request.user), survey__in=open_surveys)
        .values_list("survey_id", flat=True))
    for survey in open_surveys:
        survey.answered = survey.pk in answered
    return render(request, "relief/survey_mine.html", {"surveys": open_surveys})


def _answer(request, survey: Survey, household, *, on_paper: bool, template: str, extra=None):
    existing = SurveyResponse.objects.filter(survey=survey, household=household).first()
    form = AnswerForm(request.POST or None, survey=survey,
                      initial_answers=existing.answers if existing else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                surveys.respond(survey, household, form.answers(), by=request.user,
                                on_paper=on_paper)
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except PermissionDenied:
                raise
            else:
                messages.success(request, _("Thank you, the answers are saved."))
                return None
        status = 400
    return render(request, template, {"survey": survey, "form": form, "household": household,
                                      "existing": existing, "questions": survey.questions.all(),
                                      **(extra or {})}, status=status)


@login_required
def survey_answer(request, pk: int):
    """The resident's phone page: answer for their household (answering again updates it)."""
    survey = get_object_or_404(surveys.open_for(request.user), pk=pk)
    households = [h for h in households_of(request.user)
                  if surveys.households_in_scope(survey).filter(pk=h.pk).exists()]
    if not households:
        raise PermissionDenied
    response = _answer(request, survey, households[0], on_paper=False,
                       template="relief/survey_answer.html")
    return response or redirect("relief:survey_answer", pk=survey.pk)


@login_required
def survey_paper(request, pk: int):
    """A grid worker or staff member types in a household's paper form."""
    survey = _survey(request, pk)
    if not can_any(request.user, "add", SurveyResponse) or not surveys.is_open(survey):
        raise PermissionDenied
    choices = surveys.households_in_scope(survey).filter(
        pk__in=surveys.Household.objects.visible_to(request.user).values("pk")).select_related(
        "building", "unit")
    picker = PaperHouseholdForm(request.GET or None, queryset=choices)
    if not picker.is_valid():
        return render(request, "relief/survey_paper.html", {"survey": survey, "picker": picker},
                      status=400 if request.GET.get("household") else 200)
    household = picker.cleaned_data["household"]
    response = _answer(request, survey, household, on_paper=True,
                       template="relief/survey_paper.html", extra={"picker": picker})
    return response or redirect(f"{request.path}")


def urls() -> list:
    return SurveyViews.urls()
