"""The "14-day lockdown" scenario of the demo (issue #7): the state a sealed community is in on
its first morning, so the whole relief loop can be walked.

``start(community, days=14, today=…)`` makes sure the community has stock (the supplies demo),
opens a needs survey for the whole community with some households' answers in, mobilises a
dozen volunteers (available any time, with the skills the requests need), and files ~40 open
requests of every kind from residents of several buildings — a dialysis visit and an insulin
request among them — back-dated over the last hours (a few past their target) so waiting time
counts; priorities are then recomputed. Run it with ``resilience demo --scenario lockdown``. Idempotent: a community whose
lockdown survey is open is left alone.
"""
from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from resilience.people.models import Resident, Volunteer
from resilience.people.models.residents import tag_filter
from resilience.relief import requests as service
from resilience.relief.demo_requests import _people, file_all
from resilience.relief.models import NeedRequest, Survey
from resilience.relief.vocab import NeedKind, QuestionKind, SurveyStatus, Urgency, VisitReason

TITLE = "%d 天封控：居民需求摸排"
K, R, U = NeedKind, VisitReason, Urgency
# kind, reason, urgency, description, medicine, days left, item name (if stocked), quantity
REQUESTS = (
    (K.MEDICAL_VISIT, R.DIALYSIS, U.CRITICAL, "每周三次血液透析，需送医", "", None, None, None),
    (K.MEDICINE, "", U.CRITICAL, "胰岛素只剩一天的量", "胰岛素", 1, None, None),
    (K.MEDICAL_VISIT, R.EMERGENCY, U.CRITICAL, "胸闷气短", "", None, None, None),
    (K.MEDICAL_VISIT, R.CHEMOTHERAPY, U.HIGH, "化疗疗程不能中断", "", None, None, None),
    (K.MEDICAL_VISIT, R.PREGNANCY, U.HIGH, "孕 34 周产检", "", None, None, None),
    (K.MEDICINE, "", U.HIGH, "降压药快吃完了", "氨氯地平", 2, None, None),
    (K.MEDICINE, "", U.NORMAL, "常用药", "", 4, "常用药品包", 1),
    (K.MEDICINE, "", U.HIGH, "哮喘吸入剂", "沙丁胺醇气雾剂", 1, None, None),
    (K.CARE, "", U.HIGH, "卧床老人需要翻身护理", "", None, None, None),
    (K.CARE, "", U.NORMAL, "独居老人需要送餐照看", "", None, None, None),
    (K.PSYCHOLOGICAL, "", U.NORMAL, "封控后焦虑失眠", "", None, None, None),
    (K.PSYCHOLOGICAL, "", U.HIGH, "情绪崩溃，需要疏导", "", None, None, None),
    (K.PET_CARE, "", U.LOW, "猫粮用完了", "", None, None, None),
    (K.OTHER, "", U.LOW, "需要代缴电费", "", None, None, None),
)
FOOD = (
    (K.FOOD, "", U.NORMAL, "家中米面不足", "", None, "方便面", 1),
    (K.FOOD, "", U.NORMAL, "需要饮用水", "", None, "瓶装饮用水 550ml", 12),
    (K.FOOD, "", U.HIGH, "婴儿奶粉快没了", "", None, "婴儿奶粉", 2),
    (K.FOOD, "", U.NORMAL, "需要压缩饼干", "", None, "压缩饼干", 4),
    (K.FOOD, "", U.LOW, "需要大米", "", None, "大米 10kg", 1),
)
REQUEST_COUNT = 40
SKILL_MIX = (["medical", "driving"], ["driving", "logistics"], ["nursing"], ["nursing"],
             ["psychology"], ["medical"], ["logistics"], ["logistics"], ["logistics"],
             ["logistics", "driving"], ["logistics"], ["first_aid", "logistics"])


def _survey(community, days: int, now: dt.datetime, rng: random.Random) -> Survey:
    from resilience.people.models import Household
    from resilience.relief import surveys

    survey = Survey.objects.create(community=community, title=TITLE % days,
                                   intro="封控期间请每户填写，居委会据此安排配送和上门服务。",
                                   closes_at=now + dt.timedelta(days=2))
    need = surveys.add_question(
        survey, text="您家目前最需要什么？", kind=QuestionKind.MULTI,
        choices=["饮用水", "食品", "常用药", "就医（透析/化疗等）", "心理疏导", "暂无"],
        needs={"饮用水": K.FOOD, "食品": K.FOOD, "常用药": K.MEDICINE,
               "就医（透析/化疗等）": K.MEDICAL_VISIT, "心理疏导": K.PSYCHOLOGICAL},
        urgent=["就医（透析/化疗等）"])
    food_days = surveys.add_question(survey, text="家中食品还能维持几天？",
                                     kind=QuestionKind.NUMBER)
    surveys.open_survey(survey)
    households = list(Household.objects.filter(community=community).order_by("pk"))
    for household in households[: max(1, len(households) // 4)]:
        picked = rng.sample(need.choices[:5], rng.randint(1, 2)) if rng.random() < 0.8 else ["暂无"]
        surveys.respond(survey, household, {str(need.pk): picked,
                                            str(food_days.pk): rng.randint(0, 7)})
    return survey


def _mobilise(community) -> int:
    """A dozen active volunteers available any time, with the skills requests need."""
    volunteers = list(Volunteer.objects.filter(community=community, active=True,
                                               home_building__isnull=False).order_by("pk")[:12])
    for volunteer, skills in zip(volunteers, SKILL_MIX):
        volunteer.availability = "anytime"
        volunteer.skills = sorted(set(volunteer.skills or []) | set(skills))
        volunteer.save()
    return len(volunteers)


def _dialysis_patient(community):
    return (Resident.objects.filter(community=community).filter(tag_filter("dialysis"))
            .select_related("household").first())


def start(community, *, days: int = 14, today: dt.date | None = None) -> dict[str, int]:
    """Put ``community`` on the first morning of a ``days``-day lockdown (see the module)."""
    if Survey.objects.filter(community=community, title=TITLE % days,
                             status=SurveyStatus.OPEN).exists():
        return {}
    now = timezone.now()
    rng = random.Random(f"lockdown-{community.pk}-{days}")
    counts: dict[str, int] = {}
    try:
        from resilience.relief.demo_supplies import seed_supplies
    except ImportError:  # the supplies part is not installed: requests without items
        seed_supplies = None
    if seed_supplies is not None:
        counts.update(seed_supplies(community, today))
    with transaction.atomic():
        _survey(community, days, now, rng)
        counts["volunteers mobilised"] = _mobilise(community)
        rows = list(REQUESTS)
        while len(rows) < REQUEST_COUNT:
            rows.append(FOOD[len(rows) % len(FOOD)])
        people = _people(community, len(rows), rng)
        patient = _dialysis_patient(community)
        if patient is not None and people:
            people[0] = (patient.household, patient)
        made = file_all(community, rows, people)
        for request in made:
            # Filed since the lockdown began: most within their target, a few past it (so the
            # escalation and the overdue counts have something to show).
            target = service.target_hours(request.kind, request.visit_reason)
            filed = now - dt.timedelta(hours=min(20.0, rng.uniform(0.1, 1.2) * target))
            due = filed + dt.timedelta(hours=target)
            NeedRequest.objects.filter(pk=request.pk).update(created=filed, due_at=due)
        service.recompute_priorities(community, now=now)
    counts["survey"] = 1
    counts["needs requests"] = len(made)
    return counts
