"""The Content-Security-Policy, built from the operator's settings (imported by settings.py, so
it must not touch Django models)."""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES, UNSAFE_INLINE

# Swagger UI (drf-spectacular) loads its bundle from jsDelivr and starts it with an inline script;
# it is a developer page behind sign-in, so it goes without the policy rather than widening it.
CSP_EXCLUDED = ["/api/docs/"]


def script_hash(source: str) -> str:
    """The CSP source expression that allows exactly this inline script or event handler."""
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def tile_origin(tile_url: str) -> str:
    """``https://{s}.tile.example.org/{z}/{x}/{y}.png`` → ``https://*.tile.example.org``."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(tile_url: str, inline_handlers: list[str]) -> dict:
    """django-csp's ``CONTENT_SECURITY_POLICY``: everything from this origin; inline scripts
    only with the request's nonce; the listed inline event handlers by hash; images also from
    the map tile server and ``data:``/``blob:`` (Leaflet's markers and uploads' previews)."""
    images = [SELF, "data:", "blob:"]
    if tile_origin(tile_url):
        images.append(tile_origin(tile_url))
    return {
        "EXCLUDE_URL_PREFIXES": CSP_EXCLUDED,
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, NONCE, UNSAFE_HASHES, *map(script_hash, inline_handlers)],
            "style-src": [SELF, UNSAFE_INLINE],
            "img-src": images,
            "font-src": [SELF, "data:"],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        },
    }
