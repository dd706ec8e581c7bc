"""Demo data of education and drills for one community.

``seed_learning(community, today)`` loads the shared lessons, assigns them to all residents of
the community (about 30 % recorded as passed at an offline session), and adds two past drills
(a fire drill in one building last spring, a flood evacuation of two grids last summer) with
participation and timings, and one drill planned next month. Idempotent: a community that
already has drills is left alone. Deterministic for a given community.
"""
from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from resilience.core.actor import acting_as
from resilience.core.roles import Role
from resilience.participation.lesson_library import load_lessons
from resilience.participation.models import (Drill, DrillParticipation, DrillTiming, Lesson,
                                              LessonAssignment, LessonCompletion)
from resilience.participation.vocab_learning import Audience, DrillStatus
from resilience.people.models import Household, Membership, Resident
from resilience.response.vocab import Scenario

COMPLETED_SHARE = 0.3


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _past(today: dt.date, month: int, day: int) -> dt.date:
    """That month and day in the most recent past (this year if already gone, else last)."""
    this_year = dt.date(today.year, month, day)
    return this_year if this_year < today else dt.date(today.year - 1, month, day)


def seed_learning(community, today: dt.date | None = None) -> dict[str, int]:
    """Lessons, one assignment per lesson with ~30 % passed, two past drills and a planned one."""
    if Drill.objects.filter(community=community).exists():
        return {}
    today = today or timezone.localdate()
    rng = random.Random(f"resilience-demo-learning:{community.code}")
    staff = (Membership.objects.filter(community=community, role=Role.STAFF)
             .select_related("user").order_by("id").first())
    staff_user = staff.user if staff else None
    counts = {"lessons": 0, "lesson assignments": 0, "lesson completions": 0, "drills": 0}
    with acting_as(None, "demo"), transaction.atomic():
        counts["lessons"] = load_lessons()["created"]
        lessons = list(Lesson.objects.filter(community__isnull=True).exclude(code=""))
        residents = list(Resident.objects.filter(community=community)
                         .select_related("household__building").order_by("id"))
        for lesson in lessons:
            LessonAssignment.objects.create(
                community=community, lesson=lesson, audience=Audience.ALL_RESIDENTS,
                due_on=today + dt.timedelta(days=60), created_by=staff_user)
            counts["lesson assignments"] += 1
            trained = rng.sample(residents, round(len(residents) * COMPLETED_SHARE))
            when = _at(today - dt.timedelta(days=rng.randint(5, 60)), 19)
            LessonCompletion.objects.bulk_create([
                LessonCompletion(lesson=lesson, resident=r, user_id=r.user_id,
                                 community=community, grid_id=r.household.building.grid_id,
                                 completed_at=when, passed=True, recorded_by=staff_user)
                for r in trained])
            counts["lesson completions"] += len(trained)
        counts["drills"] = _drills(community, today, rng, staff_user)
    return counts


def _plan(community, scenario):
    from resilience.response.models import Plan

    return Plan.objects.filter(community=community, scenario=scenario).order_by("-version").first()


def _drills(community, today: dt.date, rng: random.Random, staff_user) -> int:
    grids = list(community.grids.order_by("code")[:2])
    building = community.buildings.order_by("code").first()
    if not grids or building is None:
        return 0
    made = 0
    spring = _past(today, 4, 18)
    fire = Drill.objects.create(
        community=community, building=building, grid=building.grid,
        scenario=Scenario.HIGH_RISE_FIRE, title=f"{building.name} 消防疏散演练",
        planned_at=_at(spring, 9, 30), plan=_plan(community, Scenario.HIGH_RISE_FIRE),
        objectives="检验楼内报警、楼梯疏散和清点人数流程；练习灭火器使用。",
        observers="街道应急办 1 人，消防站 1 人", created_by=staff_user)
    start = _at(spring, 9, 32)
    DrillTiming.objects.create(
        drill=fire, building=building, started_at=start,
        all_out_at=start + dt.timedelta(seconds=rng.randint(260, 420)),
        arrived_at=start + dt.timedelta(seconds=rng.randint(480, 600)),
        people_counted=rng.randint(60, 120), recorded_by=staff_user)
    _participation(fire, Household.objects.filter(building=building), 0.7, rng, staff_user)
    _finish(fire, spring, staff_user,
            "楼道堆物拖慢了 5 楼以上的疏散；两名行动不便老人需要志愿者背下楼，用时最长。"
            "部分居民不会使用灭火器。",
            [{"text": "清理 3～6 楼楼道堆物", "owner": "物业"},
             {"text": "为行动不便老人确定一对一帮扶志愿者", "owner": "网格员"},
             {"text": "组织灭火器实操培训", "owner": "居委会"}])
    made += 1

    summer = _past(today, 7, 12)
    flood = Drill.objects.create(
        community=community, grid=None, scenario=Scenario.FLOOD,
        title="汛期内涝转移演练（两个网格）", planned_at=_at(summer, 15),
        plan=_plan(community, Scenario.FLOOD),
        objectives="检验预警到户、地下车库清空和低洼楼栋人员转移到避难场所的时间。",
        observers="街道应急办", created_by=staff_user)
    # The drill covers two grids: its scope is the community, the timings cover their buildings.
    start = _at(summer, 15, 5)
    drill_buildings = list(community.buildings.filter(grid__in=grids).order_by("code")[:6])
    for b in drill_buildings:
        began = start + dt.timedelta(minutes=rng.randint(0, 4))
        out = began + dt.timedelta(seconds=rng.randint(300, 900))
        DrillTiming.objects.create(drill=flood, building=b, started_at=began, all_out_at=out,
                                   arrived_at=out + dt.timedelta(seconds=rng.randint(120, 400)),
                                   people_counted=rng.randint(20, 80), recorded_by=staff_user)
    _participation(flood, Household.objects.filter(building__in=drill_buildings), 0.55, rng,
                   staff_user)
    _finish(flood, summer, staff_user,
            "预警短信到达及时，但地下车库清空用时超过 20 分钟；一处低洼楼栋转移路线被积水阻断，需要备用路线。",
            [{"text": "在预案中补充低洼楼栋的备用转移路线", "owner": "居委会"},
             {"text": "汛前检查车库挡水板", "owner": "物业"}])
    made += 1

    Drill.objects.create(
        community=community, scenario=Scenario.EARTHQUAKE, title="全社区应急疏散演练",
        planned_at=_at(today + dt.timedelta(days=30), 9, 30),
        objectives="听到警报后按楼道指示牌疏散到避难场所，网格员清点人数。",
        created_by=staff_user)
    return made + 1


def _participation(drill, households, share: float, rng: random.Random, staff_user) -> None:
    DrillParticipation.objects.bulk_create([
        DrillParticipation(drill=drill, household=h, present=rng.random() < share,
                           recorded_by=staff_user)
        for h in households.order_by("id")])


def _finish(drill, day: dt.date, staff_user, lessons: str, actions: list[dict]) -> None:
    drill.status = DrillStatus.DONE
    drill.lessons_learned = lessons
    drill.actions = actions
    drill.finished_at = _at(day, 11, 30)
    drill.finished_by = staff_user
    drill.save()
