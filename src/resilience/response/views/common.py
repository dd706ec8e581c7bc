"""Small pieces the response pages share."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.http import url_has_allowed_host_and_scheme



def error_text(exc: ValidationError) -> str:
    """All the messages of a ValidationError, as one sentence for ``messages.error``."""
    return " ".join(exc.messages)


def safe_next(request, default: str) -> str:
    """The ``next`` the form posted when it stays on this site, else ``default``."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default
