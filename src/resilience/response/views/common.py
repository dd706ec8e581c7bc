"""Small pieces the response pages share."""
from __future__ import annotations

import mimetypes

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.http import url_has_allowed_host_and_scheme


def add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: on the field it names, or on the whole form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None,
                           [e for error in errors for e in error.messages])
    else:
        form.add_error(None, exc.messages)


def error_text(exc: ValidationError) -> str:
    """All the messages of a ValidationError, as one sentence for ``messages.error``."""
    return " ".join(exc.messages)


def serve(field) -> FileResponse:
    """A stored file (a photo), to a user already known to may see its record."""
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


def safe_next(request, default: str) -> str:
    """The ``next`` the form posted when it stays on this site, else ``default``."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default
