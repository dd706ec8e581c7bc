"""Feishu / Lark (飞书) group robot: a text post, signed when the robot has a "sign" secret.

Signing, as Feishu documents it: ``timestamp`` in seconds, ``sign`` =
base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg=b"")) — the string is the key and the
message is empty — both put in the JSON body. The answer's ``code`` (older robots:
``StatusCode``) is 0 when delivered; 9499 and 11232 (rate limits) are retried. Feishu sometimes
answers a refusal with HTTP 400 and its code in the body, so 400 is read as a robot answer.
A robot cannot de-duplicate: if its answer is lost, the retry posts the warning again.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

from resilience.alerts.channels import http
from resilience.alerts.channels.base import Channel, Message, PermanentFailure

MAX_BYTES = 18000  # the request body may be 20 KB
TEMPORARY = {9499, 11232}


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def payload(text: str, secret: str, timestamp: int | None = None) -> dict:
    body: dict = {"msg_type": "text", "content": {"text": http.clip(text, MAX_BYTES)}}
    if secret:
        timestamp = timestamp if timestamp is not None else int(time.time())
        body = {"timestamp": str(timestamp), "sign": sign(secret, timestamp), **body}
    return body


class Feishu(Channel):
    name = "feishu"
    batch = 20

    def send(self, delivery, message: Message) -> str:
        endpoint = delivery.recipient.endpoint
        if endpoint is None:
            raise PermanentFailure("the recipient is not a group endpoint")
        body = http.encode(payload(message.text, endpoint.secret or ""))
        response = http.post(endpoint.url, body, timeout=self.timeout, accept=(400,))
        return http.robot_result(response, "Feishu", ("code", "StatusCode"), TEMPORARY)
