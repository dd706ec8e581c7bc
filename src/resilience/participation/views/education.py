"""Education pages: the staff registry of lessons and assignments (with coverage per grid and
building), a coverage overview, and the learners' phone page where assigned lessons are read and
their quiz taken."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.participation import education
from resilience.participation.filtersets_learning import LessonAssignmentFilterSet, LessonFilterSet
from resilience.participation.forms_learning import LessonAssignmentForm, LessonForm, QuizForm
from resilience.participation.models import Lesson, LessonAssignment, LessonCompletion
from resilience.participation.vocab_learning import LessonTopic
from resilience.places.models import Building, Grid


def shared_cell(lesson: Lesson):
    return _("shared") if lesson.is_shared else lesson.community


def questions_cell(lesson: Lesson):
    return len(lesson.quiz or [])


class LessonViews(ObjectViews):
    model = Lesson
    filterset = LessonFilterSet
    form = LessonForm
    columns = ("title", "topic", Column("community", _l("community"), value=shared_cell),
               "minutes", Column("questions", _l("quiz questions"), value=questions_cell))
    select_related = ("community",)
    filter_fields = ("topic", "shared", "community")
    detail_groups = (
        (_l("lesson"), ("title", "topic", "summary", "minutes", "video_url",
                        Column("community", _l("community"), value=shared_cell))),
        (_l("quiz"), (Column("questions", _l("quiz questions"), value=questions_cell),
                      "pass_mark")),
    )
    detail_template = "participation/education_lesson_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("learn/", learn, name="learn"),
            path("learn/<int:pk>/", take_lesson, name="learn_lesson"),
            path("education/coverage/", coverage, name="education_coverage"),
            *super().urls(),
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["show_answers"] = context["can_change"]
        return context


class LessonAssignmentViews(ObjectViews):
    model = LessonAssignment
    filterset = LessonAssignmentFilterSet
    form = LessonAssignmentForm
    slug = "lesson-assignments"
    columns = ("lesson", "audience", "community", "grid", "building", "due_on")
    select_related = ("lesson", "community", "grid", "building")
    filter_fields = ("lesson", "audience", "grid", "building", "community")
    detail_groups = ((_l("assignment"), ("lesson", "audience", "community", "grid", "building",
                                         "due_on", "created_by")),)
    detail_template = "participation/education_assignment_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [*super().urls(),
                path("lesson-assignments/<int:pk>/session/", record_session,
                     name="lessonassignment_session")]

    def get_form(self, request, instance, data=None):
        if instance.pk is None:
            instance.created_by = request.user
        return super().get_form(request, instance, data)

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["coverage"] = with_place_names(education.assignment_coverage(obj))
        if context["can_change"]:
            context["untrained"] = untrained_residents(request.user, obj)[:SESSION_LIMIT]
        return context


SESSION_LIMIT = 300


def untrained_residents(user, assignment: LessonAssignment):
    """Residents of the audience the user may see who have not passed the lesson yet."""
    from resilience.people.models import Resident

    ids = [p.resident_id for p in education.audience(assignment) if p.resident_id]
    passed = LessonCompletion.objects.filter(lesson=assignment.lesson_id, passed=True,
                                             resident__isnull=False).values("resident")
    return (Resident.objects.visible_to(user, "view").filter(pk__in=ids)
            .exclude(pk__in=passed).select_related("household__building")
            .order_by("household__building__code", "household__room", "id"))


@login_required
@require_POST
def record_session(request, pk: int):
    """Staff tick the residents who attended an offline session of the lesson (no quiz)."""
    assignment = LessonAssignmentViews().get_object(request, pk, "change")
    chosen = request.POST.getlist("resident")
    residents = list(untrained_residents(request.user, assignment).filter(pk__in=[
        int(i) for i in chosen if str(i).isdigit()]))
    if not residents:
        messages.error(request, _("Tick the residents who attended."))
    else:
        try:
            count = education.record_session(assignment.lesson, request.user, residents)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(count)d residents recorded as trained.")
                             % {"count": count})
    return redirect(f"{assignment.get_absolute_url()}#coverage")


def with_place_names(coverage: dict) -> dict:
    """Put the grid and building objects beside their ids for the tables."""
    grids = Grid.objects.in_bulk({p["grid"] for p in coverage["places"] if p["grid"]})
    buildings = Building.objects.in_bulk({p["building"] for p in coverage["places"]
                                          if p["building"]})
    for place in coverage["places"]:
        place["grid_obj"] = grids.get(place["grid"])
        place["building_obj"] = buildings.get(place["building"])
    return coverage


@login_required
def coverage(request):
    """Coverage of every assignment the user may see, and per topic for each community."""
    if not can_any(request.user, "view", LessonAssignment):
        raise PermissionDenied
    assignments = (LessonAssignment.objects.visible_to(request.user, "view")
                   .select_related("lesson", "community", "grid", "building")[:100])
    rows = [{"assignment": a, **education.assignment_coverage(a)} for a in assignments]
    communities = {a.community for a in assignments}
    summaries = []
    for community in sorted(communities, key=lambda c: c.name):
        summary = education.training_coverage(community)
        summary["topic_rows"] = [{"label": LessonTopic(topic).label, **entry}
                                 for topic, entry in summary["topics"].items()]
        summaries.append({"community": community, "coverage": summary})
    return render(request, "participation/education_coverage.html",
                  {"rows": rows, "communities": summaries})


@login_required
def learn(request):
    """The learner's phone page: lessons assigned to me, with my result."""
    return render(request, "participation/education_learn.html",
                  {"entries": education.my_lessons(request.user)})


@login_required
def take_lesson(request, pk: int):
    """Read one lesson and take its quiz; the result replaces the form."""
    lesson = get_object_or_404(Lesson.objects.visible_to(request.user, "view"), pk=pk)
    form = QuizForm(request.POST or None, lesson=lesson)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                completion = education.complete_lesson(lesson, request.user, form.answers())
            except ValidationError as exc:
                for text in exc.messages:
                    form.add_error(None, text)
                status = 400
            else:
                score, passed = education.score_quiz(lesson, form.answers())
                result = {"score": score, "passed": passed, "best": completion}
                if passed:
                    messages.success(request, _("Well done: lesson completed."))
        else:
            status = 400
    return render(request, "participation/education_lesson_take.html",
                  {"lesson": lesson, "form": form, "result": result,
                   "assigned": any(e["lesson"].pk == lesson.pk
                                   for e in education.my_lessons(request.user)),
                   "may_edit": can(request.user, "change", lesson)}, status=status)
