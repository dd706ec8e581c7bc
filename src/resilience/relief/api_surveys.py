"""The needs survey API: ``/api/surveys/`` with ``questions/`` (add to a draft), ``status/``
(open or close), ``responses/`` (list, or ``POST`` one household's answers) and ``results/``
(response rates per building and grid, tallies, ranked needs). Residents see the open surveys of
their area and answer for their own household."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.scope import can, can_any
from resilience.participation.portal import is_resident_only
from resilience.people.models import Household
from resilience.relief import surveys
from resilience.relief.filtersets_supplies import SurveyFilterSet
from resilience.relief.models import Survey, SurveyQuestion, SurveyResponse
from resilience.relief.purchases import households_of
from resilience.relief.vocab import SurveyStatus


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyQuestion
        fields = ("id", "order", "text", "kind", "choices", "needs", "urgent", "required",
                  "need_kind", "min_value", "max_value")
        read_only_fields = ("id",)


class SurveySerializer(ScopedSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = ("id", "community", "grid", "building", "title", "intro", "status", "opened_at",
                  "closes_at", "created_by", "questions", "created", "updated")
        read_only_fields = ("status", "opened_at", "created_by")


class ResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyResponse
        fields = ("id", "survey", "household", "building", "answers", "on_paper", "entered_by",
                  "created", "updated")
        read_only_fields = fields


class ResponseInput(serializers.Serializer):
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True),
                                    help_text="question id → answer (a choice, a list of "
                                    "choices, a number or text)")
    household = serializers.IntegerField(required=False, help_text="when entering for a "
                                         "household (paper form); residents answer for their own")
    on_paper = serializers.BooleanField(required=False, default=False)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[SurveyStatus.OPEN, SurveyStatus.CLOSED])


def _named(survey: Survey, exc: ValidationError) -> dict:
    """Service errors with each question id named by its text too."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    texts = dict(survey.questions.values_list("pk", "text"))
    answers, other = {}, {}
    for key, messages in exc.message_dict.items():
        if key.isdigit():
            answers[key] = [f"{texts.get(int(key), key)}: {m}" for m in messages]
        else:
            other[key] = messages
    if answers:
        other["answers"] = answers
    return other


class SurveyViewSet(ScopedViewSet):
    model = Survey
    serializer_class = SurveySerializer
    filterset_class = SurveyFilterSet

    def get_queryset(self):
        user = self.request.user
        queryset = super().get_queryset()
        if self.scope_action() == "view" and not can_any(user, "change", Survey):
            queryset = queryset.exclude(status=SurveyStatus.DRAFT)
            if is_resident_only(user):
                # a resident: the surveys their household is asked, or has answered
                answered = SurveyResponse.objects.filter(
                    household__in=households_of(user)).values("survey_id")
                queryset = queryset.filter(Q(pk__in=surveys.open_for(user).values("pk"))
                                           | Q(pk__in=answered))
        return queryset.prefetch_related("questions").distinct()

    def perform_create(self, serializer):
        serializer.validated_data["created_by"] = self.request.user
        super().perform_create(serializer)

    def _change(self, survey):
        if not can(self.request.user, "change", survey):
            raise PermissionDenied(_("You may not change this survey."))

    @extend_schema(request=QuestionSerializer, responses=QuestionSerializer)
    @action(detail=True, methods=["post"])
    def questions(self, request, pk=None):
        """Add a question to a draft survey."""
        survey = self.get_object()
        self._change(survey)
        form = QuestionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            question = surveys.add_question(survey, **form.validated_data)
        except ValidationError as exc:
            return Response(exc.message_dict, status=400)
        return Response(QuestionSerializer(question).data, status=201)

    @extend_schema(request=StatusInput, responses=SurveySerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Open (send) or close the survey."""
        survey = self.get_object()
        self._change(survey)
        form = StatusInput(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            if form.validated_data["status"] == SurveyStatus.OPEN:
                surveys.open_survey(survey, request.user)
            else:
                surveys.close_survey(survey, request.user)
        except ValidationError as exc:
            return Response(exc.message_dict, status=400)
        return Response(SurveySerializer(survey, context={"request": request}).data)

    @extend_schema(methods=["GET"], responses=ResponseSerializer(many=True))
    @extend_schema(methods=["POST"], request=ResponseInput, responses=ResponseSerializer)
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def responses(self, request, pk=None):
        """The responses the user may see; ``POST`` answers for a household (one per household,
        answering again replaces the answers)."""
        survey = self.get_object()
        if request.method == "GET":
            rows = SurveyResponse.objects.visible_to(request.user).filter(survey=survey)
            return Response(ResponseSerializer(rows, many=True).data)
        form = ResponseInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data.get("household"):
            household = Household.objects.visible_to(request.user).filter(
                pk=data["household"]).first()
            if household is None:
                return Response({"household": [_("No such household that you may use.")]},
                                status=400)
        else:
            mine = [h for h in households_of(request.user)
                    if surveys.households_in_scope(survey).filter(pk=h.pk).exists()]
            if not mine:
                return Response({"household": [_("Name the household you answer for.")]},
                                status=400)
            household = mine[0]
        try:
            response = surveys.respond(survey, household, data["answers"], by=request.user,
                                       on_paper=data["on_paper"])
        except ValidationError as exc:
            return Response(_named(survey, exc), status=400)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response(ResponseSerializer(response).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=inline_serializer("SurveyResults", {
        "households": serializers.IntegerField(), "responses": serializers.IntegerField(),
        "on_paper": serializers.IntegerField(),
        "rate": serializers.FloatField(allow_null=True),
        "grids": serializers.ListField(child=serializers.DictField()),
        "buildings": serializers.ListField(child=serializers.DictField()),
        "questions": serializers.ListField(child=serializers.DictField()),
        "needs": serializers.ListField(child=serializers.DictField())}))
    @action(detail=True)
    def results(self, request, pk=None):
        """Response rates per building and grid, answer tallies and the ranked needs."""
        survey = self.get_object()
        if households_of(request.user) and not can_any(request.user, "change", Survey):
            raise PermissionDenied(_("Residents see their own answers, not the results."))
        return Response(surveys.results(survey))


def register(router) -> None:
    router.register("surveys", SurveyViewSet, basename="survey")
