"""API of the sensors: ``/api/sensors/`` (each with its code and its community's code, status and
latest reading), ``?format=geojson`` for the map layer, coloured by open alarm or status."""
from __future__ import annotations

from django.db.models import Min
from django.urls import NoReverseMatch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.geojson import GeoJSONMixin
from resilience.core.choices import LabelField
from resilience.core.geo import point
from resilience.monitoring import filtersets
from resilience.monitoring.models import Alarm, Sensor
from resilience.monitoring.vocab import LEVEL_COLOUR

LEVEL_HEX = {1: "#d1242f", 2: "#f0883e", 3: "#e3b341", 4: "#0969da"}  # I red … IV blue
STATUS_HEX = {"online": "#1a7f37", "stale": "#9a6700", "offline": "#8c959f", "fault": "#8250df"}


class SensorSerializer(ScopedSerializer):
    community_code = serializers.CharField(source="community.code", read_only=True)
    kind_label = LabelField("kind")
    status_label = LabelField("status")
    unit = serializers.CharField(read_only=True)

    class Meta:
        model = Sensor
        fields = ["id", "code", "name", "community", "community_code", "grid", "building",
                  "facility", "risk", "kind", "kind_label", "unit", "latitude", "longitude",
                  "owner", "interval_seconds", "status", "status_label", "battery", "last_time",
                  "last_value", "active", "created", "updated"]
        read_only_fields = ["status", "last_time", "last_value"]


def open_alarm_levels(sensor_ids) -> dict[int, int]:
    """The most severe open alarm level (1 = I, red) of each sensor that has one."""
    rows = (Alarm.objects.filter(status=Alarm.Status.OPEN, sensor_id__in=sensor_ids)
            .values("sensor_id").annotate(level=Min("level")))
    return {row["sensor_id"]: row["level"] for row in rows}


def sensor_colour(status: str, level: int | None) -> str:
    """Red/orange/yellow/blue for the worst open alarm, else the status colour."""
    if level is not None:
        return LEVEL_HEX.get(level, "#d1242f")
    return STATUS_HEX.get(status, "#8c959f")


def sensor_feature(sensor: Sensor, level: int | None = None) -> dict:
    try:
        url = sensor.get_absolute_url()
    except NoReverseMatch:
        url = ""
    geometry = (point(sensor.latitude, sensor.longitude)
                if sensor.latitude is not None and sensor.longitude is not None else None)
    return {"type": "Feature", "id": sensor.pk, "geometry": geometry, "properties": {
        "id": sensor.pk, "code": sensor.code, "name": sensor.name, "kind": sensor.kind,
        "kind_label": str(sensor.get_kind_display()), "unit": sensor.unit,
        "status": sensor.status, "status_label": str(sensor.get_status_display()),
        "last_value": sensor.last_value,
        "last_time": sensor.last_time.isoformat() if sensor.last_time else None,
        "battery": sensor.battery, "alarm_level": level,
        "alarm_colour": LEVEL_COLOUR.get(level, "") if level else "",
        "colour_hex": sensor_colour(sensor.status, level), "community": sensor.community_id,
        "grid": sensor.grid_id, "url": url,
    }}


def feature_collection(queryset) -> dict:
    """The located sensors of ``queryset`` as a FeatureCollection (only the fields it needs)."""
    sensors = list(queryset.filter(latitude__isnull=False, longitude__isnull=False)
                   .only("pk", "code", "name", "kind", "status", "last_value", "last_time",
                         "battery", "latitude", "longitude", "community_id", "grid_id"))
    levels = open_alarm_levels([s.pk for s in sensors])
    return {"type": "FeatureCollection",
            "features": [sensor_feature(s, levels.get(s.pk)) for s in sensors]}


class SensorViewSet(GeoJSONMixin, ScopedViewSet):
    """Sensors in the user's scope, with their latest reading; ``?format=geojson`` for the map."""

    model = Sensor
    serializer_class = SensorSerializer
    filterset_class = filtersets.SensorFilterSet

    def optimise(self, queryset):
        return queryset.select_related("community").defer("community__geometry")

    def geojson_collection(self, queryset) -> dict:
        return feature_collection(queryset)

    def geojson_feature(self, obj) -> dict:
        return sensor_feature(obj, open_alarm_levels([obj.pk]).get(obj.pk))

    @extend_schema(responses=OpenApiTypes.OBJECT, description=(
        "The sensor's forecasts towards the limits of the rules that watch it, soonest first "
        "(seconds to the crossing with a 90 % range, the trend per minute, a sentence), and the "
        "anomaly score of its latest reading against its baseline."))
    @action(detail=True, methods=["get"])
    def forecast(self, request, pk=None):
        from resilience.monitoring.forecast import sensor_outlook

        return Response(sensor_outlook(self.get_object()))


def register(router) -> None:
    router.register("sensors", SensorViewSet, basename="sensor")

