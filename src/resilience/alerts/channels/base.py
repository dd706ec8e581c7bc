"""The one interface every channel implements, and the two ways a send can fail.

A channel turns a rendered ``Message`` into something leaving the platform (an SMS through the
gateway, an e-mail, a robot post) and returns the provider's reference. It raises
``TemporaryFailure`` for what may work later (a timeout, a 5xx, a refused connection: retried
with back-off) and ``PermanentFailure`` for what never will (no address, a 4xx refusal: failed at
once with the reason). Any other exception counts as temporary.

Every send carries ``delivery.ref`` as its idempotency key: the same on every retry of the same
delivery, so a receiver that de-duplicates on it (our SMS gateway adapter, the signed webhook,
the fake gateway) gets each message once even when a worker dies between sending and recording.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Message:
    """What one recipient is told, in their language, ready for a channel to format."""

    language: str
    subject: str  # the e-mail subject / robot title: "[II orange] Fire in building 3"
    text: str  # the body for this channel, rendered from its template
    link: str  # the absolute acknowledgement link ("" for groups)
    level: int
    colour: str
    alert_identifier: str
    exercise: bool = False


class TemporaryFailure(Exception):
    """The send may work later: retry with back-off."""


class PermanentFailure(Exception):
    """The send will never work as it stands (no address, refused): fail with this reason."""


class Channel:
    """One way out. Subclasses set ``name`` and implement ``send``."""

    name: str = ""
    max_attempts: int = 8  # 2+4+…+256 s of back-off: about 8 minutes of trying
    batch: int = 100  # deliveries claimed at a time
    instant: bool = False  # no I/O: a claimed batch is marked sent in one statement
    # Send tasks started per alert: senders of one channel share its queue (leased claims), so
    # several wait on the network at once.
    parallel: int = 1
    timeout: float = 5.0  # seconds for one request: a dead gateway must not hold the worker

    def enabled(self) -> bool:
        """Configured on this installation (a gateway URL, an SMTP host…)."""
        return True

    def send(self, delivery, message: Message) -> str:
        """Send ``message`` for ``delivery``; return the provider's reference (may be "")."""
        raise NotImplementedError


def setting(name: str, default=None):
    return getattr(settings, name, default)
