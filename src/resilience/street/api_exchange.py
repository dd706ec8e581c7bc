"""The data exchange API, version 1: ``GET /api/exchange/v1/`` (the datasets and their fields)
and ``GET /api/exchange/v1/<dataset>/?level=public|internal&format=json|csv|atom``.

Rows are the caller's (``visible_to``); fields are those the level allows (``exchange.export``);
personal fields are never sent. See docs/exchange.md.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (OpenApiParameter, OpenApiResponse, extend_schema,
                                   inline_serializer)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from resilience.core.api.errors import error_detail
from resilience.street.api_rollups import OwnFormatMixin
from resilience.street.exchange import export as gate
from resilience.street.exchange.datasets import DATASETS, VERSION
from resilience.street.exchange.fields import LEVELS, PUBLIC

PAYLOAD = inline_serializer("ExchangePayload", {
    "version": serializers.CharField(help_text=f"Exchange version, \"{VERSION}\"."),
    "dataset": serializers.CharField(),
    "level": serializers.ChoiceField(choices=LEVELS),
    "generated_at": serializers.DateTimeField(),
    "fields": serializers.ListField(child=serializers.DictField(),
                                    help_text="name, type, classification and meaning of each "
                                              "field in the results"),
    "count": serializers.IntegerField(),
    "results": serializers.ListField(child=serializers.DictField()),
})

INDEX = inline_serializer("ExchangeIndex", {
    "version": serializers.CharField(),
    "levels": serializers.ListField(child=serializers.CharField()),
    "datasets": serializers.ListField(child=serializers.DictField()),
})


class ExchangeIndexView(APIView):
    """The datasets of this exchange version, with every field's classification."""

    @extend_schema(summary=f"Data exchange {VERSION}: datasets and fields", responses=INDEX,
                   operation_id="exchange_v1_index")
    def get(self, request):
        datasets = [{"name": d.name, "title": str(d.title), "description": d.description,
                     "formats": ["json", "csv", *(["atom"] if d.cap else [])],
                     "url": request.build_absolute_uri(reverse("api-exchange-dataset",
                                                               args=[d.name])),
                     "fields": gate.field_list(d.fields)} for d in DATASETS.values()]
        return Response({"version": VERSION, "levels": list(LEVELS), "datasets": datasets})


class ExchangeDatasetView(OwnFormatMixin, APIView):
    """One dataset at one level."""

    @extend_schema(
        summary=f"Data exchange {VERSION}: one dataset", operation_id="exchange_v1_dataset",
        parameters=[
            OpenApiParameter("dataset", str, OpenApiParameter.PATH, enum=list(DATASETS)),
            OpenApiParameter("level", str, enum=list(LEVELS),
                             description="public (default) or internal (office, staff, admin)"),
            OpenApiParameter("format", str, enum=list(gate.FORMATS),
                             description="json (default), csv, or atom (alerts only: CAP 1.2 "
                             "documents inline in an Atom feed)"),
        ],
        responses={200: PAYLOAD,
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
                   (200, "application/atom+xml"): OpenApiResponse(OpenApiTypes.STR),
                   400: OpenApiResponse(description="unknown dataset, level or format: the "
                                                    "body names the parameter"),
                   403: OpenApiResponse(description="internal level without the right")})
    def get(self, request, dataset: str):
        level = request.query_params.get("level") or PUBLIC
        fmt = request.query_params.get("format") or "json"
        try:
            exported = gate.export(request.user, dataset, level, fmt)
        except ValidationError as exc:
            return Response(error_detail(exc), status=400)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        if fmt == "csv":
            response = StreamingHttpResponse(gate.csv_lines(exported),
                                             content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="{gate.filename(exported, "csv")}"')
        elif fmt == "atom":
            body = gate.to_atom(exported, feed_url=request.build_absolute_uri(),
                                cap_url=lambda a: request.build_absolute_uri(
                                    reverse("cap:alert", args=[a.identifier])))
            response = HttpResponse(body, content_type="application/atom+xml")
        else:
            return Response(gate.to_json(exported), headers={"X-Exchange-Version": VERSION})
        response["X-Exchange-Version"] = VERSION
        return response
