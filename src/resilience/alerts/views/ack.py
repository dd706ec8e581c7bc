"""The acknowledgement link, the inbox and the live banner (placeholder)."""
from django.http import Http404


def link(request, token):
    raise Http404


def urls() -> list:
    return []
