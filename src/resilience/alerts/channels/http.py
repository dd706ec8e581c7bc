"""Posting JSON for the HTTP channels (SMS gateway, robots, webhook), with one way of failing.

Every channel that speaks HTTP goes through ``post`` so that the same answer means the same thing
everywhere: a timeout, a refused connection, a 5xx, 408 or 429 may pass (``TemporaryFailure``,
retried with back-off); any other non-2xx will not (``PermanentFailure`` with the status and the
start of the body, so the operator reads the provider's own reason on the delivery). Redirects
are not followed: a robot URL that redirects is misconfigured, and a POST must not become a GET.

One pooled client per process keeps connections to a gateway open between messages.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable

import httpx

from resilience.alerts.channels.base import PermanentFailure, TemporaryFailure

TEMPORARY_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "Resilience-Alerts/1"

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def client() -> httpx.Client:
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(follow_redirects=False, headers={"User-Agent": USER_AGENT})
        return _client


def encode(payload) -> bytes:
    """JSON as UTF-8 (Chinese as itself, not \\u escapes): the exact bytes a signature covers."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def excerpt(text: str, limit: int = 200) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def clip(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8 without splitting a character (robots
    refuse a message over their limit outright; a clipped warning is better than none)."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes - 3].decode("utf-8", errors="ignore") + "…"


def post(url: str, body: bytes, *, timeout: float, headers: dict | None = None,
         accept: Collection[int] = ()) -> httpx.Response:
    """POST ``body`` (JSON bytes) to ``url``; return the response when it is 2xx or in ``accept``,
    else raise ``TemporaryFailure`` / ``PermanentFailure`` as the module docstring says."""
    headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        response = client().post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise TemporaryFailure(f"no answer within {timeout:g} s ({type(exc).__name__})") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise PermanentFailure(f"bad URL: {exc}") from exc
    except httpx.TransportError as exc:
        raise TemporaryFailure(f"connection failed: {type(exc).__name__}: {exc}") from exc
    status = response.status_code
    if 200 <= status < 300 or status in accept:
        return response
    reason = f"HTTP {status}: {excerpt(response.text)}".rstrip(": ")
    if status >= 500 or status in TEMPORARY_STATUSES:
        raise TemporaryFailure(reason)
    raise PermanentFailure(reason)


def robot_result(response: httpx.Response, service: str, keys: Iterable[str],
                 temporary: Collection[int]) -> str:
    """Read a chat robot's JSON answer: its result code under the first of ``keys`` present; 0
    is delivered (returns ""), a code in ``temporary`` (rate limit, busy) may pass, any other is
    refused with the robot's own message."""
    try:
        data = response.json()
    except ValueError:
        raise PermanentFailure(f"{service} answered HTTP {response.status_code} without JSON: "
                               f"{excerpt(response.text)}") from None
    if not isinstance(data, dict):
        raise PermanentFailure(f"{service} answered {excerpt(response.text)}")
    code = next((data[k] for k in keys if data.get(k) is not None), None)
    if code is None:
        raise PermanentFailure(f"{service} answered without a result code: "
                               f"{excerpt(response.text)}")
    if code == 0 and response.is_success:
        return ""
    message = next((data[k] for k in ("errmsg", "msg", "StatusMessage") if data.get(k)), "")
    reason = f"{service} error {code}: {excerpt(str(message))}".rstrip(": ")
    if code in temporary or response.status_code >= 500:
        raise TemporaryFailure(reason)
    raise PermanentFailure(reason)
