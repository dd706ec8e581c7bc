"""Row makers for the indicator tests (no tests here): a few named rows on top of ``world``."""
from __future__ import annotations

import datetime as dt
import itertools
import json

from resilience.core.testing import make_id_number

_serial = itertools.count(500)


def add_residents(community, building, n: int, *, tags=(), phone: bool = True,
                  contact: bool = False) -> list:
    """``n`` residents, each in a household of their own in ``building``."""
    from resilience.people.models import Household, Resident

    made = []
    for _ in range(n):
        k = next(_serial)
        household = Household.objects.create(community=community, building=building,
                                             room=f"r{k}", code=f"h{k}")
        birth = dt.date(1940 + k % 60, k % 12 + 1, k % 28 + 1)
        made.append(Resident.objects.create(
            community=community, household=household, name=f"Person {k}", sex="male",
            birth_date=birth, id_number=make_id_number(birth, k, female=False),
            phone=f"137{k:08d}" if phone else "", vulnerability=json.dumps(list(tags)),
            emergency_contact_name="Relative" if contact else "",
            emergency_contact_phone="13600000000" if contact else ""))
    return made


def add_facility(community, kind: str, code: str, *, lat=None, lng=None, status="in_service",
                 capacity=None, building=None):
    from resilience.places.models import Facility

    return Facility.objects.create(community=community, kind=kind, code=code, name=code,
                                   latitude=lat, longitude=lng, status=status,
                                   capacity=capacity, building=building)


def add_risk(community, name: str, risk_type: str, grade: str, *, at=None, facility=None):
    """A risk source with one assessment of ``grade`` at ``at`` (now by default)."""
    from resilience.risks.models import RiskAssessment, RiskSource

    risk = RiskSource.objects.create(community=community, name=name, risk_type=risk_type,
                                     grade=grade, facility=facility)
    assessment = RiskAssessment.objects.create(risk=risk, method="matrix", inputs={}, score=1,
                                               grade=grade)
    if at is not None:
        RiskAssessment.objects.filter(pk=assessment.pk).update(assessed_at=at)
    return risk


def backdate(obj, **fields) -> None:
    """Set auto-filled times (``created``, ``found_at``…) that ``save`` would overwrite."""
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    obj.refresh_from_db()
