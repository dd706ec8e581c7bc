"""Stored files (photos of hazards, inspections, tasks) served to users already known to may see
the record they belong to: private caching, no content sniffing."""
from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404


def serve_file(field) -> FileResponse:
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
