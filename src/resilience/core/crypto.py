"""Encryption at rest and keyed look-up hashes for personal data (PIPL sensitive information).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the newest key in
``RESILIENCE_FIELD_KEYS``; older keys still decrypt, so keys can be rotated. Look-up and duplicate
detection use an HMAC of the normalised value under a separate key, never the plaintext.
"""
from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import InvalidToken, MultiFernet, Fernet
from django.conf import settings


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(value: str) -> str:
    if value == "":
        return ""
    return _fernet(tuple(settings.RESILIENCE_FIELD_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(tuple(settings.RESILIENCE_FIELD_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt a personal-data field: wrong RESILIENCE_FIELD_KEY?") from exc


def keyed_hash(value: str, purpose: str = "") -> str:
    """A stable keyed hash of ``value`` for equality look-up; empty for an empty value."""
    if value == "":
        return ""
    key = (settings.RESILIENCE_HASH_KEY + ":" + purpose).encode()
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110***********1234``: region prefix and last four kept."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
