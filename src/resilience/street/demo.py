"""The demo's street story (issue 13): a street office account over the first street that holds
two or more demo communities, one open mutual-aid request (the second community is short of
bottled water) and an upstream district warning waiting to be relayed to the street.

``seed_street(password)`` is idempotent: the account, the request and the warning are made once.
The communities' water stock and volunteers come from the generator (``relief.demo_supplies``,
``demo.population``).
"""
from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from resilience.alerts import services as alerts
from resilience.alerts.models import Alert
from resilience.core.actor import acting_as
from resilience.core.roles import Role
from resilience.people.models import Membership
from resilience.places.models import Community, Region
from resilience.relief.models import Item
from resilience.street.models import AidRequest
from resilience.street.vocab import AidKind

OFFICE_USERNAME = "office"
WATER = "瓶装饮用水 550ml"
DISTRICT_ALERT = "气象台发布暴雨蓝色预警"


def demo_street() -> Region | None:
    """The first street with at least two communities."""
    return (Region.objects.annotate(n=Count("communities")).filter(n__gte=2)
            .order_by("pk").first())


def _office(street: Region, password: str | None) -> tuple[object, bool]:
    User = get_user_model()
    user = User.objects.filter(username=OFFICE_USERNAME).first()
    made = user is None
    if made:
        user = User(username=OFFICE_USERNAME, display_name=f"{street.name}应急办")
        user.set_password(password) if password else user.set_unusable_password()
        user.save()
    elif password and not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(user=user, role=Role.OFFICE, region=street,
                                     defaults={"title": "街道应急管理办公室"})
    return user, made


def _water_request(asking: Community) -> AidRequest | None:
    if AidRequest.objects.filter(community=asking).exists():
        return None
    water = Item.objects.filter(community=asking, name=WATER).first()
    return AidRequest.objects.create(
        community=asking, kind=AidKind.SUPPLIES, item_name=WATER,
        unit=water.unit if water else "瓶", quantity=Decimal(200),
        reason="二次供水泵房故障，3号楼、5号楼停水，预计抢修两天，需临时调配瓶装水。")


def _district_alert(community: Community) -> Alert | None:
    if Alert.objects.filter(community=community, headline__endswith=DISTRICT_ALERT).exists():
        return None
    district = community.region.parent if community.region_id else None
    name = district.name if district else ""
    return alerts.draft(
        None, community, source="cap", level=4, event_type="rainstorm", urgency="Expected",
        certainty="Likely", headline=f"{name}{DISTRICT_ALERT}"[:200],
        description="预计未来6小时内本区将出现50毫米以上降雨，请注意防范地下车库、低洼地带积水。",
        instruction="地下车库车辆及时移出；低洼处住户做好防汛准备；非必要不外出。",
        headline_en="Rainstorm blue warning from the district weather office",
        description_en="More than 50 mm of rain expected within 6 hours.",
        instruction_en="Move cars out of underground garages; avoid going out.")


def seed_street(password: str | None = None) -> dict:
    """Make the street office account (with ``password``), the open request and the district
    warning, once. Returns what was made (empty when there is no street of two communities)."""
    street = demo_street()
    if street is None:
        return {}
    communities = list(Community.objects.filter(region=street).order_by("code")[:2])
    with acting_as(None, "generate"), transaction.atomic():
        user, made = _office(street, password)
        request = _water_request(communities[1])
        alert = _district_alert(communities[0])
    return {"street": street, "office": user, "office_made": made, "request": request,
            "alert": alert, "communities": communities}
