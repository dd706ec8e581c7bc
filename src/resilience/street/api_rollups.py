"""``GET /api/rollups/``: roll-ups per community or per grid as JSON, CSV or XLSX.

For the street office, community staff (their own community) and admins; counts and rates
only, small counts of vulnerable residents shown as ``"<3"`` (see ``rollups``).
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (OpenApiParameter, OpenApiResponse, extend_schema,
                                   inline_serializer)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from resilience.core.api.errors import error_detail
from resilience.places.models import Region
from resilience.street import rollups
from resilience.street.exchange import tables
from resilience.street.exchange.export import field_list
from resilience.street.rollup_fields import fields_for

PER = ("community", "grid")
ROLLUP_FORMATS = ("json", "csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OwnFormatMixin:
    """``?format=`` is ours to read (csv, xlsx, atom are files, not DRF renderers): answer
    errors as JSON and let the view pick the body."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()
        return renderer, renderer.media_type


def choice(request, name: str, choices, default: str) -> str:
    value = request.query_params.get(name, default) or default
    if value not in choices:
        raise ValidationError({name: _("Unknown value %(value)s; choose one of %(choices)s.")
                               % {"value": repr(value), "choices": ", ".join(choices)}})
    return value


def pick_region(request, communities):
    """``?region=<code>``: the communities inside that region (it must hold some of them)."""
    code = request.query_params.get("region")
    if not code:
        return communities, None
    region = Region.objects.filter(code=code).first()
    if region is None or not rollups.in_region(communities, region).exists():
        raise ValidationError({"region": _("No region %(code)s among your communities.")
                               % {"code": code}})
    return rollups.in_region(communities, region), region


def file_response(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def rollup_file(communities, per: str, fmt: str) -> HttpResponse | None:
    """The roll-ups as a download (``xlsx``: a sheet per level; ``csv``: the level ``per``), for
    the page and the API alike; ``None`` for any other format (the caller shows them)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        sheets = [(p, *rollups.table(communities, p)) for p in PER]
        return file_response(tables.xlsx_bytes(sheets), XLSX, f"rollups-{stamp}.xlsx")
    if fmt == "csv":
        names, rows = rollups.table(communities, per)
        return file_response(tables.csv_bytes(names, rows), "text/csv; charset=utf-8",
                             f"rollups-{per}-{stamp}.csv")
    return None


ROLLUP_PAYLOAD = inline_serializer("RollupPayload", {
    "per": serializers.CharField(),
    "min_cell": serializers.IntegerField(help_text="Counts of vulnerable residents below this "
                                                   "are shown as \"<min_cell\"."),
    "generated_at": serializers.DateTimeField(),
    "fields": serializers.ListField(child=serializers.DictField()),
    "count": serializers.IntegerField(),
    "results": serializers.ListField(child=serializers.DictField()),
})


class RollupView(OwnFormatMixin, APIView):
    """Roll-ups of the communities in the caller's scope."""

    @extend_schema(
        summary="Roll-ups per community or grid (counts and rates, no personal data)",
        operation_id="rollups_list",
        parameters=[
            OpenApiParameter("per", str, enum=PER, description="community (default) or grid"),
            OpenApiParameter("format", str, enum=ROLLUP_FORMATS, description="json (default), "
                             "csv or xlsx (both per community and per grid)"),
            OpenApiParameter("region", str, description="only the communities of this region "
                             "(code of a street or district)"),
        ],
        responses={200: ROLLUP_PAYLOAD,
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
                   (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY),
                   400: OpenApiResponse(description="a parameter is wrong: the body names it"),
                   403: OpenApiResponse(description="not an office, staff or admin user")})
    def get(self, request):
        if not rollups.may_see_rollups(request.user):
            raise PermissionDenied(_("Roll-ups are for the street office and community staff."))
        try:
            per = choice(request, "per", PER, "community")
            fmt = choice(request, "format", ROLLUP_FORMATS, "json")
            communities, _region = pick_region(request, rollups.communities_for(request.user))
        except ValidationError as exc:
            return Response(error_detail(exc), status=400)
        download = rollup_file(communities, per, fmt)
        if download is not None:
            return download
        names, rows = rollups.table(communities, per)
        results = [{name: _json(row.get(name)) for name in names} for row in rows]
        return Response({"per": per, "min_cell": rollups.min_cell(),
                         "generated_at": timezone.now().isoformat(),
                         "fields": field_list(fields_for(per)), "count": len(results),
                         "results": results})


def _json(value):
    from resilience.street.exchange.datasets import as_text

    return as_text(value)
