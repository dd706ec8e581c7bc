"""API of hidden hazards (``/api/hazards/``) and their rectification loop.

Create = report (status found). Each step is an action that returns the hazard: ``assign``,
``start``, ``rectify`` (multipart, photo required), ``verify``, ``reopen``, ``comment``. A step the
status does not allow answers 400 with the reason; a step the user may not take answers 403.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.choices import LabelField
from resilience.people.models import Organisation
from resilience.places.models import Community
from resilience.risks import filtersets_inspections as filtersets
from resilience.risks import hazards as services
from resilience.risks.hazards import Target
from resilience.risks.models import Hazard, HazardEvent

# Set by ``assign`` and the other steps, never by editing the hazard.
STEP_FIELDS = ("community", "source", "responsible", "deadline")


class HazardEventSerializer(serializers.ModelSerializer):
    user_name = serializers.SerializerMethodField()
    action_label = LabelField("action")

    class Meta:
        model = HazardEvent
        fields = ["id", "time", "user", "user_name", "action", "action_label", "from_status",
                  "to_status", "note", "photo"]

    def get_user_name(self, obj) -> str:
        return str(obj.user) if obj.user_id else ""


class HazardSerializer(ScopedSerializer):
    status_label = LabelField("status")
    severity_label = LabelField("severity")
    responsible_name = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    community = serializers.PrimaryKeyRelatedField(
        queryset=Community.objects.all(), required=False,
        help_text="Taken from the facility, building, risk source or grid if omitted.")

    class Meta:
        model = Hazard
        fields = ["id", "community", "grid", "building", "facility", "risk", "answer", "source",
                  "title", "description", "severity", "severity_label", "status", "status_label",
                  "responsible", "responsible_name", "assignee", "assignee_name", "deadline",
                  "overdue", "found_by", "found_at", "rectified_at", "verified_at", "verified_by",
                  "escalation_level", "escalated_at", "latitude", "longitude", "photo",
                  "created", "updated"]
        read_only_fields = ["answer", "status", "assignee", "found_by", "found_at",
                            "rectified_at", "verified_at", "verified_by", "escalation_level",
                            "escalated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, tuple)) \
                and hasattr(self.instance, "pk"):
            for name in STEP_FIELDS:
                fields[name].read_only = True
        return fields

    def get_responsible_name(self, obj) -> str:
        return str(obj.responsible) if obj.responsible_id else ""

    def get_assignee_name(self, obj) -> str:
        return str(obj.assignee) if obj.assignee_id else ""

    def get_overdue(self, obj) -> bool:
        return bool(obj.deadline and obj.status in services.OPEN_STATUSES
                    and obj.deadline < timezone.localdate())

    def validate(self, attrs):
        if self.instance is None and not attrs.get("community"):
            places = {name: attrs.get(name) for name in ("facility", "building", "risk", "grid")}
            if not any(places.values()):
                raise serializers.ValidationError({"community": [_("This field is required.")]})
            attrs["community"] = Community.objects.get(pk=Target.of(**places).community_id)
        return super().validate(attrs)


class HazardDetailSerializer(HazardSerializer):
    events = HazardEventSerializer(many=True, read_only=True)

    class Meta(HazardSerializer.Meta):
        fields = HazardSerializer.Meta.fields + ["events"]


class AssignSerializer(serializers.Serializer):
    responsible = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.none(),
                                                     required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none(),
                                                  required=False, allow_null=True)
    deadline = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["responsible"].queryset = Organisation.objects.visible_to(getattr(request, "user", None))
        fields["assignee"].queryset = get_user_model().objects.filter(is_active=True)
        return fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField()


class RectifySerializer(serializers.Serializer):
    note = serializers.CharField(help_text="What was done.")
    photo = serializers.FileField(help_text="A photo of the result, as evidence.")


class CommentSerializer(serializers.Serializer):
    note = serializers.CharField()
    photo = serializers.FileField(required=False)


class HazardViewSet(ScopedViewSet):
    model = Hazard
    serializer_class = HazardSerializer
    filterset_class = filtersets.HazardFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    RIGHTS = {"assign": "change", "start": "change", "rectify": "change", "verify": "verify",
              "reopen": "verify", "comment": "view"}

    def scope_action(self) -> str:
        return self.RIGHTS.get(self.action) or super().scope_action()

    def get_serializer_class(self):
        return HazardDetailSerializer if self.action == "retrieve" else HazardSerializer

    def optimise(self, queryset):
        queryset = queryset.select_related("responsible", "assignee")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("events__user")
        return queryset

    @extend_schema(summary="Report a hazard (status found)")
    def create(self, request, *args, **kwargs):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        hazard = services.report(request.user, **given.validated_data)
        return Response(self._detail(hazard), status=status.HTTP_201_CREATED)

    def _detail(self, hazard: Hazard) -> dict:
        fresh = Hazard.objects.select_related("responsible", "assignee").prefetch_related(
            "events__user").get(pk=hazard.pk)
        return HazardDetailSerializer(fresh, context=self.get_serializer_context()).data

    def _step(self, request, serializer_class, step):
        hazard = self.get_object()
        given = serializer_class(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        step(hazard, request.user, **given.validated_data)
        return Response(self._detail(hazard))

    @extend_schema(request=AssignSerializer, responses=HazardDetailSerializer,
                   summary="Assign (or re-assign) the hazard with a deadline")
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._step(request, AssignSerializer, services.assign)

    @extend_schema(request=NoteSerializer, responses=HazardDetailSerializer,
                   summary="Start rectifying")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._step(request, NoteSerializer, services.start)

    @extend_schema(request={"multipart/form-data": RectifySerializer}, responses=HazardDetailSerializer,
                   summary="Rectified, with a photo as evidence")
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        return self._step(request, RectifySerializer, services.rectify)

    @extend_schema(request=NoteSerializer, responses=HazardDetailSerializer,
                   summary="Verification passed (staff, street office)")
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._step(request, NoteSerializer, services.verify)

    @extend_schema(request=RequiredNoteSerializer, responses=HazardDetailSerializer,
                   summary="Verification failed: back to rectifying")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._step(request, RequiredNoteSerializer, services.reopen)

    @extend_schema(request=CommentSerializer, responses=HazardDetailSerializer,
                   summary="Comment on the hazard")
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        return self._step(request, CommentSerializer, services.comment)


def register(router) -> None:
    router.register("hazards", HazardViewSet, basename="hazard")
