"""API of the risk register: risk sources (graded on write), their assessment history, and the
four-colour risk map as GeoJSON (``/api/risks/?format=geojson`` and ``/api/geo/risks/``)."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import JsonResponse
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.geojson import GeoJSONMixin
from resilience.core.choices import LabelField, label
from resilience.core.geo import centroid, point
from resilience.core.scope import can
from resilience.risks import filtersets
from resilience.risks.grading import grade
from resilience.risks.models import RiskAssessment, RiskSource
from resilience.risks.services import assess
from resilience.risks.vocab import GRADE_COLOUR, GRADE_HEX, Method

PLACE_FIELDS = ("building", "facility", "grid")


def _graded_or_400(method, inputs) -> None:
    """Run the grading; its errors come back as ``method``/``inputs`` errors of the request."""
    try:
        grade(method, inputs)
    except DjangoValidationError as exc:
        errors = exc.message_dict
        nested = {k: v for k, v in errors.items() if k not in ("method", "inputs")}
        detail = {k: v for k, v in errors.items() if k in ("method", "inputs")}
        if nested:
            detail["inputs"] = nested
        raise ValidationError(detail)


class RiskSourceSerializer(ScopedSerializer):
    """A risk source. Writing ``method`` and ``inputs`` (re-)assesses it: ``score`` and ``grade``
    are derived, and the assessment is kept in ``/api/risk-assessments/``."""

    risk_type_label = LabelField("risk_type")
    grade_label = LabelField("grade")
    colour = serializers.CharField(read_only=True, help_text="red, orange, yellow or blue")
    colour_hex = serializers.SerializerMethodField()
    assessment_note = serializers.CharField(
        write_only=True, required=False, allow_blank=True,
        help_text="A note kept with the assessment when method or inputs change.")

    class Meta:
        model = RiskSource
        fields = ["id", "community", "grid", "building", "facility", "risk_type", "risk_type_label",
                  "name", "description", "geometry", "latitude", "longitude", "owner", "controls",
                  "advice", "method", "inputs", "assessment_note", "score", "grade", "grade_label",
                  "colour", "colour_hex", "assessed_at", "active", "created", "updated"]
        extra_kwargs = {"community": {"required": False}}

    def get_colour_hex(self, obj) -> str:
        return GRADE_HEX.get(obj.colour, "")

    def validate(self, attrs):
        if attrs.get("community") is None and self.instance is None:
            place = next((attrs[f] for f in PLACE_FIELDS if attrs.get(f) is not None), None)
            if place is None:
                raise ValidationError({"community": [_("This field is required.")]})
            attrs["community"] = place.community
        if self.instance is None and "inputs" not in attrs:
            raise ValidationError({"inputs": [_(
                "Assess the risk when you register it: give the inputs of its method.")]})
        if "method" in attrs or "inputs" in attrs:
            current = self.instance
            attrs.setdefault("method", current.method if current else Method.MATRIX)
            attrs.setdefault("inputs", current.inputs if current else {})
            _graded_or_400(attrs["method"], attrs["inputs"])
        if self.instance is not None and ("building" in attrs or "facility" in attrs) \
                and "grid" not in attrs:
            attrs["grid"] = None  # follow the new building or facility
        if self.instance is not None and attrs.get("geometry") and "latitude" not in attrs:
            attrs["latitude"] = attrs["longitude"] = None  # derive the point from the new area
        note = attrs.pop("assessment_note", None)
        attrs = super().validate(attrs)
        if note is not None:
            attrs["assessment_note"] = note
        return attrs

    def _save(self, instance, validated_data):
        method = validated_data.pop("method", None)
        inputs = validated_data.pop("inputs", None)
        note = validated_data.pop("assessment_note", "")
        reassess = inputs is not None and (
            instance.pk is None or (method, inputs) != (instance.method, instance.inputs) or note)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.clean()
        if reassess:
            request = self.context.get("request")
            assess(instance, method, inputs, getattr(request, "user", None), note)
        else:
            instance.save()
        return instance


class RiskAssessmentSerializer(serializers.ModelSerializer):
    risk_name = serializers.CharField(source="risk.name", read_only=True)
    grade_label = LabelField("grade")
    colour = serializers.SerializerMethodField()
    assessed_by = serializers.StringRelatedField()

    class Meta:
        model = RiskAssessment
        fields = ["id", "risk", "risk_name", "method", "inputs", "score", "grade", "grade_label",
                  "colour", "assessed_at", "assessed_by", "note"]
        read_only_fields = fields

    def get_colour(self, obj) -> str:
        return GRADE_COLOUR.get(obj.grade, "")


class AssessSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Method.choices)
    inputs = serializers.JSONField()
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        _graded_or_400(attrs["method"], attrs["inputs"])
        return attrs


# --- GeoJSON --------------------------------------------------------------------------------

def _located(obj):
    if obj is None:
        return None
    if obj.latitude is not None and obj.longitude is not None:
        return point(obj.latitude, obj.longitude)
    if obj.geometry:
        lat, lng = centroid(obj.geometry)
        return point(lat, lng)
    return None


def risk_geometry(risk: RiskSource) -> dict | None:
    """Where the risk is drawn: its area, its point, its facility, its building, its community."""
    if risk.geometry:
        return risk.geometry
    if risk.latitude is not None and risk.longitude is not None:
        return point(risk.latitude, risk.longitude)
    for place in (risk.facility if risk.facility_id else None,
                  risk.building if risk.building_id else None, risk.community):
        geometry = _located(place)
        if geometry is not None:
            return geometry
    return None


def _url(risk: RiskSource) -> str:
    try:
        return risk.get_absolute_url()
    except NoReverseMatch:
        return ""


def risk_feature(risk: RiskSource) -> dict:
    return {"type": "Feature", "id": risk.pk, "geometry": risk_geometry(risk), "properties": {
        "id": risk.pk, "name": risk.name, "risk_type": risk.risk_type,
        "risk_type_label": label(risk, "risk_type"), "grade": risk.grade,
        "grade_label": label(risk, "grade"), "colour": risk.colour,
        "colour_hex": GRADE_HEX.get(risk.colour, ""), "score": risk.score, "method": risk.method,
        "community": risk.community_id, "grid": risk.grid_id, "building": risk.building_id,
        "facility": risk.facility_id, "active": risk.active, "url": _url(risk),
    }}


def feature_collection(queryset) -> dict:
    """The graded risks of ``queryset`` that have a place on the map, as a FeatureCollection."""
    queryset = (queryset.exclude(grade="").select_related("community", "building", "facility")
                .defer("community__geometry"))  # boundaries are large; the centre point suffices
    features = [f for f in map(risk_feature, queryset) if f["geometry"] is not None]
    return {"type": "FeatureCollection", "features": features}


# --- views ----------------------------------------------------------------------------------

class RiskSourceViewSet(GeoJSONMixin, ScopedViewSet):
    """Risk sources in the user's scope; ``?format=geojson`` gives the four-colour map layer."""

    model = RiskSource
    serializer_class = RiskSourceSerializer
    filterset_class = filtersets.RiskSourceFilterSet

    def scope_action(self) -> str:
        return "change" if self.action == "assess" else super().scope_action()

    def geojson_collection(self, queryset) -> dict:
        return feature_collection(queryset)

    def geojson_feature(self, obj) -> dict:
        return risk_feature(obj)

    @extend_schema(request=AssessSerializer, responses={201: RiskAssessmentSerializer},
                   summary="Re-assess a risk source (kept in its history)")
    @action(detail=True, methods=["post"], renderer_classes=api_settings.DEFAULT_RENDERER_CLASSES)
    def assess(self, request, pk=None):
        risk = self.get_object()
        data = AssessSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            assessment = assess(risk, data.validated_data["method"], data.validated_data["inputs"],
                                request.user, data.validated_data["note"])
            if not can(request.user, "change", risk):
                raise PermissionDenied(_("You may not move this record outside your scope."))
        return Response(RiskAssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class RiskAssessmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The assessment history of the risk sources the user may see (``?risk=<id>``)."""

    serializer_class = RiskAssessmentSerializer
    filterset_class = filtersets.RiskAssessmentFilterSet

    def get_queryset(self):
        visible = RiskSource.objects.visible_to(self.request.user, "view").values("pk")
        return RiskAssessment.objects.filter(risk__in=visible).select_related("risk", "assessed_by")


@extend_schema(
    summary="The four-colour risk map layer as a GeoJSON FeatureCollection",
    description="Active, graded risk sources the user may see, coloured by grade. Takes the "
                "filters of /api/risks/ (grade and risk_type as lists, e.g. grade=major,high); "
                "active=false shows retired risks.",
    parameters=[
        OpenApiParameter("community", OpenApiTypes.INT),
        OpenApiParameter("grid", OpenApiTypes.INT),
        OpenApiParameter("risk_type", OpenApiTypes.STR, description="comma-separated types"),
        OpenApiParameter("grade", OpenApiTypes.STR, description="comma-separated grades"),
        OpenApiParameter("active", OpenApiTypes.BOOL),
    ],
    responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},  # what it sends
)
@api_view(["GET"])
def risk_layer(request):
    """GeoJSON of the risk layer, limited to what the user may see."""
    params = request.query_params.copy()
    params.setdefault("active", "true")
    filterset = filtersets.RiskSourceFilterSet(
        params, queryset=RiskSource.objects.visible_to(request.user, "view"), request=request)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    response = JsonResponse(feature_collection(filterset.qs))
    response["Content-Type"] = "application/geo+json"
    return response


def register(router) -> None:
    router.register("risks", RiskSourceViewSet, basename="risksource")
    router.register("risk-assessments", RiskAssessmentViewSet, basename="riskassessment")
