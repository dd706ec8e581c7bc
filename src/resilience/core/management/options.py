"""Options shared by the management commands."""
from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone


def parse_now(value: str | None) -> dt.datetime | None:
    """The ``--now`` option: an ISO 8601 time (naive means the configured time zone), or None."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now: not an ISO 8601 time: {value!r}")
    return timezone.make_aware(when) if timezone.is_naive(when) else when
