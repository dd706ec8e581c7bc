"""Fuzzing GeoJSON geometry: ``core.geo.parse_geometry`` / ``validate_geometry`` and the geometry
fields of places through the API. Whatever arrives — random nested JSON, rings that do not close
or cross themselves, NaN, coordinates off the globe, huge lists — the answer is the geometry or a
``ValidationError`` with a message (API: 400 naming ``geometry``), never another exception.

Examples per test: ``RESILIENCE_FUZZ_EXAMPLES`` (default small; see docs/reliability.md).
"""
import json
import math
import os

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from resilience.core.geo import GEOMETRY_TYPES, parse_geometry, validate_geometry
from resilience.places.models import Building

EXAMPLES = int(os.environ.get("RESILIENCE_FUZZ_EXAMPLES", "0")) or None


def bounded(default: int):
    return settings(max_examples=EXAMPLES or default, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


# --- what may arrive ----------------------------------------------------------------------------

numbers = (st.floats(allow_nan=True, allow_infinity=True)
           | st.floats(-200, 200) | st.integers(-10**30, 10**30)
           | st.sampled_from([0, 90, -90, 180, -180, 90.0000001, 1e308, -0.0]))
json_scalars = st.none() | st.booleans() | numbers | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(
        st.sampled_from(["type", "coordinates", "geometries", "features"]) | st.text(max_size=6),
        children, max_size=4),
    max_leaves=25,
)
positions = st.lists(numbers, min_size=0, max_size=4) | json_values
rings = st.lists(positions, max_size=8)
coordinates = st.one_of(
    positions,
    rings,
    st.lists(rings, max_size=3),
    st.lists(st.lists(rings, max_size=3), max_size=3),
    json_values,
)
geometry_like = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(GEOMETRY_TYPES | {"GeometryCollection", "Feature", ""}))
     | json_values,
     "coordinates": coordinates},
    optional={"bbox": json_values, "crs": json_values},
)
hostile = geometry_like | json_values


def square(x0: float, y0: float, size: float) -> list:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


SEEDS = [
    {"type": ["Polygon"], "coordinates": []},  # an unhashable type
    {"type": {"Point": 1}, "coordinates": [0, 0]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # bow tie
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},  # not closed, too short
    {"type": "Point", "coordinates": [float("nan"), 0]},
    {"type": "Point", "coordinates": [float("inf"), 0]},
    {"type": "Point", "coordinates": [181, 91]},
    {"type": "Point", "coordinates": [1, 2, 3, 4, 5]},
    {"type": "Point", "coordinates": "121.4,31.2"},
    {"type": "LineString", "coordinates": [[0, 0]]},
    {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], 5]},
    {"type": "Polygon", "coordinates": [square(0, 0, 1), square(5, 5, 1)]},  # hole outside
    {"type": "Polygon", "coordinates": [[[1e308, 0], [0, 1e308], [0, 0], [1e308, 0]]]},
    {"type": "Point", "coordinates": [10**30, 10**30]},
]


def check(value, allowed=None) -> None:
    """The contract: the geometry, or a ValidationError with a message."""
    try:
        geom = parse_geometry(value, allowed)
    except ValidationError as exc:
        assert exc.messages and all(m.strip() for m in exc.messages)
        return
    minx, miny, maxx, maxy = geom.bounds
    assert all(math.isfinite(v) for v in (minx, miny, maxx, maxy))
    assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    assert geom.is_valid and not geom.is_empty


@pytest.mark.parametrize("value", SEEDS, ids=range(len(SEEDS)))
def test_known_hostile_geometries_are_refused_with_a_message(value):
    check(value)
    check(value, {"Polygon", "MultiPolygon"})


@bounded(400)
@given(value=hostile, allowed=st.sampled_from([None, {"Polygon", "MultiPolygon"},
                                               {"Polygon", "MultiPolygon", "Point"}]))
def test_parse_geometry_answers_a_geometry_or_a_validation_error(value, allowed):
    check(value, allowed)


@bounded(50)
@example(size=100_000, lng=121.47, lat=31.23)
@given(size=st.integers(0, 20_000), lng=st.floats(-200, 200), lat=st.floats(-100, 100))
def test_huge_coordinate_lists_are_accepted_or_refused_cleanly(size, lng, lat):
    ring = [[lng + math.cos(k) * 0.01, lat + math.sin(k) * 0.01] for k in range(size)]
    check({"type": "Polygon", "coordinates": [ring + ring[:1]]})
    check({"type": "LineString", "coordinates": ring})


@bounded(150)
@given(value=hostile)
def test_validate_geometry_never_raises_anything_else(value):
    try:
        validate_geometry(value, {"Polygon", "MultiPolygon", "Point"})
    except ValidationError as exc:
        assert exc.messages


# --- through the API ----------------------------------------------------------------------------

@bounded(40)
@example(value={"type": ["Polygon"], "coordinates": []})
@example(value={"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})
@given(value=hostile)
def test_a_building_with_any_geometry_is_saved_or_refused_with_400(world, client, value):
    """POST /api/buildings/ with a hostile geometry: 201, or 400 naming ``geometry``; never a 500
    and never a building saved with a geometry that does not validate."""
    client.force_login(world.users["staff_a"])
    before = Building.objects.count()
    body = {"community": world.community_a.pk, "grid": world.grid_a1.pk, "code": "FUZZ-1",
            "name": "Fuzz", "geometry": value}
    try:
        payload = json.dumps(body, allow_nan=True)
    except (ValueError, OverflowError):
        return
    response = client.post("/api/buildings/", payload, content_type="application/json")
    assert response.status_code in (201, 400), response.content[:500]
    if response.status_code == 400:
        assert Building.objects.count() == before
        errors = response.json()
        # Field errors as lists of reasons, or DRF's "detail" for a body that is not JSON
        # (NaN and Infinity are not JSON).
        assert errors and all((isinstance(v, list) and v) or (k == "detail" and v)
                              for k, v in errors.items()), errors
    else:
        building = Building.objects.get(pk=response.json()["id"])
        validate_geometry(building.geometry, {"Polygon", "MultiPolygon", "Point"})
        building.delete()
