"""The health API: ``/api/health/archives/`` (with nested conditions, medications, devices and
consents, ``GET …/<id>/fhir/`` and ``POST …/import-fhir/``), ``/api/health/followups/`` (with
``POST …/<id>/record/`` and ``GET …/overdue/``), ``/api/health/screenings/`` (with
``POST …/<id>/answers/``) and ``/api/health/referrals/`` (with ``POST …/<id>/advance/``).

Only health workers of the community and admins reach them (residents read their own archive);
every archive read is written to the access log; bad input is a 400 naming the field.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.errors import error_detail
from resilience.core.views.generic import client_ip
from resilience.health import fhir
from resilience.health.filtersets import (
    FollowUpFilterSet, HealthArchiveFilterSet, ReferralFilterSet,
)
from resilience.health.models import (
    Condition, Consent, Device, FollowUp, HealthArchive, Medication, Referral, Screening,
)
from resilience.health.services import archives, care, screening
from resilience.health.vocab import CareNeed, ReferralStatus
from resilience.people.models import Resident


class ConditionSerializer(serializers.ModelSerializer):
    code = serializers.CharField(help_text="ICD-10 code from the curated list, e.g. I10, E11.")
    display = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Condition
        fields = ("id", "system", "code", "display", "onset", "status", "note")
        read_only_fields = ("system",)


class MedicationSerializer(serializers.ModelSerializer):
    name = serializers.CharField()
    dose = serializers.CharField(required=False, allow_blank=True)
    runs_out_on = serializers.DateField(read_only=True)

    class Meta:
        model = Medication
        fields = ("id", "name", "dose", "days_supply", "recorded_on", "runs_out_on")


class DeviceSerializer(serializers.ModelSerializer):
    note = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Device
        fields = ("id", "device_type", "needs_power", "battery_hours", "note")


class ConsentSerializer(serializers.ModelSerializer):
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = ("id", "purpose", "granted_on", "withdrawn_on", "is_current")


class HealthArchiveSerializer(ScopedSerializer):
    """An archive with its parts; on create/update the nested lists replace the archive's."""

    care_needs = serializers.ListField(child=serializers.ChoiceField(choices=CareNeed.choices),
                                       required=False)
    allergies = serializers.CharField(required=False, allow_blank=True)
    family_doctor = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    conditions = ConditionSerializer(many=True, required=False)
    medications = MedicationSerializer(many=True, required=False)
    devices = DeviceSerializer(many=True, required=False)
    consents = ConsentSerializer(many=True, required=False)
    tags = serializers.SerializerMethodField(help_text="The resident's vulnerability tags.")

    class Meta:
        model = HealthArchive
        fields = ("id", "community", "resident", "mobility", "care_needs", "allergies",
                  "family_doctor", "clinic", "notes", "conditions", "medications", "devices",
                  "consents", "tags", "created", "updated")
        read_only_fields = ("community",)

    NESTED = {"conditions": Condition, "medications": Medication, "devices": Device,
              "consents": Consent}

    def get_tags(self, archive) -> list[str]:
        return archive.resident.tags

    def validate(self, attrs):
        nested = {name: attrs.pop(name) for name in list(self.NESTED) if name in attrs}
        care_needs = attrs.pop("care_needs", None)
        resident = attrs.get("resident") or (self.instance.resident if self.instance else None)
        if resident is not None:
            attrs["community"] = resident.community
        attrs = super().validate(attrs)
        errors = {}
        for name, items in nested.items():
            model = self.NESTED[name]
            codes = set()
            for index, item in enumerate(items):
                part = model(**item)
                try:
                    part.clean()
                except ValidationError as exc:
                    for field, texts in exc.message_dict.items():
                        errors[f"{name}.{index}.{field}"] = texts
                    continue
                if model is Condition:
                    if part.code in codes:
                        errors[f"{name}.{index}.code"] = [_("This condition is listed twice.")]
                    codes.add(part.code)
                    item["display"] = part.display  # filled from the code list when blank
                item.update({k: getattr(part, k) for k in item})
        if errors:
            raise serializers.ValidationError(errors)
        attrs["_nested"] = nested
        if care_needs is not None:
            attrs["_care_needs"] = care_needs
        return attrs

    def _save(self, instance, validated_data):
        nested = validated_data.pop("_nested", {})
        care_needs = validated_data.pop("_care_needs", None)
        if care_needs is not None:
            instance.care_needs = care_needs
        if instance.pk is None:
            request = self.context.get("request")
            instance.created_by = getattr(request, "user", None)
        instance = super()._save(instance, validated_data)
        for name, items in nested.items():
            getattr(instance, name).all().delete()
            for item in items:
                self.NESTED[name].objects.create(archive=instance, **item)
        archives.rederive_tags(instance)
        instance.resident.refresh_from_db()  # the response shows the re-derived tags
        return instance


class ImportSerializer(serializers.Serializer):
    resident = serializers.PrimaryKeyRelatedField(queryset=Resident.objects.all())
    bundle = serializers.JSONField(help_text="A FHIR R4/R4B Bundle (collection).")

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["resident"].queryset = Resident.objects.visible_to(getattr(request, "user", None),
                                                                   "view")
        return fields


class HealthArchiveViewSet(ScopedViewSet):
    model = HealthArchive
    serializer_class = HealthArchiveSerializer
    filterset_class = HealthArchiveFilterSet

    def optimise(self, queryset):
        return queryset.select_related("resident", "community").prefetch_related(
            "conditions", "medications", "devices", "consents")

    def _log(self, objs, channel="api"):
        from resilience.core.services import log_bulk_reveal

        log_bulk_reveal(self.request.user, objs, archives.ARCHIVE_FIELDS, channel=channel)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        self._log(rows)  # every archive shown is a read
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        archive = self.get_object()
        archives.read_archive(request.user, archive, channel="api", ip=client_ip(request))
        return Response(self.get_serializer(archive).data)

    @extend_schema(summary="Export the archive as a FHIR R4B Bundle", responses={
        200: OpenApiResponse(description="A FHIR Bundle (collection)."),
        403: OpenApiResponse(description="No current consent to FHIR export.")})
    @action(detail=True, methods=["get"], url_path="fhir")
    def fhir_export(self, request, pk=None):
        """The archive as a FHIR Bundle; refused without a current "FHIR export" consent."""
        archive = self.get_object()
        try:
            bundle = fhir.export_archive(request.user, archive, ip=client_ip(request))
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response(bundle, content_type="application/fhir+json")

    @extend_schema(request=ImportSerializer, responses=HealthArchiveSerializer,
                   summary="Import a FHIR Bundle into a resident's archive (all or nothing)")
    @action(detail=False, methods=["post"], url_path="import-fhir")
    def import_fhir(self, request):
        """Validate the Bundle with fhir.resources, map it, and write all of it or nothing."""
        form = ImportSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        try:
            archive = fhir.import_bundle(request.user, form.validated_data["resident"],
                                         form.validated_data["bundle"])
        except ValidationError as exc:
            return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response(HealthArchiveSerializer(archive, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class FollowUpSerializer(ScopedSerializer):
    outcome = serializers.CharField(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = ("id", "community", "resident", "care_plan", "referral", "kind",
                  "scheduled_on", "assignee", "done_at", "outcome", "next_on", "recorded_by",
                  "overdue")
        read_only_fields = ("community", "done_at", "next_on", "recorded_by")

    def get_overdue(self, followup) -> bool:
        return followup.is_overdue()

    def validate(self, attrs):
        resident = attrs.get("resident") or (self.instance.resident if self.instance else None)
        if resident is not None:
            attrs["community"] = resident.community
        return super().validate(attrs)


class RecordSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    next_on = serializers.DateField(required=False, allow_null=True, default=None)


class FollowUpViewSet(ScopedViewSet):
    model = FollowUp
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilterSet

    def optimise(self, queryset):
        return queryset.select_related("resident", "assignee")

    @extend_schema(request=RecordSerializer, responses=inline_serializer("FollowUpRecorded", {
        "followup": FollowUpSerializer(), "next": FollowUpSerializer(allow_null=True)}),
        summary="Record the follow-up's outcome; the next one is scheduled")
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        followup = self.get_object()
        form = RecordSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            done, following = care.record(request.user, followup, **form.validated_data)
        except ValidationError as exc:
            return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        context = self.get_serializer_context()
        return Response({"followup": FollowUpSerializer(done, context=context).data,
                         "next": FollowUpSerializer(following, context=context).data
                         if following else None})

    @extend_schema(responses=FollowUpSerializer(many=True),
                   summary="Open follow-ups past their date (?assignee=<user id>)")
    @action(detail=False, methods=["get"])
    def overdue(self, request):
        queryset = self.filter_queryset(care.overdue(request.user))
        page = self.paginate_queryset(queryset)
        data = self.get_serializer(page if page is not None else queryset, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class ScreeningSerializer(ScopedSerializer):
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    incident = serializers.IntegerField(source="round.incident_id", read_only=True)

    class Meta:
        model = Screening
        fields = ("id", "community", "round", "incident", "resident", "resident_name", "priority",
                  "phq9_total", "phq9_severity", "gad7_total", "gad7_severity", "urgent",
                  "screened_at", "screened_by")
        read_only_fields = fields


class AnswersSerializer(serializers.Serializer):
    phq9 = serializers.ListField(child=serializers.IntegerField(allow_null=True), max_length=9,
                                 help_text="Nine answers 0–3, in item order.")
    gad7 = serializers.ListField(child=serializers.IntegerField(allow_null=True), max_length=7,
                                 help_text="Seven answers 0–3, in item order.")


class StartRoundSerializer(serializers.Serializer):
    incident = serializers.IntegerField()


class ScreeningViewSet(ScopedViewSet):
    model = Screening
    serializer_class = ScreeningSerializer
    http_method_names = ["get", "post", "head", "options"]

    def optimise(self, queryset):
        return queryset.select_related("resident", "round")

    @extend_schema(request=StartRoundSerializer, responses={201: ScreeningSerializer(many=True)})
    def create(self, request, *args, **kwargs):
        """Start a screening round for a closed incident: ``{"incident": <id>}``."""
        from resilience.response.models import Incident

        form = StartRoundSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incident = Incident.objects.visible_to(request.user, "view").filter(
            pk=form.validated_data["incident"]).first()
        if incident is None:
            return Response({"incident": [_("No such incident in your community.")]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            round_ = screening.start_round(request.user, incident)
        except ValidationError as exc:
            return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        rows = round_.screenings.select_related("resident", "round")
        return Response(ScreeningSerializer(rows, many=True,
                                            context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=AnswersSerializer, responses=ScreeningSerializer,
                   summary="Record PHQ-9 and GAD-7 answers; scores and bands are computed")
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        item = self.get_object()
        form = AnswersSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            screening.record_screening(request.user, item, **form.validated_data)
        except ValidationError as exc:
            return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response(self.get_serializer(item).data)


class ReferralSerializer(ScopedSerializer):
    reason = serializers.CharField(required=False, allow_blank=True)
    outcome = serializers.CharField(read_only=True)

    class Meta:
        model = Referral
        fields = ("id", "community", "resident", "screening", "target", "status", "reason",
                  "outcome", "created_by", "accepted_at", "closed_at", "created")
        read_only_fields = ("community", "status", "created_by", "accepted_at", "closed_at")


class AdvanceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[ReferralStatus.ACCEPTED, ReferralStatus.CLOSED])
    outcome = serializers.CharField(required=False, allow_blank=True, default="")


class ReferralViewSet(ScopedViewSet):
    model = Referral
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def optimise(self, queryset):
        return queryset.select_related("resident")

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = screening.refer(
                self.request.user, data["resident"], target=data["target"],
                reason=data.get("reason", ""), screening=data.get("screening"))
        except ValidationError as exc:
            raise serializers.ValidationError(error_detail(exc))
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))

    @extend_schema(request=AdvanceSerializer, responses=ReferralSerializer,
                   summary="Accept or close the referral (closing needs the outcome)")
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        referral = self.get_object()
        form = AdvanceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            screening.advance_referral(request.user, referral, **form.validated_data)
        except ValidationError as exc:
            return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response(self.get_serializer(referral).data)


def register(router) -> None:
    router.register("health/archives", HealthArchiveViewSet, basename="health-archive")
    router.register("health/followups", FollowUpViewSet, basename="health-followup")
    router.register("health/screenings", ScreeningViewSet, basename="health-screening")
    router.register("health/referrals", ReferralViewSet, basename="health-referral")
