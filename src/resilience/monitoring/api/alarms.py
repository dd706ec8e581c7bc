"""API of rules (``/api/rules/``) and alarms (``/api/alarms/``).

Rules: community staff create and change their community's rules; the platform rules (community
empty) are shown to every member, read-only. ``params`` are checked against the rule type: a bad
one answers 400 naming ``params`` and nothing is written. Alarms are made by the rules engine,
never by hand: the API lists them (``?open=true``, ``level=1,2``, ``sensor_code=…``) and
``POST /api/alarms/{id}/acknowledge/`` records that someone has seen one.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.choices import LabelField
from resilience.monitoring import alarms as services
from resilience.monitoring import filtersets_alarms as filtersets
from resilience.monitoring.models import Alarm, Rule
from resilience.monitoring.vocab import LEVEL_COLOUR
from resilience.places.models import Community


class RuleSerializer(ScopedSerializer):
    shared = serializers.BooleanField(read_only=True, help_text="A platform rule (read-only).")
    kind_label = LabelField("kind")
    level_label = LabelField("level")
    params = serializers.JSONField(help_text=(
        'threshold {"op": "above"|"below", "value": x, "clear": y, "for_seconds": s?}; '
        'rate {"delta": d, "seconds": s}; stale {"intervals": n}; '
        'combination {"all": [rule ids]} or {"any": [...]}; '
        'predictive {"op", "value", "arm", "horizon", "clear"?, "window"?, "min_points"?}; '
        'anomaly {"z", "clear"?, "direction"?}; upstream {"events", "min_level"?, "op", '
        '"value", "clear"?, "rise"?, "window"?, "min_points"?} (docs/prediction.md).'))
    community = serializers.PrimaryKeyRelatedField(
        queryset=Community.objects.all(), required=False, allow_null=True,
        help_text="Taken from the sensor if omitted.")

    class Meta:
        model = Rule
        fields = ["id", "community", "shared", "sensor", "sensor_kind", "facility_kind", "name",
                  "kind", "kind_label", "params", "level", "level_label", "auto_alert", "active",
                  "created", "updated"]

    def validate(self, attrs):
        sensor = attrs.get("sensor", getattr(self.instance, "sensor", None))
        if self.instance is None and not attrs.get("community"):
            if sensor is not None:
                attrs["community"] = sensor.community
            else:
                request = self.context.get("request")
                if not getattr(getattr(request, "user", None), "is_superuser", False):
                    raise serializers.ValidationError(
                        {"community": [_("Choose the community, or a sensor.")]})
        return super().validate(attrs)


class RuleViewSet(ScopedViewSet):
    """Alarm rules: the community's own (editable by its staff) and the platform's (read-only)."""

    model = Rule
    serializer_class = RuleSerializer
    filterset_class = filtersets.RuleFilterSet

    def optimise(self, queryset):
        return queryset.select_related("community", "sensor").defer("community__geometry")


class AlarmSerializer(serializers.ModelSerializer):
    community_code = serializers.CharField(source="community.code", read_only=True)
    sensor_code = serializers.CharField(source="sensor.code", read_only=True)
    sensor_name = serializers.CharField(source="sensor.name", read_only=True)
    unit = serializers.CharField(source="sensor.unit", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    rule_kind = serializers.CharField(source="rule.kind", read_only=True)
    auto_alert = serializers.BooleanField(source="rule.auto_alert", read_only=True)
    level_label = LabelField("level")
    colour = serializers.SerializerMethodField()
    status_label = LabelField("status")
    acknowledged_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Alarm
        fields = ["id", "community", "community_code", "sensor", "sensor_code", "sensor_name",
                  "rule", "rule_name", "rule_kind", "auto_alert", "level", "level_label",
                  "colour", "status", "status_label", "message", "value", "unit", "opened_at",
                  "last_seen_at", "cleared_at", "acknowledged_by", "acknowledged_by_name",
                  "acknowledged_at"]
        read_only_fields = fields

    def get_colour(self, obj) -> str:
        return LEVEL_COLOUR.get(obj.level, "")

    def get_acknowledged_by_name(self, obj) -> str:
        return str(obj.acknowledged_by) if obj.acknowledged_by_id else ""


class AlarmViewSet(ScopedViewSet):
    """Alarms raised by the rules in the user's scope, newest first (read-only)."""

    model = Alarm
    serializer_class = AlarmSerializer
    filterset_class = filtersets.AlarmFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def scope_action(self) -> str:
        return "change" if self.action == "acknowledge" else super().scope_action()

    def optimise(self, queryset):
        return queryset.select_related("community", "sensor", "rule", "acknowledged_by").defer(
            "community__geometry")

    @extend_schema(exclude=True)  # not offered: alarms are raised by the rules
    def create(self, request, *args, **kwargs):
        raise MethodNotAllowed("POST", detail=_("Alarms are raised by the rules, not by hand."))

    @extend_schema(request=None, responses={200: AlarmSerializer},
                   summary="Acknowledge an alarm: record that you have seen it")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alarm = services.acknowledge(self.get_object(), request.user)
        alarm = self.optimise(Alarm.objects.filter(pk=alarm.pk)).get()
        return Response(self.get_serializer(alarm).data)


def register(router) -> None:
    router.register("rules", RuleViewSet, basename="rule")
    router.register("alarms", AlarmViewSet, basename="alarm")
