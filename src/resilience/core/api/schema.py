"""The OpenAPI schema documents failures too, so clients (and the API fuzzer,
``tests/reliability/test_api_fuzz.py``) can rely on it for every answer, not only success.

drf-spectacular documents the success response of each operation. Every operation can also be
refused — 401 without valid credentials, 403 outside the user's scope — and, depending on its
shape, answer 400 (a body or query that does not validate; the body names each field), 404 (an
``{id}`` that is not visible, a page past the end) or 415 (a body no parser reads).
``document_errors`` adds those responses where the operation does not already describe them.
Operations that can answer in GeoJSON get the GeoJSON shape for that media type.
"""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.views import SpectacularAPIView

METHODS = {"get", "put", "patch", "post", "delete"}

DETAIL = {
    "type": "object",
    "description": "Why the request was refused.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Field name → reasons (a list of messages, or the same shape again for a "
                   "nested object); ``non_field_errors`` for the request as a whole.",
    "additionalProperties": {},
}


GEOJSON = "application/geo+json"
FEATURE = {
    "type": "object",
    "description": "A GeoJSON Feature (RFC 7946): the record's fields are its properties.",
    "properties": {"type": {"type": "string", "enum": ["Feature"]},
                   "id": {}, "geometry": {"type": "object", "nullable": True},
                   "properties": {"type": "object", "nullable": True}},
    "required": ["type", "geometry", "properties"],
}
FEATURE_COLLECTION = {
    "type": "object",
    "description": "A GeoJSON FeatureCollection (RFC 7946).",
    "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                   "features": {"type": "array", "items": {"$ref": "#/components/schemas/GeoJSONFeature"}}},
    "required": ["type", "features"],
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _geojson_bodies(path: str, method: str, responses: dict, paths: dict) -> None:
    # drf-spectacular gives every renderer the serializer's schema. ``?format=geojson`` turns a
    # router's list into a FeatureCollection and its detail into a Feature (or, for a plan, a
    # collection of routes); other operations send their usual body under that media type.
    listing = "{" not in path and path + "{id}/" in paths
    detail = path.endswith("/{id}/")
    if method != "get" or not (listing or detail):
        return
    for code, response in responses.items():
        content = response.get("content") or {}
        if str(code).startswith("2") and GEOJSON in content:
            content[GEOJSON] = {"schema": _ref("GeoJSONFeatureCollection") if listing else
                                {"oneOf": [_ref("GeoJSONFeature"), _ref("GeoJSONFeatureCollection")]}}


def _response(description: str, ref: str, media_types) -> dict:
    return {"description": description,
            "content": {kind: {"schema": {"$ref": f"#/components/schemas/{ref}"}} for kind in media_types}}


def _json_types(responses: dict, parameters: list) -> list[str]:
    # An error is rendered like the success would have been (``?format=geojson`` → geo+json).
    kinds = {kind for code, response in responses.items() if str(code).startswith("2")
             for kind in (response.get("content") or {}) if "json" in kind}
    if any(p.get("name") == "format" and "geojson" in (p.get("schema") or {}).get("enum", ())
           for p in parameters):
        kinds.add("application/geo+json")
    return sorted(kinds | {"application/json"})


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: add 400/401/403/404 where they can happen, and
    say what ``?format=geojson`` really sends."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDetail", DETAIL)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    schemas.setdefault("GeoJSONFeature", FEATURE)
    schemas.setdefault("GeoJSONFeatureCollection", FEATURE_COLLECTION)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            _geojson_bodies(path, method, responses, result["paths"])
            parameters = operation.get("parameters", [])
            kinds = _json_types(responses, parameters)
            where = {p.get("in") for p in parameters}
            # A delete can be refused with 400 too: the record is still referenced.
            if "requestBody" in operation or "query" in where or method == "delete":
                responses.setdefault("400", _response("Invalid input, by field.", "FieldErrors", kinds))
            if "requestBody" in operation:  # a body in a media type no parser reads
                responses.setdefault("415", _response("Unsupported body media type.", "ErrorDetail", kinds))
            responses.setdefault("401", _response("Not signed in, or the token is not valid.",
                                                  "ErrorDetail", kinds))
            responses.setdefault("403", _response("Not allowed for this user.", "ErrorDetail", kinds))
            # ``?page=`` past the end and ``?format=`` naming no renderer are 404s too (DRF).
            if "path" in where or any(p.get("name") in ("page", "format") for p in parameters):
                responses.setdefault("404", _response("Not found, or not visible to this user.",
                                                      "ErrorDetail", kinds))
    return result


def hooks() -> list:
    """The configured post-processing hooks (drf-spectacular's enum hook by default) and ours."""
    configured = list(getattr(settings, "SPECTACULAR_SETTINGS", {}).get(
        "POSTPROCESSING_HOOKS", ["drf_spectacular.hooks.postprocess_schema_enums"]))
    return configured + ["resilience.core.api.schema.document_errors"]


class SchemaView(SpectacularAPIView):
    """``/api/schema/``: drf-spectacular's schema with the error responses documented."""

    custom_settings = {"POSTPROCESSING_HOOKS": hooks()}


def alarm_levels() -> list[tuple[int, str]]:
    """The alarm levels' choices for ``ENUM_NAME_OVERRIDES``, always with English labels.

    In English an alarm's levels ("IV (blue)") and an alert's ("IV blue") are two choice sets and
    get two names; in Chinese both read "四级（蓝色）", so drf-spectacular sees one set — named
    ``AlertLevelEnum`` — and would refuse a second name for it. English labels never match the
    Chinese schema, so there the override steps aside."""
    from django.utils import translation

    from resilience.monitoring.vocab import AlarmLevel

    with translation.override("en"):
        return [(value, str(label)) for value, label in AlarmLevel.choices]
