"""E-mail through the installation's SMTP server (Django's mail backend, ``RESILIENCE_SMTP_*``).

SMTP has no idempotency key: if the worker dies after the server accepted a message but before
the delivery is marked sent, the retry sends it again. It is the one person-to-person channel
where that can happen (robots share it: see docs/channels.md). The ``Message-ID`` is derived from
``delivery.ref``, the same on every attempt, so a mail client or a filter can recognise the repeat.

A 5xx about this recipient or message is final; anything about the connection, a 4xx, or a
refusal of our own login or sender address is retried, because those are this installation's
configuration — the channel backs off as a whole while an operator fixes it, rather than failing
every message at once.
"""
from __future__ import annotations

import smtplib
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email

from resilience.alerts.channels.base import (
    Channel, Message, PermanentFailure, TemporaryFailure, setting,
)


def message_id(ref: str) -> str:
    """``<ref@domain of DEFAULT_FROM_EMAIL>``: stable across retries of one delivery."""
    domain = parseaddr(setting("DEFAULT_FROM_EMAIL", ""))[1].rpartition("@")[2] or "localhost"
    return f"<{ref}@{domain}>"


def _failure(exc: smtplib.SMTPException) -> Exception:
    """The SMTP exception as one of our two failures."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (0, b""))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, reply = exc.smtp_code, exc.smtp_error
    else:
        return TemporaryFailure(f"SMTP: {type(exc).__name__}: {exc}")
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    reason = f"SMTP {code}: {reply}"[:300]
    ours = isinstance(exc, (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused,
                            smtplib.SMTPHeloError, smtplib.SMTPConnectError))
    if 500 <= code < 600 and not ours:
        return PermanentFailure(reason)
    return TemporaryFailure(reason)


class Email(Channel):
    name = "email"
    batch = 20
    parallel = 2
    timeout = 10.0

    def __init__(self) -> None:
        self.timeout = float(setting("EMAIL_TIMEOUT") or self.timeout)

    def enabled(self) -> bool:
        return bool(setting("EMAIL_HOST"))

    def send(self, delivery, message: Message) -> str:
        user = delivery.recipient.user
        address = (user.email if user else "").strip()
        if not address:
            raise PermanentFailure("no e-mail address on record")
        try:
            validate_email(address)
        except ValidationError:
            raise PermanentFailure("not a valid e-mail address") from None
        ident = message_id(delivery.ref)
        mail = EmailMultiAlternatives(
            subject=" ".join(message.subject.split()), body=message.text, to=[address],
            headers={"Message-ID": ident, "X-Resilience-Ref": delivery.ref,
                     "Auto-Submitted": "auto-generated"},
            connection=get_connection(fail_silently=False, timeout=self.timeout))
        try:
            mail.send()
        except smtplib.SMTPException as exc:
            raise _failure(exc) from exc
        except OSError as exc:  # refused, unreachable, timed out, TLS failure
            raise TemporaryFailure(f"SMTP connection: {type(exc).__name__}: {exc}") from exc
        return ident
