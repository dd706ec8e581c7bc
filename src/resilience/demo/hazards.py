"""The demo community's inspections and hidden hazards, as two months of a committee's work.

Inspection plans for the facilities that need them (power rooms and elevators monthly, e-bike
sheds weekly, hydrants and shelters quarterly, the underground garage before the plum-rain
season, the towers' fire safety monthly), a few of them overdue; about twenty inspections done
in the last sixty days by grid workers and the property company, some failing items; and the
hazards those produced, at every step of the rectification loop — some rectified late, some
overdue and escalated just as ``escalate_hazards`` would have done it — with their events.
"""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from resilience.core.changelog import log_created
from resilience.core.roles import Role
from resilience.people.models import Membership
from resilience.places.models import Building, Facility
from resilience.places.vocab import FacilityKind as K
from resilience.risks.hazards import ESCALATION_INTERVAL, MAX_ESCALATION
from resilience.risks.inspections import hazard_title
from resilience.risks.models import (
    ChecklistTemplate, Hazard, HazardEvent, Inspection, InspectionAnswer, InspectionPlan, RiskSource,
)
from resilience.risks.vocab import Answer, HazardSource, HazardStatus as S

# The shared checklists of migration risks/0002_default_checklists, by name.
FIRE, POWER, GAS, EBIKE = "消防安全检查", "配电房安全检查", "燃气设施安全检查", "电动自行车充电场所安全检查"
HYDRANT = "室外消火栓检查"
GARAGE, ELEVATOR, TOWER, SHELTER = ("地下车库汛前安全检查", "电梯安全检查", "高层建筑消防安全检查",
                                    "应急避难场所完好性检查")
# facility kind → (checklist, every N days)
FACILITY_PLANS = {
    K.POWER_ROOM: (POWER, 30), K.EBIKE_CHARGING: (EBIKE, 7), K.HYDRANT: (HYDRANT, 90),
    K.FIRE_EQUIPMENT: (FIRE, 30), K.UNDERGROUND_GARAGE: (GARAGE, 365), K.ELEVATOR: (ELEVATOR, 30),
    K.GAS: (GAS, 30), K.SHELTER: (SHELTER, 90),
}
RAINY_SEASON = (6, 1)  # Shanghai's plum rains (梅雨) start in June: inspect garages before
INSPECTIONS = (18, 22)
FAILED_ANSWERS = (14, 20)
OVERDUE_PLANS = (4, 7)
# What inspectors write when an item fails, in the order of each checklist's items.
FAIL_NOTES = {
    FIRE: ("3单元一楼楼梯间堆放旧家具和纸箱，占用疏散通道", "消防车通道被3辆私家车占用，禁停标线褪色",
           "2单元楼道停放电动自行车2辆，有从窗口拉线充电的痕迹", "2具灭火器压力指针在红区，1具超过有效期",
           "4楼消火栓箱内水带缺失，箱门被杂物挡住", "3层、5层疏散指示标志不亮",
           "防火门被木楔顶住常开，闭门器损坏", "楼道内有私拉电线，部分线路绝缘层老化破损"),
    HYDRANT: ("消火栓前停放私家车，占用取水位置", "阀门锈死打不开，放水试验无法进行",
              "出水口闷盖缺失1个，接口处渗水", "栓体被车辆撞歪，底座松动", "标识牌缺失",
              "防冻保温套破损脱落"),
    POWER: ("2号低压柜出线端子发黑，红外测温78℃", "电缆沟积水约5厘米，排风扇不转",
            "挡鼠板缺失，室内发现老鼠粪便", "绝缘手套超过检验有效期", "灭火器压力不足",
            "室内堆放废旧纸箱和油漆桶", "应急照明灯不亮，警示标识脱落", "近两个月巡视记录缺失"),
    GAS: ("调压箱接口处检漏仪报警，已通知燃气公司", "2家沿街餐饮店未安装燃气泄漏报警器",
          "调压箱外壳锈蚀严重", "庭院管道支架锈蚀，1处阀门锈死无法关闭", "调压站围栏外堆放建筑垃圾",
          "护栏门锁损坏", "警示标志褪色，抢修电话看不清"),
    EBIKE: ("充电棚后侧有居民从家中私拉电线充电", "充电棚距住宅楼安全出口不足6米",
            "2个充电口损坏，其中1个外壳烧焦", "灭火器被取走，消防沙箱沙量不足",
            "棚内堆放纸箱和废旧轮胎", "烟感报警器离线，监控摄像头画面黑屏",
            "发现改装大容量电池的车辆在充电", "警示标识破损"),
    GARAGE: ("挡水板只有6块，缺2块，存放位置离出入口远", "1号排水泵启动后跳闸，备用泵不能自动切换",
             "备用发电机蓄电池亏电，无法启动", "沙袋只有20只，部分破损", "坡道截水沟被落叶和泥沙堵塞",
             "水位报警器无响应", "负一层配电箱离地不足30厘米", "防汛值班表未更新，联系电话已停机",
             "车库角落停放电动自行车3辆并堆放纸箱"),
    ELEVATOR: ("轿厢五方通话按钮按下无人应答", "使用标志已过检验有效期", "缺少上月下半月维保记录",
               "平层误差明显，开门时有台阶", "底坑积水，有烟头杂物", "困人救援电话张贴缺失",
               "阻车装置未识别电动自行车进入"),
    TOWER: ("夜班只有1人值班，值班人员无证", "12层前室防火门被住户锁闭", "顶层消火栓压力不足",
            "避难层堆放装修材料", "屋顶水箱水位偏低，出水阀半关", "消防电梯迫降测试不归首层",
            "8层电缆井封堵缺失", "外墙保温层局部空鼓，北侧有脱落", "屋顶有违章搭建的彩钢板房"),
    SHELTER: ("入口被临时停放车辆占用", "避难场所指示牌褪色破损", "应急照明有2盏不亮",
              "折叠床数量不足，部分饮用水已过保质期", "应急供水点未落实", "无障碍坡道被花箱阻挡",
              "广播喇叭无声", "管理人员名单未更新"),
}
RECTIFY_NOTES = ("已按要求整改到位，整改前后照片已存档", "已完成维修并复测正常", "已清理完毕，张贴提示告示",
                 "已更换新设备，旧件已回收", "已约谈责任人，现场整改完毕")
VERIFY_NOTES = ("现场复查合格", "复查通过，资料归档", "已复核，整改到位")
REOPEN_NOTE = "复查发现仍未整改到位，请继续整改"


def generate_inspections(community, rng: random.Random, today: dt.date) -> dict[str, int]:
    """Write a generated ``community``'s inspection plans, inspections and hazards; return counts.

    Runs after the community's facilities, memberships and risk register are saved, in the same
    transaction; needs the shared checklists of the risks migrations.
    """
    return _Inspections(community, rng, today).write()


class _Inspections:
    def __init__(self, community, rng: random.Random, today: dt.date):
        self.community, self.rng, self.today = community, rng, today
        self.now = _at(today, 8, 0)  # the data describes the community as of this morning
        templates = ChecklistTemplate.objects.filter(community=None, name__in=list(FAIL_NOTES))
        self.templates = {t.name: t for t in templates.prefetch_related("items")}
        missing = set(FAIL_NOTES) - set(self.templates)
        if missing:
            raise RuntimeError(f"shared checklists missing (run the migrations): {sorted(missing)}")
        self.items = {name: list(t.items.all()) for name, t in self.templates.items()}
        self.facilities = list(Facility.objects.filter(community=community).select_related("building")
                               .order_by("code"))
        self.towers = list(Building.objects.filter(community=community, has_elevator=True)
                           .select_related("manager").order_by("code"))
        people = Membership.objects.filter(community=community).order_by("pk")
        self.grid_workers = dict(people.filter(role=Role.GRID_WORKER).values_list("grid_id", "user_id"))
        self.staff = list(people.filter(role=Role.STAFF).values_list("user_id", flat=True))
        self.property_user = people.filter(role=Role.PROPERTY).values_list("user_id", flat=True).first()
        risks = RiskSource.objects.filter(community=community).order_by("pk")
        self.risk_at = {}
        for risk_id, facility_id, building_id in risks.values_list("pk", "facility_id", "building_id"):
            self.risk_at.setdefault(("f", facility_id), risk_id)
            self.risk_at.setdefault(("b", building_id), risk_id)

    # --- plans ------------------------------------------------------------------------------

    def plans(self) -> list[InspectionPlan]:
        plans = []
        for f in self.facilities:
            if f.kind in FACILITY_PLANS:
                name, every = FACILITY_PLANS[f.kind]
                plans.append(self._plan(name, every, facility=f, grid_id=f.grid_id,
                                        organisation_id=f.owner_id))
        for b in self.towers:
            plans.append(self._plan(TOWER, 30, building=b, grid_id=b.grid_id,
                                    organisation_id=b.manager_id))
        return plans

    def _plan(self, name: str, every: int, **target) -> InspectionPlan:
        plan = InspectionPlan(community=self.community, template=self.templates[name],
                              frequency_days=every, next_due=self.today, **target)
        if name == GARAGE:  # overdue for a while after the rains begin, if nobody inspected it
            plan.next_due = _before_rain(self.today - dt.timedelta(days=60))
        else:
            plan.next_due = self.today + dt.timedelta(days=self.rng.randint(1, every))
        return plan

    # --- inspections ------------------------------------------------------------------------

    def inspector(self, plan: InspectionPlan) -> int | None:
        """The property company inspects what it owns; grid workers the rest of their grid."""
        owned = plan.organisation_id and plan.template.name in (POWER, ELEVATOR, GARAGE, TOWER)
        if owned and self.property_user:
            return self.property_user
        return self.grid_workers.get(plan.grid_id) or (self.staff[0] if self.staff else None)

    def inspections(self, plans: list[InspectionPlan]) -> list[tuple[Inspection, InspectionPlan]]:
        rng = self.rng
        done = rng.sample(plans, min(len(plans), rng.randint(*INSPECTIONS)))
        out = []
        for plan in done:
            # Within the plan's period (so the plan is not overdue), within sixty days.
            days_ago = rng.randint(1, max(1, min(60, plan.frequency_days - 1)))
            started = _at(self.today - dt.timedelta(days=days_ago), rng.randint(8, 16),
                          rng.randrange(0, 60, 5))
            target = plan.facility or plan.building
            inspection = Inspection(
                community=self.community, plan=plan, template=plan.template,
                facility=plan.facility, building=plan.building, grid_id=plan.grid_id,
                inspector_id=self.inspector(plan), organisation_id=plan.organisation_id,
                status=Inspection.Status.COMPLETED,
                completed_at=started + dt.timedelta(minutes=rng.randint(15, 50)),
                latitude=_jitter(rng, target.latitude), longitude=_jitter(rng, target.longitude))
            inspection.demo_started = started
            if plan.template.name == GARAGE:
                plan.next_due = _before_rain(started.date() + dt.timedelta(days=60))
            else:
                plan.next_due = max(plan.next_due, started.date() + dt.timedelta(days=plan.frequency_days))
            out.append((inspection, plan))
        others = [p for p in plans if p not in done and p.template.name != GARAGE]
        for plan in rng.sample(others, min(len(others), rng.randint(*OVERDUE_PLANS))):
            plan.next_due = self.today - dt.timedelta(days=rng.randint(1, 25))
        return out

    def answers(self, inspections: list[Inspection]) -> list[InspectionAnswer]:
        rng = self.rng
        answers = []
        for inspection in inspections:
            for item in self.items[inspection.template.name]:
                answer = Answer.NOT_APPLICABLE if rng.random() < 0.03 else Answer.PASS
                answers.append(InspectionAnswer(inspection=inspection, item=item, answer=answer))
        for answer in rng.sample(answers, min(len(answers), rng.randint(*FAILED_ANSWERS))):
            answer.answer = Answer.FAIL
            answer.note = FAIL_NOTES[answer.inspection.template.name][answer.item.order - 1]
        return answers

    # --- hazards ----------------------------------------------------------------------------

    def hazards(self, failed: list[InspectionAnswer]) -> tuple[list[Hazard], list[HazardEvent]]:
        """One hazard per failed answer, its status chosen so that every status appears: the
        newer ones still open, most older ones verified, a few older ones overdue."""
        rng = self.rng
        failed = sorted(failed, key=lambda a: (a.inspection.completed_at, a.item.order))
        older, newer = failed[: len(failed) * 2 // 3], failed[len(failed) * 2 // 3:]
        statuses = {}
        new_pool = [S.FOUND, S.ASSIGNED, S.RECTIFYING]
        for k, answer in enumerate(newer):
            statuses[id(answer)] = new_pool[k] if k < 3 else rng.choice(new_pool + [S.RECTIFIED])
        old_pool = [S.ASSIGNED, S.RECTIFYING, S.RECTIFIED] + [S.VERIFIED] * max(0, len(older) - 3)
        rng.shuffle(old_pool)
        for answer, status in zip(older, old_pool):
            statuses[id(answer)] = status
        hazards, events = [], []
        for answer in failed:
            hazard, trail = self._hazard(answer, statuses[id(answer)])
            hazards.append(hazard)
            events.extend(trail)
        return hazards, events

    def _hazard(self, answer: InspectionAnswer, status: str) -> tuple[Hazard, list[HazardEvent]]:
        rng, inspection, item = self.rng, answer.inspection, answer.item
        target = inspection.facility or inspection.building
        building = inspection.building or getattr(inspection.facility, "building", None)
        responsible_id = (inspection.facility.owner_id if inspection.facility else None) \
            or (building.manager_id if building else None)
        found = inspection.completed_at
        hazard = Hazard(
            community=self.community, grid_id=inspection.grid_id, building=building,
            facility=inspection.facility, answer=answer,
            risk_id=self.risk_at.get(("f", inspection.facility.pk) if inspection.facility
                                     else ("b", building.pk)),
            source=HazardSource.INSPECTION, title=hazard_title(str(target), item.text),
            description=answer.note, severity=item.severity, status=status,
            responsible_id=responsible_id, deadline=found.date() + dt.timedelta(days=item.rectify_days),
            found_by_id=inspection.inspector_id, latitude=target.latitude, longitude=target.longitude)
        hazard.demo_found = found
        staff = self.staff[0] if self.staff else None
        trail = [self._event(hazard, found, inspection.inspector_id, HazardEvent.Action.REPORT, "",
                             S.FOUND, f"{found:%Y-%m-%d}巡查发现")]
        if status != S.FOUND:
            hazard.assignee_id = (self.property_user if responsible_id and self.property_user
                                  else self.grid_workers.get(inspection.grid_id))
            when = self._after(found, 1, 20)
            trail.append(self._event(hazard, when, staff, HazardEvent.Action.ASSIGN, S.FOUND, S.ASSIGNED,
                                     f"请于{hazard.deadline:%m月%d日}前整改到位"))
            doer = hazard.assignee_id
            if status in (S.RECTIFYING, S.RECTIFIED, S.VERIFIED) and rng.random() < 0.8:
                when = self._after(when, 2, 30)
                trail.append(self._event(hazard, when, doer, HazardEvent.Action.START, S.ASSIGNED,
                                         S.RECTIFYING, ""))
            if status == S.RECTIFYING and trail[-1].action != HazardEvent.Action.START:
                when = self._after(when, 2, 30)
                trail.append(self._event(hazard, when, doer, HazardEvent.Action.START, S.ASSIGNED,
                                         S.RECTIFYING, ""))
            if status == S.RECTIFYING and self._late(hazard) and rng.random() < 0.5:
                when = self._after(when, 12, 48)
                trail.append(self._event(hazard, when, doer, HazardEvent.Action.RECTIFY, S.RECTIFYING,
                                         S.RECTIFIED, rng.choice(RECTIFY_NOTES)))
                when = self._after(when, 4, 30)
                trail.append(self._event(hazard, when, staff, HazardEvent.Action.REOPEN, S.RECTIFIED,
                                         S.RECTIFYING, REOPEN_NOTE))
            if status in (S.RECTIFIED, S.VERIFIED):
                when = self._rectified_at(hazard, when)
                hazard.rectified_at = when
                trail.append(self._event(hazard, when, doer, HazardEvent.Action.RECTIFY,
                                         trail[-1].to_status, S.RECTIFIED, rng.choice(RECTIFY_NOTES)))
            if status == S.VERIFIED:
                when = self._after(when, 4, 60)
                hazard.verified_at, hazard.verified_by_id = when, staff
                trail.append(self._event(hazard, when, staff, HazardEvent.Action.VERIFY, S.RECTIFIED,
                                         S.VERIFIED, rng.choice(VERIFY_NOTES)))
        trail.extend(self._escalations(hazard))
        return hazard, trail

    def _late(self, hazard: Hazard) -> bool:
        return hazard.deadline < self.today

    def _rectified_at(self, hazard: Hazard, after: dt.datetime) -> dt.datetime:
        """Mostly by the deadline; about one in seven a few days late."""
        due = _at(hazard.deadline, 17, 30)
        if self.rng.random() < 0.15:
            due += dt.timedelta(days=self.rng.randint(1, 4))
        latest = min(due, self.now - dt.timedelta(hours=1))
        if latest <= after:
            return self._after(after, 1, 4)
        when = timezone.localtime(after + (latest - after) * self.rng.uniform(0.3, 1.0))
        if not 8 <= when.hour < 19:  # in working hours of the same day, if still after ``after``
            daytime = _at(when.date(), self.rng.randint(9, 17), self.rng.randrange(0, 60, 5))
            when = daytime if after < daytime <= latest else when
        return when

    def _escalations(self, hazard: Hazard) -> list[HazardEvent]:
        """The escalations the daily command (02:00) would have made for an overdue hazard."""
        if hazard.status not in (S.FOUND, S.ASSIGNED, S.RECTIFYING) or not self._late(hazard):
            return []
        events = []
        day = hazard.deadline + dt.timedelta(days=1)
        while day <= self.today and hazard.escalation_level < MAX_ESCALATION:
            hazard.escalation_level += 1
            hazard.escalated_at = _at(day, 2, 0)
            level = "街道办事处" if hazard.escalation_level == 1 else "区应急管理部门"
            events.append(self._event(hazard, hazard.escalated_at, None, HazardEvent.Action.ESCALATE,
                                      hazard.status, hazard.status,
                                      f"超过整改期限（{hazard.deadline:%Y-%m-%d}），升级至{level}"))
            day += dt.timedelta(days=ESCALATION_INTERVAL)
        return events

    def _after(self, when: dt.datetime, low_hours: int, high_hours: int) -> dt.datetime:
        """A time some hours later, in working hours (8:00–18:59), and before ``now``."""
        later = when + dt.timedelta(minutes=self.rng.randint(low_hours * 60, high_hours * 60))
        local = timezone.localtime(later)
        if local.hour < 8:
            later = _at(local.date(), 8, self.rng.randrange(30, 60, 5))
        elif local.hour >= 19:
            later = _at(local.date() + dt.timedelta(days=1), 8, self.rng.randrange(30, 60, 5))
        return min(later, max(self.now - dt.timedelta(minutes=5), when + dt.timedelta(minutes=1)))

    @staticmethod
    def _event(hazard, when, user_id, action, from_status, to_status, note) -> HazardEvent:
        event = HazardEvent(hazard=hazard, user_id=user_id, action=action, from_status=from_status,
                            to_status=to_status, note=note)
        event.demo_time = when
        return event

    # --- writing ----------------------------------------------------------------------------

    def write(self) -> dict[str, int]:
        plans = self.plans()
        done = self.inspections(plans)
        inspections = [inspection for inspection, _ in done]
        InspectionPlan.objects.bulk_create(plans)
        for inspection, plan in done:
            inspection.plan = plan
        Inspection.objects.bulk_create(inspections)
        for inspection in inspections:  # auto_now_add stamped "now" on insert
            inspection.started_at = inspection.demo_started
        Inspection.objects.bulk_update(inspections, ["started_at"])
        answers = self.answers(inspections)
        InspectionAnswer.objects.bulk_create(answers)
        hazards, events = self.hazards([a for a in answers if a.answer == Answer.FAIL])
        Hazard.objects.bulk_create(hazards)
        for hazard in hazards:
            hazard.found_at = hazard.demo_found
        Hazard.objects.bulk_update(hazards, ["found_at"])
        for event in events:
            event.hazard_id = event.hazard.pk
        HazardEvent.objects.bulk_create(events)
        for event in events:
            event.time = event.demo_time
        HazardEvent.objects.bulk_update(events, ["time"])
        for rows in (plans, inspections, hazards):
            log_created(rows)
        return {"inspection plans": len(plans), "inspections": len(inspections),
                "hazards": len(hazards)}


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)),
                               timezone.get_default_timezone())


def _before_rain(day: dt.date) -> dt.date:
    """The first day-before-the-rainy-season on or after ``day``."""
    due = dt.date(day.year, *RAINY_SEASON) - dt.timedelta(days=1)
    return due if due >= day else dt.date(day.year + 1, *RAINY_SEASON) - dt.timedelta(days=1)


def _jitter(rng: random.Random, value: float | None) -> float | None:
    """A phone's reading of the position: within a few metres."""
    return None if value is None else round(value + rng.uniform(-0.00004, 0.00004), 7)
