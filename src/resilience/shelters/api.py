"""REST API: shelters (with check-in/check-out and open/close actions), stays, walking paths (with
block/unblock) and the evacuation plan of a community."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.geojson import GeoJSONMixin, GeoJSONRenderer
from resilience.core.scope import can
from resilience.people.models import Resident
from resilience.places.models import Community
from resilience.shelters import checkin, evacuation, graph
from resilience.shelters.filtersets import PathEdgeFilterSet, ShelterFilterSet, StayFilterSet
from resilience.shelters.models import EvacuationPlan, PathEdge, Shelter, Stay


def _raise(exc):
    if isinstance(exc, DjangoPermissionDenied):
        raise PermissionDenied(str(exc))
    raise serializers.ValidationError({"non_field_errors": exc.messages})


def with_occupancy(queryset):
    return queryset.select_related("facility", "facility__community").annotate(
        current=Count("stays", filter=Q(stays__checked_out_at__isnull=True))).order_by(
        "facility__community__name", "facility__code")


class ShelterSerializer(ScopedSerializer):
    name = serializers.CharField(source="facility.name", read_only=True)
    community = serializers.IntegerField(source="facility.community_id", read_only=True)
    # Null when unknown (no places counted, no floor area): the schema says so.
    capacity = serializers.IntegerField(source="facility.capacity", read_only=True, allow_null=True)
    area_capacity = serializers.IntegerField(read_only=True, allow_null=True)
    effective_capacity = serializers.IntegerField(read_only=True)
    occupancy = serializers.IntegerField(read_only=True)
    free_places = serializers.IntegerField(read_only=True)
    latitude = serializers.FloatField(source="facility.latitude", read_only=True, allow_null=True)
    longitude = serializers.FloatField(source="facility.longitude", read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True)  # changed by the open/close actions only

    class Meta:
        model = Shelter
        fields = ["id", "facility", "name", "community", "status", "capacity", "floor_area",
                  "area_capacity", "effective_capacity", "occupancy", "free_places", "has_water",
                  "has_toilets", "has_power", "has_medical", "is_accessible", "opened_at",
                  "closed_at", "latitude", "longitude", "notes"]
        read_only_fields = ["opened_at", "closed_at"]

    def validate_facility(self, value):
        if self.instance is not None and value != self.instance.facility:
            raise serializers.ValidationError(_("A shelter profile stays with its facility."))
        return value


class StaySerializer(ScopedSerializer):
    person = serializers.CharField(source="person_name", read_only=True)
    walk_in_phone = serializers.SerializerMethodField()

    class Meta:
        model = Stay
        fields = ["id", "shelter", "resident", "person", "walk_in_name", "walk_in_phone",
                  "incident_id", "checked_in_at", "checked_in_by", "checked_out_at",
                  "checked_out_by"]
        read_only_fields = fields

    def get_walk_in_phone(self, stay) -> str:
        from resilience.core import crypto

        return crypto.mask_phone(stay.walk_in_phone or "")


MAX_ID = 2**63 - 1  # the key column's range: a larger number is a 400 naming the field


class CheckInSerializer(serializers.Serializer):
    resident = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                      help_text="Exact ID number of a resident of the community.")
    walk_in_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    walk_in_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    incident_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)


class CheckOutSerializer(serializers.Serializer):
    stay = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ShelterViewSet(GeoJSONMixin, ScopedViewSet):
    model = Shelter
    serializer_class = ShelterSerializer
    filterset_class = ShelterFilterSet

    def optimise(self, queryset):
        return with_occupancy(queryset)

    def scope_action(self) -> str:
        if self.action in ("check_in", "check_out", "stays"):
            return "view"  # the stay's own permission is checked by the service
        if self.action in ("open", "close"):
            return "change"
        return super().scope_action()

    def geojson_feature(self, shelter) -> dict:
        f = shelter.facility
        return {"type": "Feature", "id": shelter.pk,
                "geometry": {"type": "Point", "coordinates": [f.longitude, f.latitude]},
                "properties": {"name": f.name, "code": f.code, "status": shelter.status,
                               "status_label": shelter.get_status_display(),
                               "occupancy": shelter.occupancy,
                               "effective_capacity": shelter.effective_capacity,
                               "url": shelter.get_absolute_url()}}

    def geojson_collection(self, queryset) -> dict:
        return {"type": "FeatureCollection",
                "features": [self.geojson_feature(s) for s in queryset[:2000]
                             if s.facility.latitude is not None]}

    def _reply(self, shelter, status=200):
        return Response(self.get_serializer(with_occupancy(Shelter.objects).get(pk=shelter.pk)).data,
                        status=status)

    @extend_schema(request=CheckInSerializer, responses={201: StaySerializer})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        shelter = self.get_object()
        data = CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resident = None
        if data.validated_data.get("resident"):
            resident = Resident.objects.visible_to(request.user, "view").filter(
                pk=data.validated_data["resident"]).first()
            if resident is None:
                raise serializers.ValidationError({"resident": [_("No such resident.")]})
        elif data.validated_data.get("id_number"):
            resident = checkin.resident_by_id_number(shelter, data.validated_data["id_number"])
            if resident is None:
                raise serializers.ValidationError({"id_number": [
                    _("No resident of this community has that ID number; check them in as a "
                      "walk-in.")]})
        try:
            stay = checkin.check_in(
                shelter, user=request.user, resident=resident,
                walk_in_name=data.validated_data.get("walk_in_name", ""),
                walk_in_phone=data.validated_data.get("walk_in_phone", ""),
                incident_id=data.validated_data.get("incident_id"))
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)
        return Response(StaySerializer(stay, context={"request": request}).data, status=201)

    @extend_schema(request=CheckOutSerializer, responses=StaySerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        shelter = self.get_object()
        data = CheckOutSerializer(data=request.data)  # ``{"stay": "abc"}`` is a 400, not a 500
        data.is_valid(raise_exception=True)
        stay = Stay.objects.visible_to(request.user, "view").filter(
            shelter=shelter, pk=data.validated_data["stay"]).first()
        if stay is None:
            raise serializers.ValidationError({"stay": [_("No such stay in this shelter.")]})
        try:
            stay = checkin.check_out(stay, user=request.user)
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)
        return Response(StaySerializer(stay, context={"request": request}).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        try:
            shelter = checkin.open_shelter(self.get_object(), user=request.user)
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)
        return self._reply(shelter)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        try:
            shelter = checkin.close_shelter(self.get_object(), user=request.user)
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)
        return self._reply(shelter)


class ReadOnlyScopedViewSet(ScopedViewSet):
    """Lists and details only: records change through the actions (check-in, block…)."""

    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(exclude=True)  # refused: the schema must not offer it
    def create(self, request, *args, **kwargs):
        raise MethodNotAllowed(request.method)


class StayViewSet(ReadOnlyScopedViewSet):
    model = Stay
    serializer_class = StaySerializer
    filterset_class = StayFilterSet

    def optimise(self, queryset):
        return queryset.select_related("resident")


class PathEdgeSerializer(ScopedSerializer):
    class Meta:
        model = PathEdge
        fields = ["id", "community", "from_lat", "from_lng", "to_lat", "to_lng", "length",
                  "blocked", "source"]
        read_only_fields = fields


class PathEdgeViewSet(ReadOnlyScopedViewSet):
    model = PathEdge
    serializer_class = PathEdgeSerializer
    filterset_class = PathEdgeFilterSet

    def scope_action(self) -> str:
        return "change" if self.action in ("block", "unblock") else super().scope_action()

    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        edge = graph.set_blocked(self.get_object(), True)
        return Response(self.get_serializer(edge).data)

    @action(detail=True, methods=["post"])
    def unblock(self, request, pk=None):
        edge = graph.set_blocked(self.get_object(), False)
        return Response(self.get_serializer(edge).data)


@extend_schema_view(retrieve=extend_schema(responses=OpenApiTypes.OBJECT),
                    recompute=extend_schema(request=None, responses=OpenApiTypes.OBJECT))
class EvacuationViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """``/api/evacuation/<community id>/``: the current plan (``?format=geojson``: its routes);
    ``POST …/recompute/`` plans again."""

    renderer_classes = GeoJSONMixin.renderer_classes
    queryset = Community.objects.none()

    def _community(self, action: str = "view") -> Community:
        if not str(self.kwargs["pk"]).isdigit():
            raise Http404  # ``/api/evacuation/abc/``: no such community, not a 500
        community = Community.objects.visible_to(self.request.user, "view").filter(
            pk=self.kwargs["pk"]).first()
        if community is None:
            raise Http404
        return community

    def retrieve(self, request, pk=None):
        community = self._community()
        stored = evacuation.current(community)
        if not can(request.user, "view", stored):
            raise Http404
        if getattr(request.accepted_renderer, "format", None) == GeoJSONRenderer.format:
            return Response(routes_geojson(stored))
        return Response(plan_payload(stored))

    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        community = self._community()
        if not can(request.user, "change", evacuation.current(community)):
            raise PermissionDenied(_("You may not plan this community's evacuation."))
        return Response(plan_payload(evacuation.recompute(community)))


def routes_geojson(stored: EvacuationPlan) -> dict:
    r = stored.result
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": a["route"]},
         "properties": {"building": a["building"], "building_name": r["buildings"].get(str(a["building"])),
                        "shelter": a["shelter"], "shelter_name": r["shelters"].get(str(a["shelter"])),
                        "people": a["people"], "needing_help": a["needing_help"],
                        "distance": a["distance"], "minutes": a["minutes"],
                        "minutes_helped": a["minutes_helped"]}}
        for a in r.get("assignments", []) if len(a["route"]) >= 2]}


def plan_payload(stored: EvacuationPlan) -> dict:
    r = stored.result
    return {
        "community": stored.community_id, "computed_at": stored.computed_at,
        "people": r.get("people", 0), "placed": r.get("placed", 0),
        "unplaced_people": r.get("unplaced_people", 0),
        "assignments": [{k: v for k, v in a.items() if k != "route"}
                        | {"building_name": r["buildings"].get(str(a["building"])),
                           "shelter_name": r["shelters"].get(str(a["shelter"]))}
                        for a in r.get("assignments", [])],
        "unplaced": [u | {"building_name": r["buildings"].get(str(u["building"]))}
                     for u in r.get("unplaced", [])],
        "message": evacuation.summary(r),
        "routes": routes_geojson(stored),
    }


def register(router) -> None:
    router.register("shelters", ShelterViewSet, basename="shelter")
    router.register("shelter-stays", StayViewSet, basename="stay")
    router.register("paths", PathEdgeViewSet, basename="pathedge")
    router.register("evacuation", EvacuationViewSet, basename="evacuation")
