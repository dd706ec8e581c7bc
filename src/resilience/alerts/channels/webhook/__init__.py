"""Signed webhook: the alert as JSON to another system (a district platform, a PA system, a
building's screens), with the link to its CAP 1.2 document.

Headers: ``Idempotency-Key`` (``delivery.ref``, the same on every retry: a receiver that keeps
the keys it has seen gets each alert once), ``X-Resilience-Timestamp`` (Unix seconds) and, when
the endpoint has a secret, ``X-Resilience-Signature: sha256=<hex HMAC-SHA256(secret,
"<timestamp>.<body>")>`` over the exact body bytes. ``verify_signature`` is the receiver's side.
2xx is delivered, and so is 409 (the receiver already has this key).
"""
from __future__ import annotations

import hashlib
import hmac
import time

from django.urls import reverse

from resilience.alerts.channels import http
from resilience.alerts.channels.base import Channel, Message, PermanentFailure
from resilience.alerts.messages import public_url

SIGNATURE_HEADER = "X-Resilience-Signature"
TIMESTAMP_HEADER = "X-Resilience-Timestamp"


def signature(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The header value: ``sha256=<hex>`` of ``"<timestamp>.<body>"``."""
    body = body.encode("utf-8") if isinstance(body, str) else body
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, timestamp: int | str, body: bytes | str, header: str,
                     tolerance: int = 300, now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` at ``timestamp`` with ``secret`` and the timestamp is
    within ``tolerance`` seconds of now (an old captured request cannot be replayed later)."""
    try:
        stamp = int(str(timestamp))
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - stamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), (header or "").strip())


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def alert_payload(alert) -> dict:
    """The alert's content in both languages, as a receiving system needs it."""
    return {
        "identifier": alert.identifier, "msg_type": alert.msg_type,
        "references": alert.references.identifier if alert.references_id else None,
        "exercise": alert.exercise, "level": alert.level, "colour": alert.colour,
        "event_type": alert.event_type, "urgency": alert.urgency, "certainty": alert.certainty,
        "headline": alert.headline, "description": alert.description,
        "instruction": alert.instruction, "headline_en": alert.headline_en,
        "description_en": alert.description_en, "instruction_en": alert.instruction_en,
        "area_description": alert.area_description,
        "effective": _iso(alert.effective), "expires": _iso(alert.expires),
        "issued_at": _iso(alert.issued_at),
        "community": alert.community.code,
    }


class Webhook(Channel):
    name = "webhook"
    batch = 20
    parallel = 2

    def send(self, delivery, message: Message) -> str:
        endpoint = delivery.recipient.endpoint
        if endpoint is None:
            raise PermanentFailure("the recipient is not a group endpoint")
        alert = delivery.alert
        body = http.encode({
            "ref": delivery.ref, "alert": alert_payload(alert),
            "cap_url": public_url(reverse("cap:alert", args=[alert.identifier])),
            "text": message.text, "language": message.language})
        timestamp = int(time.time())
        headers = {"Idempotency-Key": delivery.ref, TIMESTAMP_HEADER: str(timestamp)}
        if endpoint.secret:
            headers[SIGNATURE_HEADER] = signature(endpoint.secret, timestamp, body)
        response = http.post(endpoint.url, body, timeout=self.timeout, headers=headers,
                             accept=(409,))
        try:
            reported = response.json().get("id")
        except (ValueError, AttributeError):
            reported = None
        return str(reported) if reported is not None else ""
