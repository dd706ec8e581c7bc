"""The participation API: ``/api/notices/`` (with ``POST /api/notices/<id>/read/``) and
``/api/reports/`` (with ``POST /api/reports/<id>/triage/``). Residents read published notices of
their own places and see only their own reports; a refused triage is a 400 naming the field."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.errors import error_detail
from resilience.participation import services
from resilience.participation.filtersets import NoticeFilterSet, ReportFilterSet
from resilience.participation.models import Notice, Report
from resilience.participation.vocab import ReportOutcome
from resilience.response.vocab import Scenario


class NoticeSerializer(ScopedSerializer):
    state = serializers.SerializerMethodField()
    read_count = serializers.IntegerField(read_only=True)
    audience = serializers.IntegerField(read_only=True,
                                        help_text="Residents with accounts the notice reaches.")
    images = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = ("id", "community", "grid", "building", "title", "body", "pinned", "publish_at",
                  "expires_at", "state", "read_count", "audience", "images", "created_by",
                  "created", "updated")
        read_only_fields = ("created_by",)

    def get_state(self, notice) -> str:
        return notice.state()

    def get_images(self, notice) -> list[str]:
        from django.urls import reverse

        return [reverse("participation:notice_image", args=[notice.pk, a.pk])
                for a in notice.attachments.all()]


class NoticeViewSet(ScopedViewSet):
    model = Notice
    serializer_class = NoticeSerializer
    filterset_class = NoticeFilterSet

    def get_queryset(self):
        if self.scope_action() == "view":
            queryset = services.readable_notices(self.request.user)
        else:
            queryset = Notice.objects.visible_to(self.request.user, self.scope_action()).order_by(
                *services.ORDER)
        return services.with_read_counts(queryset.select_related("community", "grid", "building")
                                         .prefetch_related("attachments"))

    def perform_create(self, serializer):
        serializer.validated_data["created_by"] = self.request.user
        super().perform_create(serializer)

    @extend_schema(request=None, summary="Record that I opened the notice", responses=inline_serializer(
        "NoticeReadResult", {"read": serializers.BooleanField(), "first": serializers.BooleanField()}))
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Record that the requesting user opened the notice (counted once per user)."""
        notice = self.get_object()
        first = services.mark_read(notice, request.user)
        return Response({"read": True, "first": first})


class ReportSerializer(ScopedSerializer):
    class Meta:
        model = Report
        fields = ("id", "community", "reporter", "kind", "description", "photo", "latitude",
                  "longitude", "building", "grid", "status", "outcome", "triage_note", "hazard",
                  "incident", "triaged_by", "triaged_at", "created", "updated")
        read_only_fields = ("community", "reporter", "grid", "status", "outcome", "triage_note",
                            "hazard", "incident", "triaged_by", "triaged_at")

    # Blank until triaged; a read-only model field would leave "" out of the schema's enum.
    outcome = serializers.ChoiceField(choices=ReportOutcome.choices, allow_blank=True, read_only=True)


class TriageSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReportOutcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    scenario = serializers.ChoiceField(choices=Scenario.choices, required=False,
                                       default=Scenario.OTHER)


class ReportViewSet(ScopedViewSet):
    model = Report
    serializer_class = ReportSerializer
    filterset_class = ReportFilterSet
    parser_classes = (JSONParser, MultiPartParser, FormParser)
    http_method_names = ["get", "post", "delete", "head", "options"]

    def optimise(self, queryset):
        return queryset.select_related("community", "building", "reporter")

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            report = services.file_report(
                self.request.user, kind=data["kind"], description=data["description"],
                photo=data.get("photo"), latitude=data.get("latitude"),
                longitude=data.get("longitude"), building=data.get("building"))
        except ValidationError as exc:
            raise serializers.ValidationError(error_detail(exc))
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        serializer.instance = report

    @extend_schema(request=TriageSerializer, responses=ReportSerializer,
                   summary="Triage: hazard, incident, need noted or dismissed")
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """Make the report a hazard, an incident, a noted need, or dismiss it (with a reason)."""
        report = self.get_object()
        if not services.can(request.user, "change", report):
            raise PermissionDenied(_("You may not triage this report."))
        form = TriageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            services.triage(report, request.user, **form.validated_data)
        except ValidationError as exc:
            return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response(ReportSerializer(report, context=self.get_serializer_context()).data)


def register(router) -> None:
    router.register("notices", NoticeViewSet, basename="notice")
    router.register("reports", ReportViewSet, basename="report")

    from resilience.participation import api_consultations

    api_consultations.register(router)

    from resilience.participation import api_learning

    api_learning.register(router)
