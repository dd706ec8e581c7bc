"""Demo data of community health: archives for the residents the demo tags as dialysis, home
oxygen, bedridden, device-dependent or chronically ill (at most ``LIMIT`` per community, the
device-dependent first), care plans with follow-ups (the dialysis patient's due today, some
overdue), and a closed incident with its screening round, one screening and a referral.

``seed(community, today)`` is idempotent: a community that already has archives is left alone.
The archive of a resident re-derives the same health tags the demo gave them, so nothing
the other apps see changes — except that a community without a dialysis patient gets one (a
chronically ill resident aged 40+ on home peritoneal dialysis), so the story can be shown.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from resilience.core.roles import Role
from resilience.health.models import (
    CarePlan, Condition, Consent, Device, FollowUp, HealthArchive, Medication, Referral,
)
from resilience.health.services import screening
from resilience.people.models import Membership, Resident
from resilience.people.vocab import Vulnerability as V

LIMIT = 40
CHRONIC = (("I10", "氨氯地平片", "5 mg 每日一次"), ("E11", "二甲双胍片", "0.5 g 每日两次"),
           ("I25.1", "阿司匹林肠溶片", "100 mg 每日一次"), ("J44", "噻托溴铵吸入剂", "每日一吸"))


def _health_worker(community):
    membership = (Membership.objects.filter(role=Role.HEALTH_WORKER, community=community)
                  .select_related("user").order_by("id").first())
    return membership.user if membership else None


def _rank(tags: set[str]) -> int:
    for rank, tag in enumerate((V.DIALYSIS, V.OXYGEN, V.MEDICAL_DEVICE, V.BEDRIDDEN)):
        if tag in tags:
            return rank
    return 9


def seed(community, today: dt.date | None = None) -> dict[str, int]:
    """Archives, care plans, follow-ups, a screening round and a referral; once per community."""
    if HealthArchive.objects.filter(community=community).exists():
        return {}
    today = today or timezone.localdate()
    worker = _health_worker(community)
    governed = {V.CHRONIC_ILLNESS, V.DIALYSIS, V.OXYGEN, V.MEDICAL_DEVICE, V.BEDRIDDEN}
    candidates = []
    for resident in Resident.objects.filter(community=community).exclude(tag_index=""):
        tags = set(resident.tags)
        if tags & governed:
            candidates.append((_rank(tags), resident.pk, resident, tags))
    candidates.sort(key=lambda c: c[:2])
    chosen = candidates[:LIMIT]
    if chosen and not any(V.DIALYSIS in c[3] for c in chosen):
        for i, (_r, _pk, resident, tags) in enumerate(chosen):
            if resident.age(today) >= 40:
                chosen.insert(0, chosen.pop(i))
                tags.add(V.DIALYSIS)
                break
    counts = {"health archives": 0, "care plans": 0, "follow-ups": 0}
    with transaction.atomic():
        for index, (_r, _pk, resident, tags) in enumerate(chosen):
            _archive(resident, tags, index, worker, today)
            counts["health archives"] += 1
            first_on = today if index == 0 else today - dt.timedelta(days=(index % 9) - 3)
            alone = V.ELDERLY_ALONE in tags and V.DIALYSIS not in tags
            plan = CarePlan.objects.create(
                community=community, resident=resident, assignee=worker,
                kind="elderly_alone" if alone else "chronic",
                interval_days=7 if V.DIALYSIS in tags else 30,
                started_on=today - dt.timedelta(days=60),
                goal="规律透析，监测体重与血压" if V.DIALYSIS in tags else "血压血糖达标，按时服药")
            FollowUp.objects.create(community=community, resident=resident, care_plan=plan,
                                    assignee=worker, scheduled_on=first_on,
                                    kind="visit" if index % 2 == 0 else "call")
            counts["care plans"] += 1
            counts["follow-ups"] += 1
        counts.update(_screening(community, worker, today))
    return counts


def _archive(resident, tags: set[str], index: int, worker, today: dt.date) -> HealthArchive:
    archive = HealthArchive.objects.create(
        community_id=resident.community_id, resident=resident, created_by=worker,
        mobility="bedridden" if V.BEDRIDDEN in tags else "aid" if index % 3 == 0 else "independent",
        family_doctor="社区卫生服务中心 家庭医生团队", allergies="青霉素" if index % 7 == 0 else "")
    code, drug, dose = CHRONIC[index % len(CHRONIC)]
    codes = [code]
    if V.DIALYSIS in tags:
        codes = ["N18.5", "Z99.2", "I10"]
        Device.objects.create(archive=archive, device_type="dialysis_peritoneal",
                              needs_power=True, battery_hours=2)
        Medication.objects.create(archive=archive, name="碳酸钙片", dose="0.5 g 每日三次",
                                  days_supply=12, recorded_on=today - dt.timedelta(days=5))
    if V.OXYGEN in tags:
        codes = ["J44", "J96.1"]
        Device.objects.create(archive=archive, device_type="oxygen_concentrator",
                              needs_power=True, battery_hours=0)
    if V.MEDICAL_DEVICE in tags:
        Device.objects.create(archive=archive, device_type="suction", needs_power=True,
                              battery_hours=1)
    if V.BEDRIDDEN in tags and V.DIALYSIS not in tags and V.OXYGEN not in tags:
        codes = ["I69.3", "I10"]
    for n, value in enumerate(dict.fromkeys(codes)):
        Condition.objects.create(archive=archive, code=value,
                                 onset=today.replace(year=today.year - 3 - n, day=1))
    Medication.objects.create(archive=archive, name=drug, dose=dose, days_supply=(index * 7) % 60,
                              recorded_on=today - dt.timedelta(days=10))
    Consent.objects.create(archive=archive, purpose="care", granted_on=today - dt.timedelta(days=90))
    if index == 0:
        Consent.objects.create(archive=archive, purpose="fhir_export",
                               granted_on=today - dt.timedelta(days=90))
    return archive


def _screening(community, worker, today: dt.date) -> dict[str, int]:
    """A closed incident (a fire in one building) with its screening round, one screening and
    an accepted referral."""
    from resilience.places.models import Building
    from resilience.response.models import Incident
    from resilience.response.vocab import IncidentStatus, Scenario

    building = (Building.objects.filter(community=community, households__residents__isnull=False)
                .order_by("id").first())
    if building is None:
        return {}
    closed = timezone.now() - dt.timedelta(days=3)
    incident = Incident.objects.create(
        community=community, title=f"{building.name} 电动自行车充电起火", scenario=Scenario.HIGH_RISE_FIRE, status=IncidentStatus.CLOSED,
        whole_community=False, closed_at=closed, activated_at=closed - dt.timedelta(hours=3),
        lessons="楼道禁止电动自行车充电；加强夜间巡查。")
    incident.area_buildings.set([building])
    round_ = screening.start_round(None, incident)
    first = round_.screenings.order_by("priority", "id").first()
    if first is None or worker is None:
        return {"screening rounds": 1}
    screening.record_screening(worker, first, phq9=[2, 2, 1, 2, 1, 1, 1, 1, 0],
                               gad7=[2, 2, 2, 1, 1, 1, 2])
    if screening.needs_referral(first):
        referral = screening.refer(worker, first.resident, target="counselling",
                                   reason="PHQ-9 11, GAD-7 11", screening=first)
        screening.advance_referral(worker, referral, "accepted")
    return {"screening rounds": 1, "referrals": Referral.objects.filter(
        community=community).count()}
