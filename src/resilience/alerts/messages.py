"""Rendering what a recipient is told: per channel and language, from template files.

``alerts/messages/<channel>.<language>.txt`` (e.g. ``sms.zh-hans.txt``), falling back to
``default.<language>.txt``. Chinese and English are written as separate files, not translated
strings, so that each reads naturally and stays short: an SMS must fit a few segments and use
plain words (accessible wording: what happened, where, what to do, how to say you are safe).
"""
from __future__ import annotations

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import reverse
from django.utils import translation

from resilience.alerts.channels.base import Message

LANGUAGES = ("zh-hans", "en")


def language_of(code: str | None) -> str:
    code = (code or "").lower()
    return "en" if code.startswith("en") else "zh-hans"


def public_url(path: str) -> str:
    base = getattr(settings, "RESILIENCE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + path


def texts(alert, language: str) -> dict:
    """The alert's headline, description and instruction in ``language`` (Chinese when the English
    text was not written)."""
    english = language == "en"
    return {
        "headline": (alert.headline_en if english and alert.headline_en else alert.headline),
        "description": (alert.description_en if english and alert.description_en
                        else alert.description),
        "instruction": (alert.instruction_en if english and alert.instruction_en
                        else alert.instruction),
    }


def render(alert, recipient, channel: str) -> Message:
    """The message for ``recipient`` through ``channel``."""
    language = language_of(recipient.language)
    link = public_url(recipient.ack_url()) if recipient.kind != "group" else ""
    with translation.override(language):
        context = {"alert": alert, "recipient": recipient, "link": link,
                   "level": alert.get_level_display(), "community": alert.community.name,
                   "board": public_url(reverse("alerts:alert_board", args=[alert.pk])), **texts(alert, language)}
        try:
            template = select_template([f"alerts/messages/{channel}.{language}.txt",
                                        f"alerts/messages/default.{language}.txt"])
        except TemplateDoesNotExist:  # pragma: no cover — default files ship with the app
            raise
        text = template.render(context).strip()
        prefix = "【演练】" if alert.exercise and language == "zh-hans" else (
            "[EXERCISE] " if alert.exercise else "")
        subject = f"{prefix}[{context['level']}] {context['headline']}"
    return Message(language=language, subject=subject, text=text, link=link, level=alert.level,
                   colour=alert.colour, alert_identifier=alert.identifier,
                   exercise=alert.exercise)
