"""Fetch a CAP document or feed: http(s) only, with a timeout and a size limit."""
from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from resilience.alerts.cap import CapError
from resilience.alerts.cap.safe import MAX_BYTES

TIMEOUT_SECONDS = 15
ALLOWED_SCHEMES = ("http", "https")
USER_AGENT = "resilience-cap/1.0 (+CAP 1.2 relay)"


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow one to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in ALLOWED_SCHEMES:
            raise CapError(_("Refused a redirect to %(url)s: only http and https are fetched.")
                           % {"url": newurl})
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(),
                    urllib.request.HTTPSHandler(), urllib.request.HTTPErrorProcessor(),
                    urllib.request.HTTPDefaultErrorHandler(), _HttpOnlyRedirects()):
        opener.add_handler(handler)
    return opener


def is_url(source: str) -> bool:
    return "://" in source[:20]


def fetch_url(url: str, *, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES) -> bytes:
    """The body at ``url``, or ``CapError``: non-http(s) scheme, HTTP error, timeout, too large."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise CapError(_("Only http and https URLs are fetched, not %(scheme)s: %(url)s")
                       % {"scheme": scheme or _("no scheme"), "url": url})
    request = urllib.request.Request(url, headers={
        "User-Agent": USER_AGENT,
        "Accept": "application/cap+xml, application/atom+xml, application/rss+xml, "
                  "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
    })
    try:
        with _opener().open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise CapError(_("%(url)s is larger than %(limit)s kB; refused.")
                               % {"url": url, "limit": max_bytes // 1000})
            body = response.read(max_bytes + 1)
    except CapError:
        raise
    except urllib.error.HTTPError as exc:
        raise CapError(_("%(url)s answered HTTP %(status)s %(reason)s.")
                       % {"url": url, "status": exc.code, "reason": exc.reason}) from None
    except urllib.error.URLError as exc:
        raise CapError(_("Could not fetch %(url)s: %(error)s")
                       % {"url": url, "error": exc.reason}) from None
    except (TimeoutError, OSError, ValueError) as exc:
        raise CapError(_("Could not fetch %(url)s: %(error)s")
                       % {"url": url, "error": exc or type(exc).__name__}) from None
    if len(body) > max_bytes:
        raise CapError(_("%(url)s is larger than %(limit)s kB; refused.")
                       % {"url": url, "limit": max_bytes // 1000})
    return body


def read_source(source: str, *, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """(bytes, source URL) of a file path or an http(s) URL; ``CapError`` when unreadable."""
    if is_url(source):
        return fetch_url(source, max_bytes=max_bytes), source
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CapError(_("%(path)s is larger than %(limit)s kB; refused.")
                           % {"path": source, "limit": max_bytes // 1000})
        return path.read_bytes(), ""
    except OSError as exc:
        raise CapError(_("Cannot read %(path)s: %(error)s")
                       % {"path": source, "error": exc.strerror or exc}) from None
