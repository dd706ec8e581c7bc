"""Photos of inspections and hazards, served only to users who may see the record they belong to."""
from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from resilience.risks.models import Hazard, Inspection


def _serve(field) -> FileResponse:
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def hazard_photo(request, pk: int, event: int | None = None):
    hazard = get_object_or_404(Hazard.objects.visible_to(request.user, "view"), pk=pk)
    if event is None:
        return _serve(hazard.photo)
    return _serve(get_object_or_404(hazard.events, pk=event).photo)


@login_required
def inspection_photo(request, pk: int, answer: int):
    inspection = get_object_or_404(Inspection.objects.visible_to(request.user, "view"), pk=pk)
    return _serve(get_object_or_404(inspection.answers, pk=answer).photo)
