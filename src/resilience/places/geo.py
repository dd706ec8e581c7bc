"""GeoJSON map layers (communities, grids, buildings, facilities), scoped like everything else."""
from __future__ import annotations

from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError

from resilience.core.choices import label
from resilience.core.geo import point
from resilience.places.models import Building, Community, Facility, Grid

LAYERS = {
    "communities": Community,
    "grids": Grid,
    "buildings": Building,
    "facilities": Facility,
}


def _properties(obj) -> dict:
    props = {"id": obj.pk, "name": obj.name, "code": obj.code, "url": obj.get_absolute_url()}
    if isinstance(obj, Building):
        props.update(floors=obj.floors, has_elevator=obj.has_elevator, grid=obj.grid_id,
                     structure=obj.structure)
    elif isinstance(obj, Facility):
        props.update(kind=obj.kind, kind_label=label(obj, "kind"),
                     capacity=obj.capacity, status=obj.status, building=obj.building_id)
    elif isinstance(obj, Grid):
        props.update(community=obj.community_id)
    return props


def _geometry(obj):
    if getattr(obj, "geometry", None):
        return obj.geometry
    lat, lng = getattr(obj, "latitude", None), getattr(obj, "longitude", None)
    if lat is not None and lng is not None:
        return point(lat, lng)
    return None


def feature_collection(queryset) -> dict:
    features = []
    for obj in queryset:
        geometry = _geometry(obj)
        if geometry is not None:
            features.append({"type": "Feature", "id": obj.pk, "geometry": geometry,
                             "properties": _properties(obj)})
    return {"type": "FeatureCollection", "features": features}


@extend_schema(
    summary="A map layer as a GeoJSON FeatureCollection",
    parameters=[
        OpenApiParameter("layer", OpenApiTypes.STR, OpenApiParameter.PATH,
                         enum=list(LAYERS)),
        OpenApiParameter("community", OpenApiTypes.INT, description="only this community"),
        OpenApiParameter("kind", OpenApiTypes.STR, description="facilities of this type"),
    ],
    responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},  # what it sends
)
@api_view(["GET"])
def layer(request, layer: str):
    """GeoJSON of one map layer, limited to what the user may see."""
    model = LAYERS[layer]
    queryset = model.objects.visible_to(request.user, "view")
    community = request.query_params.get("community")
    if community:
        if not community.isdigit():
            raise ValidationError({"community": ["A community id is a whole number."]})
        queryset = queryset.filter(pk=community) if model is Community else queryset.filter(community_id=community)
    kind = request.query_params.get("kind")
    if kind and model is Facility:
        queryset = queryset.filter(kind__in=kind.split(","))
    if model is Building:
        queryset = queryset.only("id", "name", "code", "geometry", "latitude", "longitude",
                                 "floors", "has_elevator", "grid_id", "structure")
    response = JsonResponse(feature_collection(queryset))
    response["Content-Type"] = "application/geo+json"
    return response
