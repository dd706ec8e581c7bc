"""GeoJSON geometry: validation, centroids and coordinate systems (WGS-84, GCJ-02, BD-09).

Geometry is stored as a GeoJSON geometry object in a JSON column, always in WGS-84
(longitude, latitude order, as GeoJSON requires); shapely does the computing.
"""
from __future__ import annotations

import eviltransform
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

CRS_CHOICES = ("wgs84", "gcj02", "bd09")
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def parse_geometry(value, allowed: set[str] | None = None) -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry object, or ValidationError saying why not."""
    if not isinstance(value, dict):
        raise ValidationError(_("Geometry must be a GeoJSON geometry object."))
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in GEOMETRY_TYPES:  # a list or dict is unhashable
        raise ValidationError(_("Unknown geometry type %(type)r.") % {"type": kind})
    if allowed and kind not in allowed:
        raise ValidationError(
            _("Geometry type %(type)s is not allowed here (allowed: %(allowed)s).")
            % {"type": kind, "allowed": ", ".join(sorted(allowed))}
        )
    try:
        geom = shape(value)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValidationError(_("Malformed geometry coordinates: %(error)s") % {"error": exc})
    if geom.is_empty:
        raise ValidationError(_("Geometry is empty."))
    if not geom.is_valid:
        from shapely.validation import explain_validity

        raise ValidationError(_("Invalid geometry: %(reason)s") % {"reason": explain_validity(geom)})
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationError(_("Coordinates are outside longitude −180…180 / latitude −90…90."))
    return geom


def validate_geometry(value, allowed: set[str] | None = None) -> None:
    if value in (None, {}, ""):
        return
    parse_geometry(value, allowed)


def validate_any_geometry(value) -> None:
    validate_geometry(value)


def centroid(value) -> tuple[float, float] | None:
    """(latitude, longitude) of a geometry's centroid, or None."""
    if not value:
        return None
    geom = shape(value)
    point = geom.centroid if geom.geom_type != "Point" else geom
    return point.y, point.x


def point(lat: float, lng: float) -> dict:
    return {"type": "Point", "coordinates": [lng, lat]}


def to_wgs84(lat: float, lng: float, crs: str) -> tuple[float, float]:
    """Convert a coordinate from ``crs`` (wgs84, gcj02, bd09) to WGS-84."""
    if crs == "wgs84":
        return lat, lng
    if crs == "gcj02":
        return eviltransform.gcj2wgs_exact(lat, lng)
    if crs == "bd09":
        glat, glng = eviltransform.bd2gcj(lat, lng)
        return eviltransform.gcj2wgs_exact(glat, glng)
    raise ValueError(f"unknown coordinate system {crs!r}; use one of {', '.join(CRS_CHOICES)}")


def from_wgs84(lat: float, lng: float, crs: str) -> tuple[float, float]:
    if crs == "wgs84":
        return lat, lng
    if crs == "gcj02":
        return eviltransform.wgs2gcj(lat, lng)
    if crs == "bd09":
        return eviltransform.wgs2bd(lat, lng)
    raise ValueError(f"unknown coordinate system {crs!r}; use one of {', '.join(CRS_CHOICES)}")


def feature(geometry, properties: dict, fid=None) -> dict:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def as_geojson(geom: BaseGeometry) -> dict:
    return mapping(geom)
