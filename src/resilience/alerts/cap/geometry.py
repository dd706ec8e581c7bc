"""Geometry between CAP (``lat,lng`` rings, circles in km) and shapely (lng, lat), WGS-84."""
from __future__ import annotations

import math

from shapely import affinity
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

KM_PER_DEGREE = 111.32


def safe_shape(value) -> BaseGeometry | None:
    """A shapely geometry from GeoJSON, repaired when self-intersecting; None when unusable."""
    try:
        geom = shape(value) if value else None
    except Exception:  # shapely raises several types for malformed coordinates
        return None
    if geom is not None and not geom.is_valid:
        geom = geom.buffer(0)
    return None if geom is None or geom.is_empty else geom


def polygons_of(geom: BaseGeometry | None) -> list[Polygon]:
    """The polygons in a geometry: multi-parts and collections flattened, the rest dropped."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    return [part for g in getattr(geom, "geoms", []) for part in polygons_of(g)]


def circle_polygon(lat: float, lng: float, km: float, segments: int = 64) -> Polygon:
    """A circle of ``km`` around (lat, lng) as a polygon in degrees (an ellipse in lng/lat)."""
    km = max(km, 0.001)
    dlat = km / KM_PER_DEGREE
    dlng = km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return affinity.scale(Point(lng, lat).buffer(1.0, max(segments // 4, 4)), dlng, dlat)


def ring_polygon(ring: list[tuple[float, float]]) -> BaseGeometry | None:
    """A CAP ring of (lat, lng) as a valid shapely geometry, or None when it encloses nothing."""
    geom = Polygon([(lng, lat) for lat, lng in ring])
    if not geom.is_valid:
        geom = geom.buffer(0)
    return None if geom.is_empty else geom


def cap_area_shape(area) -> BaseGeometry | None:
    """The union of a ``CapArea``'s polygons and circles; None when it has neither."""
    parts = [ring_polygon(ring) for ring in area.polygons]
    parts += [circle_polygon(*circle) for circle in area.circles]
    parts = [p for p in parts if p is not None]
    return unary_union(parts) if parts else None
