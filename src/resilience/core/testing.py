"""A small named world for tests: two communities of one street and the people who work there.

``build_world()`` returns a ``World`` with attributes named for what they are, so tests read as
sentences: ``world.staff_a`` cannot see ``world.resident_b``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from resilience.core.roles import Role
from resilience.people import idnumber

PASSWORD = "correct horse battery staple"


def make_id_number(birth: dt.date, serial: int, female: bool, region: str = "310101") -> str:
    """A valid GB 11643 ID number for tests."""
    seq = f"{serial % 100:02d}{(serial % 5) * 2 + (0 if female else 1)}"
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    return first17 + idnumber.check_char(first17)


def square(lng: float, lat: float, size: float = 0.001) -> dict:
    return {"type": "Polygon", "coordinates": [[
        [lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]]}


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        for bag in ("objects", "users"):
            if name in self.__dict__.get(bag, {}):
                return self.__dict__[bag][name]
        raise AttributeError(name)


def build_world() -> World:
    from django.contrib.auth import get_user_model

    from resilience.people.models import Household, Membership, Organisation, Resident, Volunteer
    from resilience.places.models import Building, Community, Facility, Grid, Region

    User = get_user_model()
    w = World()
    o = w.objects
    o["city"] = Region.objects.create(code="310000", name="上海市", level="city")
    o["district"] = Region.objects.create(code="310101", name="黄浦区", level="district", parent=o["city"])
    o["street"] = Region.objects.create(code="310101001", name="南京东路街道", level="street", parent=o["district"])
    o["other_street"] = Region.objects.create(code="310101002", name="外滩街道", level="street", parent=o["district"])
    serial = 0
    for tag, street, lng in (("a", o["street"], 121.47), ("b", o["street"], 121.48), ("c", o["other_street"], 121.49)):
        c = o[f"community_{tag}"] = Community.objects.create(
            code=f"comm-{tag}", name=f"Community {tag.upper()}", region=street,
            geometry=square(lng, 31.23, 0.01), latitude=31.235, longitude=lng + 0.005)
        o[f"property_{tag}"] = Organisation.objects.create(community=c, kind="property", name=f"Property {tag}")
        o[f"team_{tag}"] = Organisation.objects.create(community=c, kind="volunteer_team", name=f"Team {tag}")
        for g in (1, 2):
            grid = o[f"grid_{tag}{g}"] = Grid.objects.create(
                community=c, code=f"G{g}", name=f"Grid {tag.upper()}{g}",
                geometry=square(lng + (g - 1) * 0.005, 31.23, 0.005))
            b = o[f"building_{tag}{g}"] = Building.objects.create(
                community=c, grid=grid, code=f"B{g}", name=f"Building {tag.upper()}{g}",
                geometry=square(lng + (g - 1) * 0.005 + 0.001, 31.231, 0.0005),
                latitude=31.23125, longitude=lng + (g - 1) * 0.005 + 0.00125, floors=6,
                manager=o[f"property_{tag}"])
            h = o[f"household_{tag}{g}"] = Household.objects.create(
                community=c, building=b, room="101", code=f"{tag}{g}-101")
            serial += 1
            birth = dt.date(1950, 3, serial)
            o[f"resident_{tag}{g}"] = Resident.objects.create(
                community=c, household=h, name=f"Resident {tag.upper()}{g}", sex="female",
                birth_date=birth, id_number=make_id_number(birth, serial, female=True),
                phone=f"138{serial:08d}", vulnerability='["elderly_alone"]' if g == 1 else "")
        o[f"shelter_{tag}"] = Facility.objects.create(
            community=c, kind="shelter", code="S1", name=f"Shelter {tag.upper()}", capacity=200,
            latitude=31.232, longitude=lng + 0.002, owner=o[f"property_{tag}"])
        o[f"volunteer_{tag}"] = Volunteer.objects.create(
            community=c, name=f"Volunteer {tag.upper()}", phone="13900000000", skills=["first_aid"],
            home_building=o[f"building_{tag}1"], team=o[f"team_{tag}"])

    def user(name: str, role: str | None = None, superuser: bool = False, **node) -> None:
        u = User.objects.create_user(name, password=PASSWORD, is_superuser=superuser, is_staff=superuser)
        w.users[name] = u
        if role:
            Membership.objects.create(user=u, role=role, **node)

    user("admin", superuser=True)
    user("office", Role.OFFICE, region=o["street"])
    user("staff_a", Role.STAFF, community=o["community_a"])
    user("staff_b", Role.STAFF, community=o["community_b"])
    user("grid_worker_a1", Role.GRID_WORKER, grid=o["grid_a1"])
    user("property_a", Role.PROPERTY, community=o["community_a"], organisation=o["property_a"])
    user("volunteer_a", Role.VOLUNTEER, community=o["community_a"])
    user("health_a", Role.HEALTH_WORKER, community=o["community_a"])
    user("resident_a1", Role.RESIDENT, household=o["household_a1"])
    user("outsider")
    o["volunteer_a"].user = w.users["volunteer_a"]
    o["volunteer_a"].save()
    return w
