"""``/api/alerts/``: drafts are written through CRUD; every other step is an action.

Create makes a draft (identifier, sender and author set by the server); change and delete are
allowed on drafts only. ``submit``, ``approve``, ``issue``, ``update``, ``cancel`` follow
``alerts.services``; ``recipients`` counts who the alert reaches and lists the first 100;
``board`` counts who was reached and who acknowledged (in the reader's scope).

``/api/alert-recipients/`` (with ``acknowledge``), ``/api/deliveries/`` and
``/api/alert-endpoints/`` follow; see their viewsets.
"""
from __future__ import annotations

from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.alerts import delivery, services, targeting
from resilience.alerts.filtersets import (AlertRecipientFilterSet, DeliveryFilterSet,
                                          EndpointFilterSet, status_of)
from resilience.alerts.forms import mask_url
from resilience.alerts.models import Alert, AlertEvent, AlertRecipient, Delivery, Endpoint
from resilience.alerts.views.board import recipients_of
from resilience.alerts.vocab import AckMethod, State
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


class AlertNoteSerializer(serializers.Serializer):
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

    @extend_schema(request=AlertNoteSerializer, responses=AlertSerializer,
                   summary="Approve a pending alert and issue it")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        note = AlertNoteSerializer(data=request.data)
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

    @extend_schema(request=AlertNoteSerializer, responses=AlertSerializer,
                   summary="Cancel an alert (an issued one gets a Cancel message)")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        note = AlertNoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        return self._result(services.cancel(self.get_object(), request.user,
                                            note.validated_data["note"]))

    @extend_schema(responses=dict, summary="Live board: reached, acknowledged, by channel, "
                                           "grid and building")
    @action(detail=True, methods=["get"])
    def board(self, request, pk=None):
        alert = self.get_object()
        return Response(delivery.board(alert, recipients_of(alert, request.user)))

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


class AlertRecipientSerializer(serializers.ModelSerializer):
    """Who an alert reached and whether they acknowledged: the name, never contact details."""

    status = serializers.SerializerMethodField()

    class Meta:
        model = AlertRecipient
        fields = ("id", "alert", "kind", "name", "reason", "priority", "vulnerable", "grid",
                  "building", "status", "reached_at", "acknowledged_at", "ack_method",
                  "acknowledged_by", "needs_help", "ack_note")
        read_only_fields = fields

    def get_status(self, obj) -> str:
        return status_of(obj)


class AcknowledgeSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=[AckMethod.APP, AckMethod.CALL, AckMethod.VISIT])
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    needs_help = serializers.BooleanField(required=False, default=False)


class AlertRecipientViewSet(viewsets.ReadOnlyModelViewSet):
    """The recipients of alerts in the user's scope (a resident: their own receipts)."""

    serializer_class = AlertRecipientSerializer
    filterset_class = AlertRecipientFilterSet

    def get_queryset(self):
        return delivery.ordered(AlertRecipient.objects.visible_to(self.request.user, "view"))

    @extend_schema(request=AcknowledgeSerializer, responses=AlertRecipientSerializer,
                   summary="Acknowledge: 'app' for one's own receipt; 'call' or 'visit' when "
                           "staff or a grid worker reached the person")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        recipient = self.get_object()
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        method = data.validated_data["method"]
        own = recipient.user_id == request.user.pk
        if method == AckMethod.APP and not own:
            raise serializers.ValidationError({"method": [
                _("'app' is for your own receipt; use 'call' or 'visit' to record that you "
                  "reached this person.")]})
        if method != AckMethod.APP:
            if own:
                raise serializers.ValidationError({"method": [
                    _("Acknowledge your own receipt with 'app'.")]})
            if not AlertRecipient.objects.visible_to(request.user, "change").filter(
                    pk=recipient.pk).exists():
                raise PermissionDenied(_("You may not mark this person's acknowledgement."))
        first = delivery.acknowledge(recipient, method, by=request.user,
                                     note=data.validated_data["note"],
                                     needs_help=data.validated_data["needs_help"])
        body = self.get_serializer(recipient).data
        return Response({**body, "first": first})


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ("id", "alert", "recipient", "channel", "priority", "status", "attempts",
                  "next_attempt_at", "sent_at", "provider_ref", "last_error")
        read_only_fields = fields


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Messages per recipient and channel, for the recipients the user may view."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet

    def get_queryset(self):
        visible = AlertRecipient.objects.visible_to(self.request.user, "view")
        return Delivery.objects.filter(recipient__in=visible.values("pk")).order_by("-pk")


class EndpointSerializer(ScopedSerializer):
    """``url`` and ``secret`` are write-only: reads give ``url_masked`` and ``has_secret``.
    On a change, leaving ``url`` or ``secret`` out keeps it; ``"secret": ""`` removes it."""

    url = serializers.CharField(write_only=True, validators=[URLValidator(schemes=["http",
                                                                                   "https"])])
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                   trim_whitespace=True)
    url_masked = serializers.SerializerMethodField()
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = Endpoint
        fields = ("id", "community", "name", "channel", "url", "url_masked", "secret",
                  "has_secret", "lowest_level", "language", "active", "created", "updated")
        read_only_fields = ("created", "updated")

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["url"].required = False
        return fields

    def get_url_masked(self, obj) -> str:
        return mask_url(obj.url)

    def get_has_secret(self, obj) -> bool:
        return bool(obj.secret)


class EndpointViewSet(ScopedViewSet):
    model = Endpoint
    serializer_class = EndpointSerializer
    filterset_class = EndpointFilterSet

    def optimise(self, queryset):
        return queryset.select_related("community")


def register(router) -> None:
    router.register("alerts", AlertViewSet, basename="alert")
    router.register("alert-recipients", AlertRecipientViewSet, basename="alertrecipient")
    router.register("deliveries", DeliveryViewSet, basename="delivery")
    router.register("alert-endpoints", EndpointViewSet, basename="alertendpoint")

