"""Demo data of supplies, surveys and group purchases.

``seed_supplies(community, today)`` is idempotent (a community with supply items is left alone):
a warehouse (a second one too), ~15 items with stock across the two, some lots expiring within 30
days and one expired lot, the default reserve norms, one closed needs survey with answers, and one
group purchase collecting orders in a building.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from resilience.people.models import Household, Resident
from resilience.places.models import Building, Facility
from resilience.places.vocab import FacilityKind
from resilience.relief import ledger, norms, purchases, surveys
from resilience.relief.models import GroupPurchase, Item, StockLot, Survey, SurveyResponse
from resilience.relief.vocab import NeedKind, QuestionKind

# name, category, unit, perishable, per norm unit, (quantity in W1, quantity in W2), shelf days
ITEMS = (
    ("瓶装饮用水 550ml", "water", "瓶", True, "0.55", (2400, 1200), 300),
    ("桶装饮用水 18.9L", "water", "桶", True, "18.9", (60, 20), 180),
    ("方便面", "food", "箱", True, "4", (120, 40), 200),
    ("压缩饼干", "food", "包", True, "0.5", (300, 100), 20),
    ("大米 10kg", "food", "袋", True, "20", (40, 20), 240),
    ("医用外科口罩", "masks", "只", True, None, (5000, 2000), 25),
    ("N95 口罩", "masks", "只", True, None, (800, 0), 500),
    ("急救包", "medical_kit", "个", False, None, (80, 30), None),
    ("常用药品包", "medicine", "份", True, None, (60, 0), 15),
    ("棉被", "blankets", "床", False, None, (150, 100), None),
    ("便携式发电机", "generator", "台", False, None, (1, 1), None),
    ("柴油", "fuel", "升", False, None, (200, 0), None),
    ("手电筒（含电池）", "lighting", "个", False, None, (200, 100), None),
    ("消毒液", "hygiene", "瓶", True, None, (100, 50), 12),
    ("婴儿奶粉", "baby", "罐", True, None, (20, 10), 90),
)


def _warehouses(community) -> list[Facility]:
    found = list(Facility.objects.filter(community=community, kind=FacilityKind.WAREHOUSE)[:2])
    codes = iter(("WH-1", "WH-2"))
    names = iter(("社区应急物资仓库", "居委会备用仓库"))
    while len(found) < 2:
        code, name = next(codes), next(names)
        if Facility.objects.filter(community=community, code=code).exists():
            continue
        building = Building.objects.filter(community=community).order_by("pk").first()
        found.append(Facility.objects.create(
            community=community, kind=FacilityKind.WAREHOUSE, code=code, name=name,
            grid=building.grid if building else None, building=building,
            latitude=building.latitude if building else None,
            longitude=building.longitude if building else None))
    return found


def _stock(community, warehouses, today: dt.date, rng: random.Random) -> int:
    # The table is sized for ~300 residents (about 4 days of water, a week of food); a larger
    # community gets proportionally more, so its days of autonomy look alike.
    scale = max(1.0, Resident.objects.filter(community=community).count() / 300)
    lots = 0
    for name, category, unit, perishable, factor, quantities, shelf in ITEMS:
        if category != "generator":
            quantities = tuple(round(q * scale) for q in quantities)
        item = Item.objects.create(community=community, name=name, category=category, unit=unit,
                                   perishable=perishable,
                                   per_capita_amount=Decimal(factor) if factor else None)
        for warehouse, quantity in zip(warehouses, quantities):
            if not quantity:
                continue
            if perishable:
                # two lots: a short one (some expire within 30 days) and a long one
                short = max(1, quantity // 3)
                ledger.receive(item, warehouse, short,
                               expires_on=today + dt.timedelta(days=shelf if shelf < 30
                                                               else rng.randint(40, shelf)),
                               reason="首批入库", on=today)
                ledger.receive(item, warehouse, quantity - short,
                               expires_on=today + dt.timedelta(days=shelf + 180),
                               reason="首批入库", on=today)
                lots += 2
            else:
                ledger.receive(item, warehouse, quantity, reason="首批入库", on=today)
                lots += 1
    # one lot that expired last week: taken in 200 days ago, counted, never issued
    water = Item.objects.get(community=community, name=ITEMS[0][0])
    old = ledger.receive(water, warehouses[1], 48, expires_on=today + dt.timedelta(days=1),
                         reason="旧批次", on=today)
    StockLot.objects.filter(pk=old.lot_id).update(expires_on=today - dt.timedelta(days=7))
    ledger.issue(water, warehouses[0], 24, reason="独居老人送水", on=today)
    ledger.transfer(Item.objects.get(community=community, name="急救包"), warehouses[0],
                    warehouses[1], 10, reason="均衡库存", on=today)
    return lots + 1


def _survey(community, now) -> Survey | None:
    households = list(Household.objects.filter(community=community).order_by("pk"))
    if not households:
        return None
    survey = Survey.objects.create(community=community, title="封控期间居民需求摸排",
                                   intro="请每户填写一份，帮助居委会安排配送。")
    q_need = surveys.add_question(
        survey, text="您家目前最需要什么？", kind=QuestionKind.MULTI,
        choices=["饮用水", "食品", "常用药", "就医（透析/化疗等）", "心理疏导", "暂无"],
        needs={"饮用水": NeedKind.FOOD, "食品": NeedKind.FOOD, "常用药": NeedKind.MEDICINE,
               "就医（透析/化疗等）": NeedKind.MEDICAL_VISIT, "心理疏导": NeedKind.PSYCHOLOGICAL},
        urgent=["就医（透析/化疗等）"])
    q_days = surveys.add_question(survey, text="家中食品还能维持几天？", kind=QuestionKind.NUMBER,
                                  min_value=Decimal(0), max_value=Decimal(60))
    q_elder = surveys.add_question(
        survey, text="家中是否有需要照护的老人或残疾人？", kind=QuestionKind.CHOICE,
        choices=["有", "没有"], needs={"有": NeedKind.CARE})
    q_note = surveys.add_question(survey, text="其他需要说明的情况", kind=QuestionKind.TEXT,
                                  required=False)
    surveys.open_survey(survey)
    rng = random.Random(community.pk)
    wishes = q_need.choices
    responses = []
    # Every answer set goes through the survey's validation; rows are inserted in bulk because a
    # city-sized demo has thousands of households.
    for index, household in enumerate(households[: max(1, int(len(households) * 0.7))]):
        picked = rng.sample(wishes[:5], rng.randint(1, 2)) if rng.random() < 0.8 else ["暂无"]
        answers = surveys.clean_answers(survey, {
            str(q_need.pk): picked, str(q_days.pk): rng.randint(0, 10),
            str(q_elder.pk): "有" if rng.random() < 0.25 else "没有",
            str(q_note.pk): "药快吃完了" if "常用药" in picked else ""})
        responses.append(SurveyResponse(survey=survey, community=community, household=household,
                                        building_id=household.building_id, answers=answers,
                                        on_paper=index % 4 == 0))
    SurveyResponse.objects.bulk_create(responses, batch_size=500)
    surveys.close_survey(survey)
    return survey


def _purchase(community, now) -> GroupPurchase | None:
    household = (Household.objects.filter(community=community).select_related("building")
                 .order_by("building_id", "pk").first())
    if household is None:
        return None
    building = household.building
    purchase = GroupPurchase.objects.create(
        community=community, building=building, title=f"{building.name} 蔬菜肉蛋团购",
        supplier="社区生鲜超市", order_by=now + dt.timedelta(days=1))
    lines = [purchases.add_line(purchase, name="蔬菜包", unit="份", price=Decimal("39.90"),
                                max_per_household=2),
             purchases.add_line(purchase, name="鸡蛋", unit="盒(30枚)", price=Decimal("28.00"),
                                max_per_household=1),
             purchases.add_line(purchase, name="猪肉", unit="斤", price=Decimal("16.50"),
                                max_per_household=3)]
    for index, neighbour in enumerate(Household.objects.filter(building=building)[:8]):
        purchases.place_order(purchase, neighbour, {str(lines[0].pk): 1 + index % 2,
                                                    str(lines[1].pk): index % 2,
                                                    str(lines[2].pk): index % 4})
    return purchase


def seed_supplies(community, today: dt.date | None = None) -> dict[str, int]:
    """Stock, norms, a closed survey with answers and a collecting group purchase; once."""
    if Item.objects.filter(community=community).exists():
        return {}
    today = today or timezone.localdate()
    now = timezone.now()
    rng = random.Random(f"supplies-{community.pk}")
    with transaction.atomic():
        norms.install_defaults()
        warehouses = _warehouses(community)
        lots = _stock(community, warehouses, today, rng)
        survey = _survey(community, now)
        purchase = _purchase(community, now)
    return {"items": len(ITEMS), "lots": lots, "surveys": int(survey is not None),
            "group_purchases": int(purchase is not None)}



