"""Helper pairings (结对帮扶): which pairs are in force, and at which date."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone


def in_force(queryset: QuerySet, on: dt.date | None = None, prefix: str = "") -> QuerySet:
    """The pairings of ``queryset`` in force on ``on`` (today by default): begun by then, not
    ended by then. ``prefix`` reaches pairings through a relation, e.g. ``"pairings__"``."""
    on = on or timezone.localdate()
    return queryset.filter(Q(**{f"{prefix}since__lte": on}) & (
        Q(**{f"{prefix}ended__isnull": True}) | Q(**{f"{prefix}ended__gt": on})))
