"""DingTalk (钉钉) group robot: a markdown post, signed when the robot has a "sign" secret.

Signing, as DingTalk documents it: ``timestamp`` in milliseconds, ``sign`` =
url-encode(base64(HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>"))), both added to the URL.
DingTalk refuses a timestamp more than an hour off, so every attempt signs afresh.
``errcode`` 0 is delivered; 130101 (sending too fast: 20 a minute) and -1 (busy) are retried.
A robot cannot de-duplicate: if its answer is lost, the retry posts the warning again.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from resilience.alerts.channels import http
from resilience.alerts.channels.base import Channel, Message, PermanentFailure

MAX_BYTES = 5000
TEMPORARY = {-1, 130101}


def sign(secret: str, timestamp_ms: int) -> str:
    """The url-encoded ``sign`` parameter for ``timestamp_ms``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"),
                      hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


class DingTalk(Channel):
    name = "dingtalk"
    batch = 20

    def send(self, delivery, message: Message) -> str:
        endpoint = delivery.recipient.endpoint
        if endpoint is None:
            raise PermanentFailure("the recipient is not a group endpoint")
        body = http.encode({"msgtype": "markdown", "markdown": {
            "title": message.subject[:100], "text": http.clip(message.text, MAX_BYTES)}})
        response = http.post(signed_url(endpoint.url, endpoint.secret or ""), body,
                             timeout=self.timeout)
        return http.robot_result(response, "DingTalk", ("errcode",), TEMPORARY)
