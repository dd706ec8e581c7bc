"""Demo needs requests: a handful of open requests from residents of several buildings, so the
lists, the needs board and dispatch have something to show.

``seed_requests(community, today)`` is idempotent (a community with requests is left alone) and
deterministic (seeded by the community). It links requests to supply items when the supplies demo
has stocked them (run it after ``seed_supplies``).
"""
from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from resilience.people.models import Household, Resident
from resilience.relief import requests as service
from resilience.relief.models import Item, NeedRequest
from resilience.relief.vocab import NeedKind, Urgency, VisitReason

# kind, reason, urgency, description, medicine, days left, item name (if stocked), quantity
DEMO = (
    (NeedKind.MEDICINE, "", Urgency.HIGH, "降压药快吃完了", "氨氯地平", 2, None, None),
    (NeedKind.FOOD, "", Urgency.NORMAL, "家中米面不足", "", None, "方便面", 1),
    (NeedKind.FOOD, "", Urgency.NORMAL, "需要饮用水", "", None, "瓶装饮用水 550ml", 24),
    (NeedKind.CARE, "", Urgency.HIGH, "独居老人需要上门照护", "", None, None, None),
    (NeedKind.PSYCHOLOGICAL, "", Urgency.NORMAL, "情绪低落，希望有人聊聊", "", None, None, None),
    (NeedKind.MEDICAL_VISIT, VisitReason.PREGNANCY, Urgency.HIGH, "孕检", "", None, None, None),
    (NeedKind.PET_CARE, "", Urgency.LOW, "狗粮用完了", "", None, None, None),
    (NeedKind.MEDICINE, "", Urgency.NORMAL, "常用药", "", 5, "常用药品包", 1),
)


def _people(community, count: int, rng: random.Random) -> list[tuple[Household, Resident | None]]:
    """Households of several buildings (spread over the community), with one member each."""
    households = list(Household.objects.filter(community=community).order_by("building_id", "pk")
                      .select_related("building"))
    if not households:
        return []
    step = max(1, len(households) // max(1, count))
    picked = [households[min(len(households) - 1, i * step + rng.randrange(step))]
              for i in range(count)]
    members = {}
    for r in Resident.objects.filter(household__in=picked).order_by("birth_date"):
        members.setdefault(r.household_id, r)
    return [(h, members.get(h.pk)) for h in picked]


def file_all(community, rows, people, now: dt.datetime | None = None) -> list[NeedRequest]:
    """File ``rows`` (as ``DEMO``) for ``people`` as the system, linking stocked items."""
    items = {i.name: i for i in Item.objects.filter(community=community)}
    made = []
    for (kind, reason, urgency, text, medicine, days_left, item_name, quantity), (household,
                                                                                  person) in zip(
            rows, people):
        item = items.get(item_name) if item_name else None
        made.append(service.file_request(
            None, household=household, resident=person, kind=kind, visit_reason=reason,
            urgency=urgency, description=text, medicine=medicine, days_left=days_left,
            item=item, quantity=quantity if item else None, now=now))
    return made


def seed_requests(community, today: dt.date | None = None) -> dict[str, int]:
    """A few open requests of every kind; once per community."""
    if NeedRequest.objects.filter(community=community).exists():
        return {}
    rng = random.Random(f"requests-{community.pk}")
    with transaction.atomic():
        made = file_all(community, DEMO, _people(community, len(DEMO), rng))
    return {"needs requests": len(made)}
