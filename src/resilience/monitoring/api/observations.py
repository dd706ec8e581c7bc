"""Observations over HTTP (``/api/observations/``) and the dead letters (``/api/dead-letters/``).

``POST /api/observations/`` takes the MQTT payload — one object or a list of
``{"sensor": <code>, "time": <ISO 8601 with offset>, "value": <number>}`` — and runs it through
the same pipeline (``monitoring.ingest``). It answers
``{"stored": n, "duplicates": n, "dead_letters": n, "errors": [{"index", "sensor", "reason"}]}``:

- **200** every reading was stored or was already stored (a resend is a no-op);
- **207** some readings were refused: they are in the dead letters, listed in ``errors``; the
  others are stored;
- **400** the body is not readings (not JSON, not an object or list, empty, too many), or every
  reading was refused; nothing is stored;
- **403** a reading names a sensor the user may see but not post for (a property company posts
  only for its own sensors): the whole request is refused and nothing is stored or dead-lettered,
  because it is a client's mistake of scope, not a device fault. A code the user cannot even see
  is treated as an unknown sensor, so codes of other communities are not revealed;
- **503** the database is unavailable; nothing is stored, send again.
"""
from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.db import Error as DatabaseFailure
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.core.scope import can_any
from resilience.monitoring import filtersets_observations as filtersets
from resilience.monitoring import ingest
from resilience.monitoring.models import DeadLetter, Observation, Sensor

MAX_READINGS = 10_000  # per request; larger uploads are split by the client


class ObservationSerializer(serializers.ModelSerializer):
    sensor = serializers.CharField(source="sensor.code", read_only=True)

    class Meta:
        model = Observation
        fields = ["sensor", "time", "value"]


class ReadingSerializer(serializers.Serializer):
    """One reading as posted (documentation of the request body)."""

    sensor = serializers.CharField(help_text="sensor code")
    time = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset or Z")
    value = serializers.FloatField()


IngestSummary = inline_serializer("IngestSummary", {
    "stored": serializers.IntegerField(),
    "duplicates": serializers.IntegerField(),
    "dead_letters": serializers.IntegerField(),
    "errors": serializers.ListField(child=serializers.DictField()),
})


def summary(result: ingest.IngestResult | None = None, errors: list | None = None) -> dict:
    result = result or ingest.IngestResult()
    rendered = [{"index": e["index"], "sensor": e["sensor"], "reason": e["reason"].translated()}
                for e in result.errors]
    return {"stored": result.stored, "duplicates": result.duplicates,
            "dead_letters": result.dead_letters, "errors": rendered + (errors or [])}


def _bad_request(reason: str) -> Response:
    return Response(summary(errors=[{"index": None, "sensor": "", "reason": reason}]),
                    status=status.HTTP_400_BAD_REQUEST)


class ObservationViewSet(mixins.CreateModelMixin, mixins.ListModelMixin,
                         viewsets.GenericViewSet):
    """Readings of the sensors the user may see; post readings of the sensors they may ingest."""

    serializer_class = ObservationSerializer
    filterset_class = filtersets.ObservationFilterSet

    def get_queryset(self):
        sensors = Sensor.objects.visible_to(self.request.user, "view")
        return (Observation.objects.filter(sensor__in=sensors.values("pk"))
                .select_related("sensor").order_by("-time", "sensor_id"))

    @extend_schema(
        request=ReadingSerializer(many=True),
        responses={200: IngestSummary, 207: IngestSummary, 400: IngestSummary,
                   403: OpenApiResponse(description="a reading names a sensor out of scope"),
                   503: OpenApiResponse(description="database unavailable; send again")},
        examples=[OpenApiExample("readings", request_only=True, value=[
            {"sensor": "temp-power-room-1", "time": "2025-06-01T08:00:00+08:00", "value": 31.5}])],
    )
    def create(self, request, *args, **kwargs):
        if not can_any(request.user, "ingest", Sensor):
            raise PermissionDenied(_("You may not post sensor readings."))
        try:
            body = request.body
        except RequestDataTooBig:
            return _bad_request(_("The body is too large: send at most %(n)d readings per "
                                  "request.") % {"n": MAX_READINGS})
        try:
            items = ingest.parse(body)
        except ingest.PayloadError as exc:
            return _bad_request(exc.refusal.translated())
        if len(items) > MAX_READINGS:
            return _bad_request(_("Too many readings: at most %(n)d per request.")
                                % {"n": MAX_READINGS})
        forbidden, allowed = self._scope(items)
        if forbidden:
            body = summary(errors=[{"index": None, "sensor": code,
                                    "reason": _("You may not post readings of sensor %(code)s.")
                                    % {"code": code}} for code in forbidden])
            body["detail"] = _("Some readings name sensors you may not post for; nothing was "
                               "stored.")
            return Response(body, status=status.HTTP_403_FORBIDDEN)
        batch = ingest.Batch("http", allowed=allowed)
        batch.add_items(items)
        try:
            result = ingest.store(batch)
        except DatabaseFailure:
            return Response({"detail": _("The database is unavailable; send the readings again "
                                         "later.")}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        if result.dead_letters == 0:
            code = status.HTTP_200_OK
        elif result.stored or result.duplicates:
            code = status.HTTP_207_MULTI_STATUS
        else:
            code = status.HTTP_400_BAD_REQUEST
        return Response(summary(result), status=code)

    def _scope(self, items: list) -> tuple[list[str], set[int]]:
        """(codes of sensors the user may view but not ingest, ids of those they may ingest).

        A sensor the user cannot even view is neither: the pipeline calls it unknown.
        """
        codes = {item["sensor"] for item in items
                 if isinstance(item, dict) and isinstance(item.get("sensor"), str)
                 and ingest.CODE.fullmatch(item["sensor"])}
        if not codes:
            return [], set()
        user = self.request.user
        allowed = dict(Sensor.objects.visible_to(user, "ingest").filter(code__in=codes)
                       .values_list("code", "pk"))
        rest = codes - allowed.keys()
        visible = set(Sensor.objects.visible_to(user, "view").filter(code__in=rest)
                      .values_list("code", flat=True)) if rest else set()
        return sorted(visible), set(allowed.values())


class DeadLetterSerializer(serializers.ModelSerializer):
    community_code = serializers.CharField(source="community.code", read_only=True, default="")

    class Meta:
        model = DeadLetter
        fields = ["id", "received_at", "source", "topic", "sensor_code", "community",
                  "community_code", "reason", "payload"]


class DeadLetterViewSet(viewsets.ReadOnlyModelViewSet):
    """Refused payloads and readings with the reason: community staff see their community's."""

    serializer_class = DeadLetterSerializer
    filterset_class = filtersets.DeadLetterFilterSet

    def get_queryset(self):
        return DeadLetter.objects.visible_to(self.request.user, "view").select_related("community")


def register(router) -> None:
    router.register("observations", ObservationViewSet, basename="observation")
    router.register("dead-letters", DeadLetterViewSet, basename="deadletter")
