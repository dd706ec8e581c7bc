"""REST API of the places app: regions, communities, grids, buildings, units, facilities."""
from rest_framework import serializers

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.choices import LabelField
from resilience.places import filtersets
from resilience.places.models import Building, Community, Facility, Grid, Region, Unit


class RegionSerializer(ScopedSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent", "geometry", "created", "updated"]


class CommunitySerializer(ScopedSerializer):
    class Meta:
        model = Community
        fields = ["id", "code", "name", "region", "address", "phone", "geometry", "latitude",
                  "longitude", "created", "updated"]


class GridSerializer(ScopedSerializer):
    class Meta:
        model = Grid
        fields = ["id", "community", "code", "name", "geometry", "created", "updated"]


class BuildingSerializer(ScopedSerializer):
    class Meta:
        model = Building
        fields = ["id", "community", "grid", "code", "name", "address", "geometry", "latitude",
                  "longitude", "floors", "basement_floors", "year_built", "structure",
                  "has_elevator", "manager", "created", "updated"]


class UnitSerializer(ScopedSerializer):
    class Meta:
        model = Unit
        fields = ["id", "building", "number", "has_elevator", "created", "updated"]


class FacilitySerializer(ScopedSerializer):
    kind_label = LabelField("kind")

    class Meta:
        model = Facility
        fields = ["id", "community", "grid", "building", "kind", "kind_label", "code", "name",
                  "latitude", "longitude", "geometry", "owner", "capacity", "status", "notes",
                  "created", "updated"]


class RegionViewSet(ScopedViewSet):
    model = Region
    serializer_class = RegionSerializer
    filterset_class = filtersets.RegionFilterSet


class CommunityViewSet(ScopedViewSet):
    model = Community
    serializer_class = CommunitySerializer
    filterset_class = filtersets.CommunityFilterSet


class GridViewSet(ScopedViewSet):
    model = Grid
    serializer_class = GridSerializer
    filterset_class = filtersets.GridFilterSet


class BuildingViewSet(ScopedViewSet):
    model = Building
    serializer_class = BuildingSerializer
    filterset_class = filtersets.BuildingFilterSet


class UnitViewSet(ScopedViewSet):
    model = Unit
    serializer_class = UnitSerializer
    filterset_class = filtersets.UnitFilterSet


class FacilityViewSet(ScopedViewSet):
    model = Facility
    serializer_class = FacilitySerializer
    filterset_class = filtersets.FacilityFilterSet
