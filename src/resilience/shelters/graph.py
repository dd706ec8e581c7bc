"""The walking graph of a community: nodes are rounded coordinates, edges straight segments.

Pure functions (no database) build it from points or GeoJSON; ``save_edges`` and ``load_graph``
move it in and out of ``PathEdge``.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
from django.db import transaction
from django.utils.translation import gettext as _

EARTH_RADIUS_M = 6_371_008.8
NODE_DECIMALS = 5  # ≈ 1.1 m of latitude: ends closer than that are one node

Node = tuple[float, float]  # (lat, lng), rounded


class PathImportError(ValueError):
    """The GeoJSON cannot be imported as walking paths (the message says why and where)."""


@dataclass(frozen=True)
class Segment:
    a: Node
    b: Node
    length: float
    blocked: bool = False


def node_key(lat: float, lng: float) -> Node:
    return (round(lat, NODE_DECIMALS), round(lng, NODE_DECIMALS))


def haversine(a: Sequence[float], b: Sequence[float]) -> float:
    """Great-circle distance in metres between two (lat, lng) points."""
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


def _planar(points: Sequence[Node]) -> list[tuple[float, float]]:
    """Metres on a local flat approximation: enough to choose neighbours, not to measure."""
    if not points:
        return []
    lat0 = sum(p[0] for p in points) / len(points)
    kx = 111_320.0 * math.cos(math.radians(lat0))
    return [(p[1] * kx, p[0] * 110_574.0) for p in points]


def nearest_neighbour_segments(points: Iterable[Sequence[float]], k: int = 4) -> list[Segment]:
    """A walking graph over the points: each joined to its ``k`` nearest, then the pieces joined
    by their closest pair until the graph is connected (a stand-in for the street grid)."""
    nodes = sorted({node_key(p[0], p[1]) for p in points})
    if len(nodes) < 2:
        return []
    xy = _planar(nodes)
    pairs: set[tuple[int, int]] = set()
    for i, (xi, yi) in enumerate(xy):
        ranked = sorted(range(len(xy)), key=lambda j: (xy[j][0] - xi) ** 2 + (xy[j][1] - yi) ** 2)
        for j in ranked[1:k + 1]:
            pairs.add((min(i, j), max(i, j)))
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    g.add_edges_from(pairs)
    components = [list(c) for c in nx.connected_components(g)]
    while len(components) > 1:
        first, rest = components[0], [j for c in components[1:] for j in c]
        i, j = min(((i, j) for i in first for j in rest),
                   key=lambda ij: (xy[ij[0]][0] - xy[ij[1]][0]) ** 2 + (xy[ij[0]][1] - xy[ij[1]][1]) ** 2)
        g.add_edge(i, j)
        pairs.add((min(i, j), max(i, j)))
        components = [list(c) for c in nx.connected_components(g)]
    return [Segment(nodes[i], nodes[j], haversine(nodes[i], nodes[j])) for i, j in sorted(pairs)]


def segments_from_geojson(text: str) -> list[Segment]:
    """Segments of every LineString (or MultiLineString) in a GeoJSON FeatureCollection, Feature
    or geometry. Anything else is refused as a whole, naming the first offending feature."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PathImportError(_("The file is not valid JSON: %(error)s") % {"error": exc}) from None
    if not isinstance(data, dict):
        raise PathImportError(_("The file is not a GeoJSON object."))
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise PathImportError(_("The FeatureCollection has no list of features."))
        geometries = [(n, (f or {}).get("geometry") if isinstance(f, dict) else None)
                      for n, f in enumerate(features, 1)]
    elif data.get("type") == "Feature":
        geometries = [(1, data.get("geometry"))]
    else:
        geometries = [(1, data)]
    segments: list[Segment] = []
    for number, geometry in geometries:
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind == "LineString":
            lines = [geometry.get("coordinates")]
        elif kind == "MultiLineString":
            lines = geometry.get("coordinates")
        else:
            raise PathImportError(
                _("Feature %(number)s is a %(kind)s, not a LineString: walking paths must be "
                  "lines. Nothing was imported.") % {"number": number, "kind": kind or _("nothing")})
        for line in lines if isinstance(lines, list) else [None]:
            segments.extend(_line_segments(line, number))
    if not segments:
        raise PathImportError(_("The file holds no line with two or more points."))
    return segments


def _line_segments(line, number: int) -> list[Segment]:
    try:
        points = [(float(c[1]), float(c[0])) for c in line]
    except (TypeError, ValueError, IndexError):
        raise PathImportError(_("Feature %(number)s has coordinates that are not "
                                "[longitude, latitude] pairs.") % {"number": number}) from None
    if len(points) < 2:
        raise PathImportError(_("Feature %(number)s is a line with fewer than two points.")
                              % {"number": number})
    for lat, lng in points:
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise PathImportError(_("Feature %(number)s has a point outside the globe; GeoJSON "
                                    "puts the longitude first.") % {"number": number})
    out = []
    for p, q in zip(points, points[1:]):
        a, b = node_key(*p), node_key(*q)
        if a != b:
            out.append(Segment(a, b, haversine(p, q)))
    return out


def build_graph(segments: Iterable[Segment]) -> nx.Graph:
    """An undirected graph of the open segments, weighted by length (the shorter of duplicates).
    Ends of blocked segments stay as nodes, so a place there is not joined around the block."""
    g = nx.Graph()
    for s in segments:
        if s.blocked:
            g.add_nodes_from((s.a, s.b))
            continue
        if g.has_edge(s.a, s.b) and g[s.a][s.b]["length"] <= s.length:
            continue
        g.add_edge(s.a, s.b, length=s.length)
    return g


# -- database ---------------------------------------------------------------------------------

def segments_of(community) -> list[Segment]:
    from resilience.shelters.models import PathEdge

    return [Segment((e.from_lat, e.from_lng), (e.to_lat, e.to_lng), e.length, e.blocked)
            for e in PathEdge.objects.filter(community=community)]


@transaction.atomic
def save_edges(community, segments: Sequence[Segment], source: str, replace: bool = True) -> int:
    """Store the segments as the community's walking graph (replacing the edges of the same
    source when ``replace``); all or nothing."""
    from resilience.shelters.models import PathEdge

    if replace:
        PathEdge.objects.filter(community=community, source=source).delete()
    PathEdge.objects.bulk_create([
        PathEdge(community=community, from_lat=s.a[0], from_lng=s.a[1], to_lat=s.b[0],
                 to_lng=s.b[1], length=round(s.length, 2), blocked=s.blocked, source=source)
        for s in segments
    ], batch_size=1000)
    return len(segments)


@transaction.atomic
def import_segments(community, segments: Sequence[Segment], keep_generated: bool = False) -> int:
    """Replace the community's imported paths (and, unless kept, its generated ones)."""
    from resilience.shelters.models import PathEdge

    if not keep_generated:
        PathEdge.objects.filter(community=community, source=PathEdge.Source.GENERATED).delete()
    return save_edges(community, segments, PathEdge.Source.IMPORTED)


def generate_for(community, k: int = 4) -> int:
    """Build and store the community's walking graph from its buildings' and shelters' positions."""
    from resilience.places.models import Building, Facility
    from resilience.shelters.models import PathEdge

    points = [(b.latitude, b.longitude) for b in Building.objects.filter(
        community=community, latitude__isnull=False, longitude__isnull=False)]
    points += [(f.latitude, f.longitude) for f in Facility.objects.filter(
        community=community, kind="shelter", latitude__isnull=False, longitude__isnull=False)]
    return save_edges(community, nearest_neighbour_segments(points, k), PathEdge.Source.GENERATED)


def set_blocked(edge, blocked: bool):
    """Block (or reopen) a walking path and plan the community's evacuation again."""
    from resilience.shelters import evacuation

    with transaction.atomic():
        edge.blocked = blocked
        edge.save(update_fields=["blocked", "updated"])
    evacuation.recompute(edge.community)
    return edge
