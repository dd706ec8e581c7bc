"""Photos of inspections and hazards, served only to users who may see the record they belong to."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404

from resilience.core.views.files import serve_file
from resilience.risks.models import Hazard, Inspection


@login_required
def hazard_photo(request, pk: int, event: int | None = None):
    hazard = get_object_or_404(Hazard.objects.visible_to(request.user, "view"), pk=pk)
    if event is None:
        return serve_file(hazard.photo)
    return serve_file(get_object_or_404(hazard.events, pk=event).photo)


@login_required
def inspection_photo(request, pk: int, answer: int):
    inspection = get_object_or_404(Inspection.objects.visible_to(request.user, "view"), pk=pk)
    return serve_file(get_object_or_404(inspection.answers, pk=answer).photo)
