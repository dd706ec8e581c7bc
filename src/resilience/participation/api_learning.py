"""The education and drills API.

``/api/education/`` lessons (quiz answers are shown only to those who may edit the lesson) with
``POST /api/education/<id>/complete/``; ``/api/education/assignments/`` with their coverage;
``/api/drills/`` with ``participation``, ``timings``, ``finish``, ``cancel`` and ``report``
actions. Refusals are 400s naming the field.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.errors import error_detail
from resilience.core.scope import can
from resilience.participation import drills, education
from resilience.participation.filtersets_learning import (DrillFilterSet, LessonAssignmentFilterSet,
                                                          LessonFilterSet)
from resilience.participation.models import (Drill, DrillParticipation, DrillTiming, Lesson,
                                              LessonAssignment, LessonCompletion)
from resilience.people.models import Household, Resident
from resilience.places.models import Building


class _Refusals:
    """Turn the services' refusals into a 400 naming the field, or a 403."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, ValidationError):
            raise serializers.ValidationError(error_detail(exc))
        if isinstance(exc, DjangoPermissionDenied):
            raise PermissionDenied(str(exc))
        return False


# --- education ---------------------------------------------------------------------------------


class LessonSerializer(ScopedSerializer):
    shared = serializers.BooleanField(source="is_shared", read_only=True)

    class Meta:
        model = Lesson
        fields = ("id", "community", "shared", "code", "title", "topic", "summary", "body",
                  "video_url", "minutes", "quiz", "pass_mark", "created", "updated")
        read_only_fields = ("code",)

    def to_representation(self, lesson):
        data = super().to_representation(lesson)
        if lesson.pk not in self.context.get("editable", ()):
            # Learners get the questions and choices, never the answers.
            data["quiz"] = [{"question": q["question"], "choices": q["choices"]}
                            for q in lesson.quiz or []]
        return data

    def validate_community(self, community):
        request = self.context.get("request")
        if community is None and not (request and request.user.is_superuser):
            raise serializers.ValidationError(_("Only platform admins write shared lessons."))
        return community


class CompleteSerializer(serializers.Serializer):
    answers = serializers.ListField(child=serializers.IntegerField(min_value=0), required=False,
                                    default=list, help_text="One choice index per question.")


class CompletionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LessonCompletion
        fields = ("id", "lesson", "user", "resident", "completed_at", "score", "passed",
                  "attempts")


class LessonViewSet(ScopedViewSet):
    model = Lesson
    serializer_class = LessonSerializer
    filterset_class = LessonFilterSet

    def optimise(self, queryset):
        return queryset.order_by("topic", "title", "id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        context["editable"] = set(Lesson.objects.visible_to(user, "change")
                                  .values_list("pk", flat=True)) if user.is_authenticated else set()
        return context

    @extend_schema(request=CompleteSerializer, responses=CompletionSerializer,
                   summary="Take the lesson's quiz and record my completion")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Score the answers (one choice index per question), keep the best score, say whether
        it passed. 400 on the wrong number of answers or a lesson not assigned to me."""
        lesson = self.get_object()
        form = CompleteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with _Refusals():
            completion = education.complete_lesson(lesson, request.user,
                                                   form.validated_data["answers"])
        score, passed = education.score_quiz(lesson, form.validated_data["answers"])
        data = CompletionSerializer(completion).data
        data["this_score"], data["this_passed"] = score, passed
        return Response(data)


class LessonAssignmentSerializer(ScopedSerializer):
    coverage = serializers.SerializerMethodField()

    class Meta:
        model = LessonAssignment
        fields = ("id", "community", "grid", "building", "lesson", "audience", "due_on",
                  "coverage", "created_by", "created", "updated")
        read_only_fields = ("created_by",)

    def get_coverage(self, assignment) -> dict:
        if self.context.get("view") and self.context["view"].action == "list":
            return None
        return education.assignment_coverage(assignment)


class LessonAssignmentViewSet(ScopedViewSet):
    model = LessonAssignment
    serializer_class = LessonAssignmentSerializer
    filterset_class = LessonAssignmentFilterSet

    def optimise(self, queryset):
        return queryset.select_related("lesson", "community", "grid", "building")

    def perform_create(self, serializer):
        serializer.validated_data["created_by"] = self.request.user
        super().perform_create(serializer)


# --- drills ------------------------------------------------------------------------------------


class DrillSerializer(ScopedSerializer):
    class Meta:
        model = Drill
        fields = ("id", "community", "grid", "building", "scenario", "title", "planned_at",
                  "status", "plan", "objectives", "observers", "lessons_learned", "actions",
                  "finished_at", "finished_by", "created_by", "created", "updated")
        read_only_fields = ("status", "finished_at", "finished_by", "created_by")


class ParticipationSerializer(serializers.ModelSerializer):
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.all(),
                                                   required=False, allow_null=True)
    resident = serializers.PrimaryKeyRelatedField(queryset=Resident.objects.all(),
                                                  required=False, allow_null=True)

    class Meta:
        model = DrillParticipation
        fields = ("id", "household", "resident", "present", "note", "recorded_by", "updated")
        read_only_fields = ("recorded_by", "updated")


class TimingSerializer(serializers.ModelSerializer):
    building = serializers.PrimaryKeyRelatedField(queryset=Building.objects.all(),
                                                  required=False, allow_null=True)
    evacuation_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    shelter_seconds = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = DrillTiming
        fields = ("id", "building", "step", "started_at", "all_out_at", "arrived_at", "seconds",
                  "people_counted", "note", "evacuation_seconds", "shelter_seconds")


class FinishSerializer(serializers.Serializer):
    lessons_learned = serializers.CharField(allow_blank=True)
    actions = serializers.ListField(child=serializers.DictField(), required=False)


class DrillViewSet(ScopedViewSet):
    model = Drill
    serializer_class = DrillSerializer
    filterset_class = DrillFilterSet

    def optimise(self, queryset):
        return queryset.select_related("community", "grid", "building")

    def perform_create(self, serializer):
        serializer.validated_data["created_by"] = self.request.user
        super().perform_create(serializer)

    @extend_schema(methods=["GET"], responses=ParticipationSerializer(many=True),
                   summary="Participation I may see")
    @extend_schema(methods=["POST"], request=ParticipationSerializer(many=True),
                   responses=ParticipationSerializer(many=True),
                   summary="Record participation (a list; all or nothing)")
    @action(detail=True, methods=["get", "post"])
    def participation(self, request, pk=None):
        """GET: the rows the user may see (a resident: their own household's). POST: a list of
        ``{household | resident, present, note}``; one outside the drill's scope is a 400."""
        drill = self.get_object()
        if request.method == "GET":
            rows = DrillParticipation.objects.visible_to(request.user, "view").filter(drill=drill)
            return Response(ParticipationSerializer(rows, many=True).data)
        form = ParticipationSerializer(data=request.data, many=True)
        form.is_valid(raise_exception=True)
        with _Refusals():
            rows = drills.record_participation(drill, request.user,
                                               [dict(item) for item in form.validated_data])
        return Response(ParticipationSerializer(rows, many=True).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=TimingSerializer(many=True), summary="Timings")
    @extend_schema(methods=["POST"], request=TimingSerializer, responses=TimingSerializer,
                   summary="Record a building's (or a step's) evacuation times")
    @action(detail=True, methods=["get", "post"])
    def timings(self, request, pk=None):
        """GET: the drill's timings. POST: one timing; end before start is a 400."""
        drill = self.get_object()
        if request.method == "GET":
            rows = DrillTiming.objects.visible_to(request.user, "view").filter(drill=drill)
            return Response(TimingSerializer(rows, many=True).data)
        form = TimingSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with _Refusals():
            timing = drills.record_timing(drill, request.user, keep=False, **form.validated_data)
        return Response(TimingSerializer(timing).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FinishSerializer, responses=DrillSerializer, summary="Finish the drill")
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """Mark it done with the lessons learned; needs a timing or participation; only once."""
        drill = self.get_object()
        if not can(request.user, "change", drill):
            raise PermissionDenied(_("You may not finish this drill."))
        form = FinishSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with _Refusals():
            drills.finish_drill(drill, request.user, **form.validated_data)
        return Response(DrillSerializer(drill, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=DrillSerializer, summary="Cancel a planned drill")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        drill = self.get_object()
        if not can(request.user, "change", drill):
            raise PermissionDenied(_("You may not cancel this drill."))
        with _Refusals():
            drills.cancel_drill(drill, request.user)
        return Response(DrillSerializer(drill, context=self.get_serializer_context()).data)

    @extend_schema(request=None, summary="Participation rate and evacuation times",
                   responses=inline_serializer("DrillReport", {
                       "households": serializers.IntegerField(),
                       "present": serializers.IntegerField(),
                       "rate": serializers.FloatField(),
                       "max_evacuation_seconds": serializers.IntegerField(allow_null=True),
                       "people_counted": serializers.IntegerField(),
                       "timings": TimingSerializer(many=True)}))
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The drill's figures (no household names)."""
        drill = self.get_object()
        times = drills.evacuation_times(drill)
        return Response({**drills.participation_rate(drill),
                         "max_evacuation_seconds": times["max"], "people_counted": times["people"],
                         "timings": TimingSerializer([r["timing"] for r in times["rows"]],
                                                     many=True).data})


def register(router) -> None:
    # The assignments route comes first so "assignments" is not read as a lesson id.
    router.register("education/assignments", LessonAssignmentViewSet, basename="lessonassignment")
    router.register("education", LessonViewSet, basename="lesson")
    router.register("drills", DrillViewSet, basename="drill")
