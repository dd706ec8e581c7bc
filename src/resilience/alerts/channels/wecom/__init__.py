"""WeCom (企业微信) group robot: a markdown post to the robot's webhook URL.

The robot answers HTTP 200 with ``errcode``: 0 delivered, 45009 "too many messages" (about 20 a
minute per robot) and -1 "busy" are worth retrying, anything else (a revoked key: 93000) is not.
A robot cannot de-duplicate: if its answer is lost, the retry posts the warning to the group again.
"""
from __future__ import annotations

from resilience.alerts.channels import http
from resilience.alerts.channels.base import Channel, Message, PermanentFailure

MAX_BYTES = 4096  # WeCom refuses longer markdown content
TEMPORARY = {-1, 45009}


class WeCom(Channel):
    name = "wecom"
    batch = 20

    def send(self, delivery, message: Message) -> str:
        endpoint = delivery.recipient.endpoint
        if endpoint is None:
            raise PermanentFailure("the recipient is not a group endpoint")
        body = http.encode({"msgtype": "markdown",
                            "markdown": {"content": http.clip(message.text, MAX_BYTES)}})
        response = http.post(endpoint.url, body, timeout=self.timeout)
        return http.robot_result(response, "WeCom", ("errcode",), TEMPORARY)
