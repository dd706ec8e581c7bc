"""SMS through an HTTP gateway adapter (docs/channels.md has the contract).

We do not speak any one provider's API: an installation puts a small adapter in front of its
provider (Aliyun, Tencent Cloud, an operator's SMPP bridge…) that takes our JSON and answers with
an id. The adapter de-duplicates on ``ref`` (also sent as ``Idempotency-Key``) and answers 409
with the first id for a repeat, so a retry after a lost answer never texts a person twice.

The number is decrypted only here, at the moment of sending, and never logged.
"""
from __future__ import annotations

import re

from resilience.alerts.channels import http
from resilience.alerts.channels.base import Channel, Message, PermanentFailure, setting

# Mainland mobile numbers, loosely: 11 digits from 1, optionally after +86 / 0086 / 86.
MOBILE = re.compile(r"^(?:\+?86|0086)?(1\d{10})$")
SEPARATORS = re.compile(r"[\s\-().]")


def mobile_number(raw: str) -> str:
    """The 11-digit national number in ``raw``; ``PermanentFailure`` if it is not a mobile."""
    match = MOBILE.match(SEPARATORS.sub("", raw or ""))
    if not match:
        raise PermanentFailure("not a mainland mobile number")
    return match.group(1)


def phone_of(recipient) -> str:
    """Whose phone a recipient's SMS goes to: the resident's, their emergency contact's, or the
    volunteer's. Staff and grid workers are reached in the app and by e-mail, not here."""
    if recipient.kind == "resident" and recipient.resident_id:
        return recipient.resident.phone or ""
    if recipient.kind == "emergency_contact" and recipient.resident_id:
        return recipient.resident.emergency_contact_phone or ""
    if recipient.volunteer_id:
        return recipient.volunteer.phone or ""
    return ""


class Sms(Channel):
    name = "sms"
    batch = 50
    parallel = 3

    def enabled(self) -> bool:
        return bool(setting("RESILIENCE_SMS_URL"))

    def send(self, delivery, message: Message) -> str:
        raw = phone_of(delivery.recipient)
        if not raw.strip():
            raise PermanentFailure("no phone number on record")
        return post_sms(raw, message.text, delivery.ref, self.timeout)


def post_sms(phone: str, text: str, ref: str, timeout: float) -> str:
    """Post one SMS to the gateway adapter (the contract in docs/channels.md); return its id.

    Raises ``TemporaryFailure`` / ``PermanentFailure``. Also used for sign-in codes."""
    body = http.encode({"to": mobile_number(phone), "text": text, "ref": ref,
                        "sender": setting("RESILIENCE_SMS_SENDER", "")})
    headers = {"Idempotency-Key": ref}
    if key := setting("RESILIENCE_SMS_KEY"):
        headers["Authorization"] = f"Bearer {key}"
    # 409: the gateway already accepted this ref (our earlier answer was lost) — delivered.
    response = http.post(setting("RESILIENCE_SMS_URL"), body, timeout=timeout,
                         headers=headers, accept=(409,))
    try:
        reported = response.json().get("id")
    except (ValueError, AttributeError):
        reported = None
    return str(reported) if reported is not None else ""
