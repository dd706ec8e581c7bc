"""Query helpers shared by the indicator modules.

Every helper answers for many communities at once with one grouped query (``values("community")
.annotate(…)``), so an indicator costs the same few queries for 1 or 1,000 communities. Registry
rows count as of the assessment time by their ``created`` time (the registry keeps no end dates);
events count inside a window that ends at the assessment time, so a past assessment can be
recomputed.

``shared()`` lets a whole assessment reuse the counts several indicators need (residents,
households, the last alert…): inside the block each is queried once per set of communities and
time. Outside it nothing is kept, so a test that adds rows between two computations sees them.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import math
from collections.abc import Callable, Iterable

import numpy as np
from django.db.models import (
    Case, CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from resilience.assessment.catalogue import Measurement

DAY = dt.timedelta(days=1)
HALF_YEAR = dt.timedelta(days=183)
YEAR = dt.timedelta(days=365)
EARTH_RADIUS_M = 6_371_000.0

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("indicator_memo", default=None)


@contextlib.contextmanager
def shared():
    """Reuse the counts several indicators need for the duration of the block (one assessment)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: tuple, compute: Callable[[], dict]) -> dict:
    """``compute()``, or its earlier answer for ``key`` inside ``shared()``."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def local_day(at: dt.datetime) -> dt.date:
    """The calendar day of ``at`` in the platform's time zone (deadlines are dates there)."""
    return timezone.localdate(at) if timezone.is_aware(at) else at.date()


# --- grouped queries -----------------------------------------------------------------------------

def grouped(queryset: QuerySet, by: str = "community", **aggregates) -> dict[int, dict]:
    """``{community id: {aggregate: value}}`` from one GROUP BY query."""
    rows = queryset.order_by().values(by).annotate(**aggregates)
    return {row[by]: row for row in rows}


def counted(queryset: QuerySet, by: str = "community") -> dict[int, int]:
    """``{community id: rows}`` from one GROUP BY query."""
    return {key: row["n"] for key, row in grouped(queryset, by, n=Count("pk")).items()}


def valid_at(at: dt.datetime, prefix: str = "") -> Q:
    """Memberships in force at ``at``: begun by then and not ended."""
    from resilience.people.models.memberships import current_q

    return Q(**{f"{prefix}created__lte": at}) & current_q(prefix, at)


def population(community_ids: list[int], at: dt.datetime) -> dict[int, dict]:
    """Per community: ``residents``, ``vulnerable`` (any vulnerability tag), ``with_phone``,
    ``vulnerable_with_contact`` (emergency contact name and phone) — one query."""
    from resilience.people.models import Resident

    def compute() -> dict[int, dict]:
        vulnerable = ~Q(tag_index="")
        rows = grouped(
            Resident.objects.filter(community_id__in=community_ids, created__lte=at),
            residents=Count("pk"), vulnerable=Count("pk", filter=vulnerable),
            with_phone=Count("pk", filter=~Q(phone_hash="")),
            vulnerable_with_contact=Count("pk", filter=vulnerable & ~Q(emergency_contact_name="")
                                          & ~Q(emergency_contact_phone="")))
        empty = {"residents": 0, "vulnerable": 0, "with_phone": 0, "vulnerable_with_contact": 0}
        return {cid: {k: rows.get(cid, empty)[k] for k in empty} for cid in community_ids}

    return remembered(("population", tuple(community_ids), at), compute)


def residents(community_ids: list[int], at: dt.datetime) -> dict[int, int]:
    """Residents registered by ``at``, per community."""
    people = population(community_ids, at)
    return {cid: people[cid]["residents"] for cid in community_ids}


def households(community_ids: list[int], at: dt.datetime) -> dict[int, int]:
    """Households registered by ``at``, per community."""
    from resilience.people.models import Household

    return remembered(("households", tuple(community_ids), at), lambda: counted(
        Household.objects.filter(community_id__in=community_ids, created__lte=at)))


def households_in_areas(areas: list[tuple[int, int, int | None, int | None]],
                        at: dt.datetime) -> dict[int, int]:
    """``{key: households}`` for areas given as ``(key, community, grid, building)``: the
    building's households, else the grid's, else the community's — as drills and surveys reach
    them. Two queries at most, whatever the number of areas."""
    from resilience.people.models import Household

    communities = sorted({cid for _key, cid, _grid, _building in areas})
    whole = households(communities, at) if communities else {}
    by_building: dict[int, int] = {}
    by_grid: dict[int, int] = {}
    narrow = sorted({cid for _key, cid, grid, building in areas if grid or building})
    if narrow:
        for building, grid, n in (Household.objects.filter(community_id__in=narrow,
                                                           created__lte=at)
                                  .order_by().values("building", "building__grid")
                                  .annotate(n=Count("pk"))
                                  .values_list("building", "building__grid", "n")):
            by_building[building] = n
            by_grid[grid] = by_grid.get(grid, 0) + n
    return {key: (by_building.get(building, 0) if building
                  else by_grid.get(grid, 0) if grid else whole.get(cid, 0))
            for key, cid, grid, building in areas}


def grid_workers(community_ids: list[int], at: dt.datetime) -> dict[int, int]:
    """Distinct users holding a grid-worker role in force at ``at`` in the community's grids."""
    from resilience.core.roles import Role
    from resilience.people.models import Membership

    def compute() -> dict[int, int]:
        rows = grouped(Membership.objects.filter(valid_at(at), role=Role.GRID_WORKER,
                                                 grid__community_id__in=community_ids),
                       "grid__community", n=Count("user", distinct=True))
        return {cid: row["n"] for cid, row in rows.items()}

    return remembered(("grid_workers", tuple(community_ids), at), compute)


def active_volunteers(community_ids: list[int], at: dt.datetime) -> QuerySet:
    from resilience.people.models import Volunteer

    return Volunteer.objects.filter(community_id__in=community_ids, active=True, created__lte=at)


def grade_at(at: dt.datetime):
    """A risk source's grade as of ``at``: the grade of its newest assessment by then, or its
    stored grade when it was graded by then without a kept assessment (imported registers)."""
    from resilience.risks.models import RiskAssessment

    history = Subquery(RiskAssessment.objects.filter(risk=OuterRef("pk"), assessed_at__lte=at)
                       .order_by("-assessed_at", "-id").values("grade")[:1])
    stored = Case(When(assessed_at__lte=at, then=F("grade")), default=Value(""))
    return Coalesce(history, stored, output_field=CharField())


def serious_risks(community_ids: list[int], at: dt.datetime) -> QuerySet:
    """Active risk sources in the register by ``at`` whose grade then was major or high."""
    from resilience.risks.models import RiskSource
    from resilience.risks.vocab import Grade

    return (RiskSource.objects.filter(community_id__in=community_ids, active=True, created__lte=at)
            .annotate(grade_then=grade_at(at)).filter(grade_then__in=[Grade.MAJOR, Grade.HIGH]))


# --- distances -----------------------------------------------------------------------------------

def within(points: Iterable[tuple[float, float]], targets: Iterable[tuple[float, float]],
           metres: float) -> int:
    """How many of ``points`` (lat, lng) lie within ``metres`` (great-circle) of any target."""
    p = np.radians(np.asarray(list(points), dtype=float).reshape(-1, 2))
    t = np.radians(np.asarray(list(targets), dtype=float).reshape(-1, 2))
    if not len(p) or not len(t):
        return 0
    dlat = p[:, None, 0] - t[None, :, 0]
    dlng = p[:, None, 1] - t[None, :, 1]
    h = (np.sin(dlat / 2) ** 2
         + np.cos(p[:, None, 0]) * np.cos(t[None, :, 0]) * np.sin(dlng / 2) ** 2)
    distance = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return int((distance.min(axis=1) <= metres).sum())


# --- measurements --------------------------------------------------------------------------------

def number(value) -> float | int:
    """A JSON-safe number (Decimal and numpy values become float or int)."""
    if isinstance(value, (bool, int)):
        return int(value)
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else round(value, 4)


def ratio(part, whole, *, part_name: str, whole_name: str, scale: float = 1.0,
          digits: int = 4, **extra) -> Measurement:
    """``part / whole × scale`` with both in the inputs; no value (reason ``no_<whole>``) when
    ``whole`` is zero."""
    inputs = {part_name: number(part), whole_name: number(whole),
              **{k: number(v) if isinstance(v, (int, float)) else v for k, v in extra.items()}}
    if not whole:
        return Measurement(None, {**inputs, "reason": f"no_{whole_name}"})
    return Measurement(round(float(part) / float(whole) * scale, digits), inputs)


def ratios(rows: dict[int, dict], community_ids, part: str, whole: str, *, part_name: str,
           whole_name: str) -> dict[int, Measurement]:
    """``ratio`` of two aggregates of ``grouped`` rows for every community (0 where a community
    has no row)."""
    return {cid: ratio(rows.get(cid, {}).get(part, 0), rows.get(cid, {}).get(whole, 0),
                       part_name=part_name, whole_name=whole_name)
            for cid in community_ids}


def none(reason: str, **inputs) -> Measurement:
    """No value, and why."""
    return Measurement(None, {**{k: number(v) for k, v in inputs.items()}, "reason": reason})


def finite(value: float) -> bool:
    return value is not None and not math.isinf(value) and not math.isnan(value)
