"""API errors: every failure is a JSON body naming the field and the reason, never a 500 page."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def error_detail(exc: DjangoValidationError) -> dict:
    """The API's error body for a Django ValidationError: ``{field: [reasons]}``, or
    ``{"non_field_errors": [reasons]}`` when it names no field."""
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        return Response({"non_field_errors": [f"conflicts with existing data: {exc}".splitlines()[0]]},
                        status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """404 for a URL no route matches (``handler404``): under ``/api/`` a JSON body like every
    other API error (``/api/units/a.b/`` is not a page), elsewhere the site's own page."""
    from django.http import JsonResponse
    from django.utils.translation import gettext
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
