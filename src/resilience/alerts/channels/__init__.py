"""Channels, one folder each behind ``base.Channel``: in-app, e-mail, SMS, WeCom, DingTalk, Feishu
and the signed webhook. ``get(name)`` returns the configured instance."""
from __future__ import annotations

from importlib import import_module

from resilience.alerts.channels.base import Channel, Message, PermanentFailure, TemporaryFailure

# name → "module:Class"; imported on first use so a channel's library loads only if used.
REGISTRY = {
    "inapp": "resilience.alerts.channels.inapp:InApp",
    "email": "resilience.alerts.channels.email:Email",
    "sms": "resilience.alerts.channels.sms:Sms",
    "wecom": "resilience.alerts.channels.wecom:WeCom",
    "dingtalk": "resilience.alerts.channels.dingtalk:DingTalk",
    "feishu": "resilience.alerts.channels.feishu:Feishu",
    "webhook": "resilience.alerts.channels.webhook:Webhook",
}
_instances: dict[str, Channel] = {}


def get(name: str) -> Channel:
    if name not in _instances:
        module, cls = REGISTRY[name].split(":")
        _instances[name] = getattr(import_module(module), cls)()
    return _instances[name]


def reset() -> None:
    """Forget the instances (tests change settings between them)."""
    _instances.clear()


__all__ = ["Channel", "Message", "PermanentFailure", "TemporaryFailure", "get", "reset", "REGISTRY"]
