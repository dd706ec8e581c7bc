"""In the app: the message is the delivery row itself, shown in the person's inbox and in the
banner every signed-in page polls (so it appears within about two seconds of being sent)."""
from __future__ import annotations

from resilience.alerts.channels.base import Channel, Message, PermanentFailure


class InApp(Channel):
    name = "inapp"
    instant = True
    batch = 2000

    def send(self, delivery, message: Message) -> str:
        if not delivery.recipient.user_id:
            raise PermanentFailure("the recipient has no user account")
        return ""
