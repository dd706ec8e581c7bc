"""The assessment API: ``/api/assessment-indices/`` (read; the platform admin edits),
``/api/assessment-runs/`` (list, retrieve with values, ``POST`` to assess a community, ``csv/``),
``/api/indicator-values/``, ``/api/indicator-entries/`` (survey and imported values),
``/api/stress-tests/`` (``POST`` a scenario and its parameters to run and save it;
``scenarios/`` lists them) and ``/api/self-evaluations/``. Every list starts from
``visible_to``; bad input is a 400 naming the field."""
from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.assessment import access
from resilience.assessment.filtersets import (AssessmentRunFilterSet, IndicatorEntryFilterSet,
                                              IndicatorValueFilterSet, SelfEvaluationFilterSet,
                                              StressTestFilterSet)
from resilience.assessment.models import (AssessmentRun, Index, IndicatorEntry, IndicatorValue,
                                          SelfEvaluation, StressTest)
from resilience.assessment.services import evaluations, runs, stress
from resilience.assessment.services.entries import check_entry
from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.errors import error_detail
from resilience.core.roles import Role
from resilience.core.scope import memberships_of
from resilience.places.models import Community

READ_AND_POST = ["get", "post", "head", "options"]


def is_platform_admin(user) -> bool:
    return user.is_superuser or any(m.role == Role.ADMIN for m in memberships_of(user))


class AdminEditsOrReads(permissions.BasePermission):
    """Anyone who sees assessments reads indices; only the platform admin changes them."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return access.sees_assessment(request.user)
        return is_platform_admin(request.user)


class IndexSerializer(serializers.ModelSerializer):
    class Meta:
        model = Index
        fields = ("id", "code", "name", "description", "method", "weighting",
                  "dimension_weights", "pairwise", "indicators", "indicator_weights",
                  "is_default", "created", "updated")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        index = copy.copy(self.instance) if self.instance else Index()
        for name, value in attrs.items():
            setattr(index, name, value)
        try:
            runs.check_index(index)  # unknown codes, bad weights, inconsistent AHP (CR > 0.1)
        except ValidationError as exc:
            raise serializers.ValidationError(error_detail(exc))
        return attrs


class IndexViewSet(viewsets.ModelViewSet):
    queryset = Index.objects.all()
    serializer_class = IndexSerializer
    permission_classes = [permissions.IsAuthenticated, AdminEditsOrReads]


class ValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorValue
        fields = ("id", "run", "community", "indicator", "dimension", "value", "score", "weight",
                  "inputs", "source")
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentRun
        fields = ("id", "community", "index", "at", "score", "dimension_scores", "weights",
                  "consistency_ratio", "by", "note", "created")
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    values = ValueSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = (*RunSerializer.Meta.fields, "values")
        read_only_fields = fields


class RunInput(serializers.Serializer):
    community = serializers.IntegerField()
    index = serializers.IntegerField(required=False, help_text="default: the default index")


def community_for(user, pk, action_name: str = "add") -> Community:
    """The community the user names, if they may ``action_name`` its assessment: 400 when they
    cannot see it (as for any unknown reference), 403 when they see it but may not act."""
    community = access.communities_for(user, "view").filter(pk=pk).first()
    if community is None:
        raise serializers.ValidationError({"community": [_("No such community that you may "
                                                          "assess.")]})
    if not access.may(user, action_name, community):
        raise PermissionDenied(_("You may look at this community's assessment but not run one."))
    return community


class AssessmentRunViewSet(ScopedViewSet):
    model = AssessmentRun
    serializer_class = RunSerializer
    filterset_class = AssessmentRunFilterSet
    http_method_names = READ_AND_POST

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    def optimise(self, queryset):
        if self.action == "retrieve":
            return queryset.prefetch_related("values")
        return queryset

    @extend_schema(request=RunInput, responses=RunDetailSerializer)
    def create(self, request, *args, **kwargs):
        """Assess a community now and return the stored run with its values."""
        form = RunInput(data=request.data)
        form.is_valid(raise_exception=True)
        community = community_for(request.user, form.validated_data["community"])
        index = runs.default_index()
        if form.validated_data.get("index"):
            index = Index.objects.filter(pk=form.validated_data["index"]).first()
            if index is None:
                return Response({"index": [_("No such index.")]}, status=400)
        run = runs.assess_one(community, index, by=request.user)  # ValidationError → 400
        return Response(RunDetailSerializer(run).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def csv(self, request, pk=None):
        """The run's indicator values as CSV."""
        from resilience.assessment.views.pages import values_csv

        return values_csv(self.get_object())


class IndicatorValueViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ValueSerializer
    filterset_class = IndicatorValueFilterSet

    def get_queryset(self):
        return IndicatorValue.objects.visible_to(self.request.user, "view")


class EntrySerializer(ScopedSerializer):
    class Meta:
        model = IndicatorEntry
        fields = ("id", "community", "indicator", "value", "measured_on", "source", "note", "by",
                  "created", "updated")
        read_only_fields = ("by",)

    def validate(self, attrs):
        indicator = attrs.get("indicator", getattr(self.instance, "indicator", None))
        value = attrs.get("value", getattr(self.instance, "value", None))
        try:
            check_entry(indicator, value, attrs.get("source"))
        except ValidationError as exc:
            raise serializers.ValidationError(error_detail(exc))
        return super().validate(attrs)


class IndicatorEntryViewSet(ScopedViewSet):
    model = IndicatorEntry
    serializer_class = EntrySerializer
    filterset_class = IndicatorEntryFilterSet

    def perform_create(self, serializer):
        serializer.validated_data["by"] = self.request.user
        super().perform_create(serializer)


class StressSerializer(serializers.ModelSerializer):
    class Meta:
        model = StressTest
        fields = ("id", "community", "kind", "parameters", "result", "at", "by", "created")
        read_only_fields = fields


class StressInput(serializers.Serializer):
    community = serializers.IntegerField()
    kind = serializers.CharField()
    parameters = serializers.DictField(required=False, default=dict)


class StressTestViewSet(ScopedViewSet):
    model = StressTest
    serializer_class = StressSerializer
    filterset_class = StressTestFilterSet
    http_method_names = READ_AND_POST

    @extend_schema(request=StressInput, responses=StressSerializer)
    def create(self, request, *args, **kwargs):
        """Run a scenario with its parameters on a community and save the result; a bad
        parameter is a 400 naming it."""
        form = StressInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        community = community_for(request.user, data["community"])
        test = stress.run_stress_test(community, data["kind"], data["parameters"],
                                      by=request.user)
        body = StressSerializer(test).data
        body["comparison"] = stress.comparison(test)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses=inline_serializer("StressScenario", {
        "kind": serializers.CharField(), "label": serializers.CharField(),
        "parameters": serializers.ListField(child=serializers.DictField())}, many=True))
    @action(detail=False, pagination_class=None)
    def scenarios(self, request):
        """The scenarios and their parameters."""
        from resilience.assessment.stress import SCENARIOS

        return Response([{"kind": k, "label": s.label,
                          "parameters": [p.as_dict() for p in s.parameters]}
                         for k, s in SCENARIOS.items()])

    @action(detail=True)
    def comparison(self, request, pk=None):
        """The figures against the previous run of the same scenario."""
        return Response(stress.comparison(self.get_object()))


class EvaluationSerializer(serializers.ModelSerializer):
    class Meta:
        model = SelfEvaluation
        fields = ("id", "community", "at", "items", "attestations", "total", "passed", "by",
                  "created")
        read_only_fields = fields


class EvaluationInput(serializers.Serializer):
    community = serializers.IntegerField()
    attestations = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                         required=False, default=dict,
                                         help_text="item code → note attesting it")


class SelfEvaluationViewSet(ScopedViewSet):
    model = SelfEvaluation
    serializer_class = EvaluationSerializer
    filterset_class = SelfEvaluationFilterSet
    http_method_names = READ_AND_POST

    @extend_schema(request=EvaluationInput, responses=EvaluationSerializer)
    def create(self, request, *args, **kwargs):
        """Evaluate a community against the demonstration community criteria now."""
        form = EvaluationInput(data=request.data)
        form.is_valid(raise_exception=True)
        community = community_for(request.user, form.validated_data["community"])
        evaluation = evaluations.evaluate_community(
            community, form.validated_data["attestations"], by=request.user)
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("assessment-indices", IndexViewSet, basename="assessment-index")
    router.register("assessment-runs", AssessmentRunViewSet, basename="assessment-run")
    router.register("indicator-values", IndicatorValueViewSet, basename="indicator-value")
    router.register("indicator-entries", IndicatorEntryViewSet, basename="indicator-entry")
    router.register("stress-tests", StressTestViewSet, basename="stress-test")
    router.register("self-evaluations", SelfEvaluationViewSet, basename="self-evaluation")
