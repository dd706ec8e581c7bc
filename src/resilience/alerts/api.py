"""``/api/alerts/``: drafts are written through CRUD; every other step is an action.

Create makes a draft (identifier, sender and author set by the server); change and delete are
allowed on drafts only. ``submit``, ``approve``, ``issue``, ``update``, ``cancel`` follow
``alerts.services``; ``recipients`` counts who the alert reaches and lists the first 100.
"""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.alerts import services, targeting
from resilience.alerts.models import Alert, AlertEvent
from resilience.alerts.vocab import State
from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.scope import can

READ_ONLY = ("identifier", "sender", "msg_type", "references", "state", "source", "alarm",
             "upstream_identifier", "upstream_sender", "created_by", "approved_by",
             "approved_at", "issued_at", "cancelled_at", "created", "updated")


class AlertEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertEvent
        fields = ("time", "user", "action", "note")


class AlertSerializer(ScopedSerializer):
    colour = serializers.CharField(read_only=True)
    events = AlertEventSerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = ("id", "community", "identifier", "sender", "msg_type", "references", "state",
                  "exercise", "public", "source", "alarm", "level", "colour", "event_type",
                  "urgency", "certainty", "headline", "description", "instruction",
                  "headline_en", "description_en", "instruction_en", "effective", "expires",
                  "whole_community", "area_grids", "area_buildings", "area_geometry",
                  "area_circle", "area_description", "audience", "created_by", "approved_by",
                  "approved_at", "issued_at", "cancelled_at", "created", "updated", "events")
        read_only_fields = READ_ONLY

    def validate(self, attrs):
        attrs = super().validate(attrs)
        community = attrs.get("community") or getattr(self.instance, "community", None)
        for name in ("area_grids", "area_buildings"):
            if community and any(p.community_id != community.pk for p in attrs.get(name, ())):
                raise serializers.ValidationError(
                    {name: [_("Choose places of the alert's own community.")]})
        return attrs


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UpdateSerializer(serializers.Serializer):
    """The fields an update changes; the rest is copied from the alert it updates."""

    level = serializers.IntegerField(required=False)
    headline = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    instruction = serializers.CharField(required=False, allow_blank=True)
    headline_en = serializers.CharField(required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    instruction_en = serializers.CharField(required=False, allow_blank=True)
    effective = serializers.DateTimeField(required=False, allow_null=True)
    expires = serializers.DateTimeField(required=False, allow_null=True)
    audience = serializers.CharField(required=False)


class AlertViewSet(ScopedViewSet):
    model = Alert
    serializer_class = AlertSerializer
    filterset_fields = ("community", "state", "level", "msg_type", "source")

    def optimise(self, queryset):
        return queryset.prefetch_related("events", "area_grids", "area_buildings")

    def perform_create(self, serializer):
        with transaction.atomic():
            data = dict(serializer.validated_data)
            alert = services.draft(self.request.user, data.pop("community"), **data)
        serializer.instance = alert

    def perform_update(self, serializer):
        if serializer.instance.state != State.DRAFT:
            raise PermissionDenied(_("Only a draft can be edited; issue an update instead."))
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        if instance.state != State.DRAFT:
            raise PermissionDenied(_("Only a draft can be deleted; cancel an issued alert."))
        super().perform_destroy(instance)

    def _result(self, alert, status=200) -> Response:
        alert = Alert.objects.prefetch_related("events").get(pk=alert.pk)
        return Response(AlertSerializer(alert, context=self.get_serializer_context()).data,
                        status=status)

    @extend_schema(request=None, responses=AlertSerializer,
                   summary="Submit a draft (II/I: for approval; III/IV: issued)")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._result(services.submit(self.get_object(), request.user))

    @extend_schema(request=NoteSerializer, responses=AlertSerializer,
                   summary="Approve a pending alert and issue it")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        return self._result(services.approve(self.get_object(), request.user,
                                             note.validated_data["note"]))

    @extend_schema(request=None, responses=AlertSerializer, summary="Issue an alert")
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return self._result(services.issue(self.get_object(), request.user))

    @extend_schema(request=UpdateSerializer, responses=AlertSerializer,
                   summary="Update an issued alert: a new alert referencing it")
    @action(detail=True, methods=["post"], url_path="update")
    def update_alert(self, request, pk=None):
        changes = UpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        return self._result(services.update(self.get_object(), request.user,
                                            **changes.validated_data), status=201)

    @extend_schema(request=NoteSerializer, responses=AlertSerializer,
                   summary="Cancel an alert (an issued one gets a Cancel message)")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        return self._result(services.cancel(self.get_object(), request.user,
                                            note.validated_data["note"]))

    @extend_schema(responses=dict, summary="Who the alert reaches: counts and the first 100")
    @action(detail=True, methods=["get"])
    def recipients(self, request, pk=None):
        alert = self.get_object()
        if not can(request.user, "change", alert):
            raise PermissionDenied(_("Only staff of the community may see who an alert reaches."))
        found = targeting.recipients(alert)
        return Response({
            **targeting.summary(found),
            "first": [{"kind": r.kind, "name": r.name, "reason": r.reason,
                       "priority": r.priority, "resident": r.resident.pk if r.resident else None,
                       "user": r.user_id, "building": r.building_id, "grid": r.grid_id,
                       "helps": r.helps} for r in found[:100]],
        })


def register(router) -> None:
    router.register("alerts", AlertViewSet, basename="alert")

