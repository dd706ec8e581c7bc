"""``?format=geojson`` on a viewset: its list as a FeatureCollection, one object as a Feature."""
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings


class GeoJSONRenderer(JSONRenderer):
    """``?format=geojson``: the view hands over a Feature or FeatureCollection."""

    media_type = "application/geo+json"
    format = "geojson"


class GeoJSONMixin:
    """Put before ``ScopedViewSet``; define ``geojson_collection(queryset)`` and
    ``geojson_feature(obj)``. Filters and scope apply as for the JSON list."""

    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, GeoJSONRenderer]

    def geojson_collection(self, queryset) -> dict:
        raise NotImplementedError

    def geojson_feature(self, obj) -> dict:
        raise NotImplementedError

    def _geojson(self) -> bool:
        return getattr(self.request.accepted_renderer, "format", None) == "geojson"

    def list(self, request, *args, **kwargs):
        if self._geojson():
            return Response(self.geojson_collection(self.filter_queryset(self.get_queryset())))
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        if self._geojson():
            return Response(self.geojson_feature(self.get_object()))
        return super().retrieve(request, *args, **kwargs)
