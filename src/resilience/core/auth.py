"""Residents sign in with their phone number and a one-time code sent by SMS (docs/phone-login.md).

- ``normalise_phone`` turns what a resident types into the 11-digit national number.
- ``request_code`` writes a code for a number and texts it — only when the number belongs to
  exactly one resident account; the caller cannot tell (no user enumeration). It enforces the
  rate limits (``RateLimited`` says how long to wait).
- ``PhoneCodeBackend`` is the authentication backend: ``authenticate(request, phone=…, code=…)``
  checks the newest code for the number, at most ``MAX_ATTEMPTS`` wrong tries, once only, in
  constant time.

Neither the number nor the code is stored in clear; the look-up uses the keyed phone hash, never
decryption. The SMS goes through the installation's gateway adapter with the same JSON contract
and headers as the alert SMS channel (docs/channels.md).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.models import AccessBase
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext, gettext_noop

from resilience.core import crypto
from resilience.core.models import OneTimeCode
from resilience.core.roles import Role

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5  # wrong codes before a code is dead
MIN_INTERVAL = dt.timedelta(seconds=60)  # between two codes for one number
HOURLY_LIMIT = 5  # codes for one number in any hour
KEEP_CODES = dt.timedelta(days=1)
SMS_TIMEOUT = 5.0  # seconds: the page waits for the gateway

# Roles whose holders may sign in by phone. Anyone with another role (staff, grid worker…), and
# superusers and admin-site staff, sign in with their password: an SMS code is one factor only.
PHONE_SIGN_IN_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER})

# Source text of the SMS (translated per the resident's language). Until the Chinese catalogue
# has it, Chinese-speaking residents get ``SMS_TEXT_ZH`` rather than the English source.
SMS_TEXT = gettext_noop("[Community Emergency] Your sign-in code is %(code)s. It is valid for 5 "
                        "minutes. Do not tell it to anyone.")
SMS_TEXT_ZH = "【社区应急】您的登录验证码是 %(code)s，5分钟内有效。请勿告诉他人。"

_NON_DIGITS = re.compile(r"\D")


class RateLimited(Exception):
    """Too many codes for this number; ``wait`` is the time until the next one may be sent."""

    def __init__(self, wait: dt.timedelta) -> None:
        super().__init__(f"wait {wait}")
        self.wait = wait

    @property
    def seconds(self) -> int:
        return max(1, int(-(-self.wait.total_seconds() // 1)))  # rounded up


def normalise_phone(raw: str) -> str:
    """The 11-digit mainland mobile number in ``raw`` (digits only, +86 / 0086 / 86 stripped),
    or "" when it is not one."""
    raw = (raw or "").strip()
    if raw.startswith("+") and not _NON_DIGITS.sub("", raw).startswith("86"):
        return ""  # another country's number
    digits = _NON_DIGITS.sub("", raw)
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix):]
            break
    return digits if len(digits) == 11 and digits.startswith("1") else ""


def phone_hash(number: str) -> str:
    """The keyed hash of a normalised number (what ``OneTimeCode.phone_hash`` holds)."""
    return crypto.keyed_hash(number, "phone")


def _stored_spellings(number: str) -> list[str]:
    """The ways the registry may hold ``number`` (it stores what was typed): their hashes are
    looked up, so "+86 138…" or "138-0000-0001" on record still match."""
    n = number
    grouped = (f"{n[:3]} {n[3:7]} {n[7:]}", f"{n[:3]}-{n[3:7]}-{n[7:]}")
    return [n, f"+86{n}", f"+86 {n}", f"0086{n}", f"86{n}", *grouped,
            *(f"+86 {g}" for g in grouped)]


def _code_hash(number_hash: str, code: str) -> str:
    return crypto.keyed_hash(f"{number_hash}:{code}", "one-time-code")


def _may_use_phone(user) -> bool:
    if not user.is_active or user.is_superuser or user.is_staff:
        return False
    from resilience.people.models.memberships import current_q

    roles = set(user.memberships.filter(current_q()).values_list("role", flat=True))
    return roles <= PHONE_SIGN_IN_ROLES


@dataclass(frozen=True)
class Holder:
    user: object
    language: str


def find_holder(number: str) -> Holder | None:
    """The one account that may sign in with ``number`` (normalised), or None.

    A resident with that number and a linked account comes first; failing that, a user with a
    RESIDENT membership of the household of a resident with that number. Two or more candidates
    (a shared family phone) are ambiguous: nobody signs in by phone with it.
    """
    from resilience.people.models import Resident

    hashes = [phone_hash(s) for s in _stored_spellings(number)]
    residents = list(Resident.objects.filter(phone_hash__in=hashes)
                     .select_related("user").order_by("pk"))
    if not residents:
        return None
    linked = {r.user_id: r for r in residents if r.user_id}
    if linked:
        candidates = {uid: (r.user, r.language) for uid, r in linked.items()}
    else:
        User = get_user_model()
        by_household = {r.household_id: r for r in residents}
        users = (User.objects.filter(memberships__role=Role.RESIDENT,
                                     memberships__household_id__in=by_household)
                 .distinct())
        candidates = {}
        for user in users:
            household = (user.memberships.filter(role=Role.RESIDENT,
                                                 household_id__in=by_household)
                         .values_list("household_id", flat=True).first())
            candidates[user.pk] = (user, by_household[household].language)
    if len(candidates) != 1:
        if candidates:
            log.warning("phone sign-in: a number matches %d accounts; no code sent",
                        len(candidates))
        return None
    user, language = next(iter(candidates.values()))
    return Holder(user, language or "zh-hans") if _may_use_phone(user) else None


def sms_text(code: str, language: str = "zh-hans") -> str:
    with translation.override(language):
        text = gettext(SMS_TEXT)
    if text == SMS_TEXT and language.startswith("zh"):
        text = SMS_TEXT_ZH
    return text % {"code": code}


def send_code_sms(phone: str, text: str, ref: str) -> str:
    """Text ``text`` to ``phone`` through the gateway adapter (the SMS channel's contract: JSON
    ``to``/``text``/``ref``/``sender``, ``Idempotency-Key`` and bearer key); the gateway's id.
    Raises the channels' ``TemporaryFailure`` / ``PermanentFailure``."""
    from resilience.alerts.channels.sms import post_sms

    return post_sms(phone, text, ref, SMS_TIMEOUT)


def sms_enabled() -> bool:
    return bool(getattr(settings, "RESILIENCE_SMS_URL", ""))


def check_rate(number_hash: str, now: dt.datetime | None = None) -> None:
    """Raise ``RateLimited`` if another code for this number may not be sent yet."""
    now = now or timezone.now()
    recent = list(OneTimeCode.objects.filter(phone_hash=number_hash,
                                             created__gt=now - dt.timedelta(hours=1))
                  .order_by("created").values_list("created", flat=True))
    waits = []
    if recent and recent[-1] > now - MIN_INTERVAL:
        waits.append(recent[-1] + MIN_INTERVAL - now)
    if len(recent) >= HOURLY_LIMIT:
        waits.append(recent[-HOURLY_LIMIT] + dt.timedelta(hours=1) - now)
    if waits:
        raise RateLimited(max(waits))


def request_code(number: str) -> None:
    """Issue a code for ``number`` (normalised) and text it if the number has an account.

    Behaves the same for every number (a row is written either way), so neither the answer nor
    the rate limits tell whether it belongs to someone. ``RateLimited`` when it is too soon.
    """
    number_hash = phone_hash(number)
    check_rate(number_hash)
    # Codes older than a day matter to nothing (the limits look back an hour): purge them.
    OneTimeCode.objects.filter(created__lt=timezone.now() - KEEP_CODES).delete()
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    otc = OneTimeCode.objects.create(phone_hash=number_hash,
                                     code_hash=_code_hash(number_hash, code),
                                     created=now, expires=now + CODE_LIFETIME)
    holder = find_holder(number)
    if holder is None:
        return
    from resilience.alerts.channels.base import PermanentFailure, TemporaryFailure

    try:
        # A random tail: the adapter de-duplicates on ref, and ids restart after a database reset.
        ref = f"login-code-{otc.pk}-{secrets.token_hex(4)}"
        send_code_sms(number, sms_text(code, holder.language), ref=ref)
    except (TemporaryFailure, PermanentFailure) as exc:
        # The page still says "sent" (it must not differ by number); the resident asks again.
        log.error("phone sign-in: the SMS gateway refused a code: %s", exc)


def check_code(number_hash: str, code: str) -> bool:
    """Whether ``code`` is the newest live code for the number; uses it up if so, counts a
    wrong try if not. A code is live for ``CODE_LIFETIME``, once, and for ``MAX_ATTEMPTS``
    wrong tries."""
    code = _NON_DIGITS.sub("", code or "")
    if not number_hash:
        return False
    now = timezone.now()
    with transaction.atomic():
        otc = (OneTimeCode.objects.select_for_update()
               .filter(phone_hash=number_hash).order_by("-created", "-id").first())
        if otc is None or otc.used_at or otc.expires <= now or otc.attempts >= MAX_ATTEMPTS:
            return False
        if len(code) == CODE_DIGITS and constant_time_compare(_code_hash(number_hash, code),
                                                              otc.code_hash):
            otc.used_at = now
            otc.save(update_fields=["used_at"])
            return True
        otc.attempts += 1
        otc.save(update_fields=["attempts"])
        return False


def check_client_rate(ip: str | None, now: dt.datetime | None = None) -> None:
    """Raise ``RateLimited`` when the client at ``ip`` has asked for too many codes this hour.

    The per-number limits stop a flood to one phone; this one stops one client from walking
    through many numbers (SMS cost, enumeration by timing). A fixed one-hour window in the cache:
    per process with the default cache, shared when ``CACHES`` points at a shared one.
    """
    limit = getattr(settings, "RESILIENCE_PHONE_CODES_PER_IP_HOUR", 20)
    if not ip or not limit:
        return
    now = now or timezone.now()
    window = int(now.timestamp() // 3600)
    key = f"phone-codes:{crypto.keyed_hash(ip, 'client-ip')[:32]}:{window}"
    count = cache.get_or_set(key, 0, timeout=3600)
    if count >= limit:
        raise RateLimited(dt.timedelta(seconds=(window + 1) * 3600 - now.timestamp()))
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=3600)


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list[str]:
    """What django-axes counts failures by (``AXES_LOCKOUT_PARAMETERS``): the account name and
    the client address, each on its own. A phone-code sign-in has no account name: counting it
    under an empty name would lock every phone sign-in at once, so it counts by address only
    (the code itself dies after ``MAX_ATTEMPTS`` wrong tries)."""
    if credentials is not None:
        name = credentials.get("username")
    elif isinstance(request_or_attempt, AccessBase):
        name = request_or_attempt.username
    else:
        name = getattr(request_or_attempt, "POST", {}).get("username")
    return ["username", "ip_address"] if name else ["ip_address"]


@receiver(user_locked_out)
def _flag_django_request(sender, request=None, **kwargs):
    """On the failure that reaches the limit, django-axes flags the request it was given; under
    the API that is DRF's wrapper, which ``LockoutMiddleware`` never sees: flag Django's too.
    (Connected when this module loads, which Django does before the first sign-in.)"""
    inner = getattr(request, "_request", None)
    if inner is not None:
        inner.axes_locked_out = True


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in ``AUTHENTICATION_BACKENDS`` (docs/reliability.md).

    Every sign-in that comes through the web or the API carries the request, and is refused while
    its account name or its client address is locked out. Calls without a request (the test
    client, the shell) cannot be attributed to a client and are left to the other backends.
    The lockout flag is also set on Django's request under a DRF one, so that the token endpoint
    answers 429 like the sign-in page.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            inner = getattr(request, "_request", None)
            if inner is not None:
                inner.axes_locked_out = True
            raise


class PhoneCodeBackend(BaseBackend):
    """Signs in the account that holds a phone number, given the code texted to it:
    ``authenticate(request, phone="138…", code="123456")``."""

    def authenticate(self, request, phone=None, code=None):
        if phone is None or code is None:
            return None
        number = normalise_phone(phone)
        if not number or not check_code(phone_hash(number), code):
            return None
        # The code was only texted if the number had a holder; look again (it may have changed).
        holder = find_holder(number)
        return holder.user if holder else None

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User.objects.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user.is_active else None
