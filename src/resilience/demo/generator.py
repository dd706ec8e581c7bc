"""Deterministic, realistic demo communities: ``resilience generate --communities N --seed S``.

Community number ``i`` is drawn from ``random.Random`` and Faker (zh_CN) seeded with
``(seed, i)`` and placed by ``layout.place(i)``, so the same seed gives the same data and a later
run appends communities beside the earlier ones. Each community is written in one transaction
with ``bulk_create``; change-log entries are written for every row, since ``bulk_create`` sends
no signals.
"""
from __future__ import annotations

import datetime as dt
import functools
import random
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from resilience.core.actor import acting_as
from resilience.core.changelog import log_created
from resilience.core.models import ChangeLogEntry, ChangeLoggedModel
from resilience.core.roles import Role
from resilience.demo import layout
from resilience.demo.data import CITY, DISTRICTS, ESTATE_SUFFIXES, ROAD_SUFFIXES, numeral
from resilience.demo.estate import Estate, EstateBuilder
from resilience.demo.hazards import generate_inspections
from resilience.demo.layout import Frame, Placement
from resilience.demo.population import Population
from resilience.demo.risks import generate_risks
from resilience.demo.sensors import generate_sensors
from resilience.people.models import Household, Membership, Organisation, Resident, Volunteer
from resilience.health import demo as health_demo
from resilience.participation import demo as participation_demo
from resilience.assessment.demo import seed_assessment
from resilience.participation.demo_consultations import seed_consultations
from resilience.people.demo import seed_pairings
from resilience.participation.demo_learning import seed_learning
from resilience.relief import demo_requests as relief_requests_demo
from resilience.relief.demo_supplies import seed_supplies
from resilience.response import demo as response_demo
from resilience.shelters import demo as shelters_demo
from resilience.people.vocab import OrganisationKind as OK
from resilience.places.models import Building, Community, Facility, Grid, Region, Unit
from resilience.places.vocab import RegionLevel

BATCH_SIZE = 1000
HOUSEHOLDS = (1470, 1530)  # households per community, drawn uniformly
VOLUNTEERS = ((64, 3), (16, 2))  # residents, and people from outside
STAFF_TITLES = ("党总支书记", "居委会主任", "居委会副主任", "社工", "社工")
SUPERMARKETS = ("联华超市", "华联超市", "好德便利", "快客便利", "盒马鲜生", "罗森便利")
COUNT_NAMES = ("regions", "communities", "grids", "buildings", "units", "households", "residents",
               "vulnerable residents", "organisations", "facilities", "volunteers", "user accounts",
               "memberships", "change log entries")


@dataclass
class CommunityPlan:
    """One community's unsaved rows, in the order they must be written."""

    community: Community
    organisations: list[Organisation]
    estate: Estate
    users: list = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    volunteers: list[Volunteer] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)


def generate(communities: int = 1, seed: int = 1, progress: bool = False,
             today: dt.date | None = None) -> dict[str, int]:
    """Generate ``communities`` demo communities after any already generated; return row counts.

    Ages are counted on 1 January of ``today``'s year (default: the current date). The same
    seed gives the same rows; a new calendar year shifts birth dates, and with them ID numbers
    and some given names, but no count, tag or place.
    """
    if communities < 1:
        raise ValueError("generate at least one community")
    today = today or timezone.localdate()
    start = _next_index()
    if start + communities > layout.MAX_COMMUNITIES:
        raise ValueError(f"the demo lattice holds {layout.MAX_COMMUNITIES} communities; "
                         f"{start} exist already")
    counts = dict.fromkeys(COUNT_NAMES, 0)
    log_before = ChangeLogEntry.objects.count()
    regions: dict[str, Region] = {}
    phones: set[str] = set()
    with acting_as(None, "generate"):
        for index in tqdm(range(start, start + communities), desc="Generating communities",
                          unit="community", disable=not progress):
            with transaction.atomic():
                street = _street(layout.place(index), regions, counts)
                plan = plan_community(index, seed, today, street, phones)
                _save(plan, counts)
                _add(counts, seed_pairings(plan.community, today))
                _add(counts, generate_risks(plan.community, random.Random(
                    f"resilience-demo-risks:{seed}:{index}"), today))
                _add(counts, generate_inspections(plan.community, random.Random(
                    f"resilience-demo-hazards:{seed}:{index}"), today))
                _add(counts, generate_sensors(plan.community, random.Random(
                    f"resilience-demo-sensors:{seed}:{index}"), today))
                _add(counts, {"emergency plans": len(response_demo.seed(plan.community, today)),
                              "shelters": len(shelters_demo.seed(plan.community))})
                _add(counts, participation_demo.seed(plan.community))
                _add(counts, seed_consultations(plan.community))
                _add(counts, seed_learning(plan.community, today))  # after the plans it drills
                _add(counts, health_demo.seed(plan.community, today))
                _add(counts, seed_supplies(plan.community, today))
                # after the supplies demo, so requests can name stocked items
                _add(counts, relief_requests_demo.seed_requests(plan.community, today))
                _add(counts, seed_assessment(plan.community))  # last: it measures all above
    counts["change log entries"] = ChangeLogEntry.objects.count() - log_before
    return counts


def _add(counts: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        counts[name] = counts.get(name, 0) + value


def _next_index() -> int:
    """Index after the highest generated community code (``c0001`` is index 0)."""
    codes = Community.objects.filter(code__regex=r"^c[0-9]+$").values_list("code", flat=True)
    return max((int(code[1:]) for code in codes), default=0)


# --- regions -------------------------------------------------------------------------------

def _street(p: Placement, cache: dict[str, Region], counts: dict[str, int]) -> Region:
    """The community's street, creating city, district and street regions on first use."""
    d_code, d_name = DISTRICTS[p.district][:2]
    city = _region(cache, counts, CITY[0], CITY[1], RegionLevel.CITY, None, None)
    district = _region(cache, counts, d_code, d_name, RegionLevel.DISTRICT, city,
                       Frame().rect(layout.district_rect(p.district)))
    code, name = _street_name(p)
    return _region(cache, counts, code, name, RegionLevel.STREET, district,
                   Frame().rect(layout.street_rect(p)))


def _street_name(p: Placement) -> tuple[str, str]:
    d_code, d_name, _, _, streets = DISTRICTS[p.district]
    name = streets[p.street] if p.street < len(streets) else f"{d_name[:2]}第{numeral(p.street + 1)}街道"
    return f"{d_code}{p.street + 1:03d}", name


def _region(cache, counts, code, name, level, parent, geometry) -> Region:
    if code not in cache:
        cache[code], created = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent, "geometry": geometry})
        counts["regions"] += created
    return cache[code]


# --- planning (no database writes) ---------------------------------------------------------

@functools.cache
def _faker():
    from faker import Faker

    return Faker("zh_CN")


@functools.cache
def _road_bases() -> tuple[str, ...]:
    """Place names for roads, as Shanghai names its roads after provinces and cities."""
    address = next(p for p in _faker().providers if p.__provider__ == "faker.providers.address")
    provinces = [re.sub(r"(壮族|回族|维吾尔)?(自治区|特别行政区|省|市)$", "", p) for p in address.provinces]
    return tuple(sorted((set(address.cities) | set(provinces)) - {"上海"}))


def road_name(seed: int, axis: str, line: int) -> str:
    """The name of lattice road ``line`` running along ``axis`` ("ew" or "ns")."""
    rng = random.Random(f"resilience-demo-road:{seed}:{axis}:{line}")
    return rng.choice(_road_bases()) + rng.choice(ROAD_SUFFIXES)


def plan_community(index: int, seed: int, today: dt.date, street: Region | None = None,
                   phones: set[str] | None = None) -> CommunityPlan:
    """All rows of community number ``index``, unsaved; the same arguments give the same rows."""
    rng = random.Random(f"resilience-demo:{seed}:{index}")
    fake = _faker()
    fake.seed_instance(f"resilience-demo:{seed}:{index}")
    p = layout.place(index)
    if street is None:
        code, name = _street_name(p)
        street = Region(code=code, name=name, level=RegionLevel.STREET)
    d_code, d_name = DISTRICTS[p.district][:2]
    frame = Frame(*p.origin)
    road = road_name(seed, "ew", p.cell_y)
    lane = rng.randrange(20, 1200, 2)
    lat, lng = frame.latlng(layout.COMMUNITY_W / 2, layout.COMMUNITY_H / 2)
    community = Community(
        code=f"c{index + 1:04d}", name=_community_name(rng, street.name, road, p.position),
        region=street, address=f"上海市{d_name}{road}{lane}弄", phone=_office_phone(rng),
        geometry=frame.rect((0, 0, layout.COMMUNITY_W, layout.COMMUNITY_H)),
        latitude=lat, longitude=lng,
    )
    population = Population(rng, fake, today, d_code, set() if phones is None else phones)
    owners = _organisations(rng, fake, community, street.name, population)
    estate = EstateBuilder(rng, frame, community, road, lane, owners).build(
        target := rng.randint(*HOUSEHOLDS))
    plan = CommunityPlan(community, list(owners.values()), estate)
    plan.households, plan.residents = population.households(community, estate.flats, target)
    from_residents, from_outside = (round(rng.gauss(*v)) for v in VOLUNTEERS)
    plan.volunteers = population.volunteers(community, plan.residents, owners["volunteer_team"],
                                            from_residents, from_outside)
    _accounts(plan, rng, population, owners)
    return plan


def _community_name(rng: random.Random, street: str, road: str, position: int) -> str:
    """Either an old 新村 numbered after its street (康健三村) or an estate named after its road."""
    short = re.sub(r"(街道|新镇|镇|乡)$", "", street)
    short = short[:-2] if short.endswith("新村") else short
    if rng.random() < 0.5:
        return f"{short}{numeral(position + 1)}村"
    base = re.sub(r"[东西南北中]?路$", "", road)
    return base + rng.choice(ESTATE_SUFFIXES)


def _office_phone(rng: random.Random) -> str:
    return f"021-{rng.choice('56')}{rng.randrange(10 ** 7):07d}"


def _organisations(rng, fake, community, street: str, population: Population) -> dict[str, Organisation]:
    short = re.sub(r"(街道|镇|乡)$", "", street)
    brand = rng.choice(SUPERMARKETS)
    specs = {
        "committee": (OK.COMMITTEE, f"{community.name}居民委员会"),
        "property": (OK.PROPERTY, f"上海{_company_prefix(fake)}物业管理有限公司"),
        "volunteer_team": (OK.VOLUNTEER_TEAM, f"{community.name}志愿者服务队"),
        "social": (OK.SOCIAL, f"{short}社区{rng.choice(('睦邻中心', '社工服务社', '邻里互助会'))}"),
        "health": (OK.HEALTH, f"{short}社区卫生服务中心"),
        "enterprise": (OK.ENTERPRISE, f"{brand}（{community.name}店）"),
        "public_service": (OK.PUBLIC_SERVICE, f"{short}消防救援站"),
    }
    out = {}
    for key, (kind, name) in specs.items():
        contact = population.surname() + population.given_name(rng.choice(("male", "female")), 1980)
        out[key] = Organisation(community=community, kind=kind, name=name, contact_name=contact,
                                phone=_office_phone(rng), address=community.address)
    return out


@functools.cache
def _company_prefixes() -> tuple[str, ...]:
    """Faker's company names that could name a property company (no software or electronics)."""
    company = next(p for p in _faker().providers if p.__provider__ == "faker.providers.company")
    return tuple(sorted({p for p in company.company_prefixes if len(p) <= 3 and p.isalpha()
                         and not re.search(r"[A-Za-z]|电|计算|信息|科|软|网|数字|公司|开发|通", p)}))


def _company_prefix(fake) -> str:
    return fake.random_element(_company_prefixes())


def _accounts(plan: CommunityPlan, rng, population: Population, owners) -> None:
    """Sign-in accounts (no usable password) and memberships for the people who run the place."""
    User = get_user_model()
    code, community = plan.community.code, plan.community

    def account(suffix: str, name: str) -> object:
        user = User(username=f"{code}-{suffix}", display_name=name)
        user.set_unusable_password()
        plan.users.append(user)
        return user

    def member(user, role, title="", **node) -> None:
        plan.memberships.append(Membership(user=user, role=role, community=community, title=title,
                                           **node))

    def person() -> str:
        return population.surname() + population.given_name(rng.choice(("male", "female")),
                                                             rng.randint(1968, 1998))

    for grid in plan.estate.grids:
        worker = account(f"grid{grid.code[1:]}", person())
        member(worker, Role.GRID_WORKER, "网格员", grid=grid, organisation=owners["committee"])
    for k, title in enumerate(STAFF_TITLES, start=1):
        staff = account(f"staff{k}", person())
        member(staff, Role.STAFF, title, organisation=owners["committee"])
        if k == 2:
            owners["committee"].contact_name = staff.display_name
    property_user = account("property", owners["property"].contact_name)
    member(property_user, Role.PROPERTY, "物业经理", organisation=owners["property"])
    member(account("health", person()), Role.HEALTH_WORKER, "家庭医生", organisation=owners["health"])
    leader = next(v for v in plan.volunteers if v.resident is not None)
    leader.user = account("volunteer", leader.name)
    member(leader.user, Role.VOLUNTEER, "志愿者队长", organisation=owners["volunteer_team"])
    owners["volunteer_team"].contact_name = leader.name
    head = next(r for r in plan.residents if r.relationship == "head" and r.phone)
    head.user = account("resident", head.name)
    member(head.user, Role.RESIDENT, "", household=head.household)


# --- writing --------------------------------------------------------------------------------

def _save(plan: CommunityPlan, counts: dict[str, int]) -> None:
    """Write the plan parents first; ``bulk_create`` fills in the foreign keys from the parents."""
    estate = plan.estate
    _insert(Community, [plan.community])
    _insert(Organisation, plan.organisations)
    _insert(Grid, estate.grids)
    _insert(Building, estate.buildings)
    _insert(Unit, estate.units)
    _insert(Facility, estate.facilities)
    _insert(get_user_model(), plan.users)
    _insert(Household, plan.households, prepare=True)
    _insert(Resident, plan.residents, prepare=True)
    _insert(Volunteer, plan.volunteers, prepare=True)
    _insert(Membership, plan.memberships)
    counts["communities"] += 1
    for name, rows in (("grids", estate.grids), ("buildings", estate.buildings),
                       ("units", estate.units), ("households", plan.households),
                       ("residents", plan.residents), ("organisations", plan.organisations),
                       ("facilities", estate.facilities), ("volunteers", plan.volunteers),
                       ("user accounts", plan.users), ("memberships", plan.memberships)):
        counts[name] += len(rows)
    counts["vulnerable residents"] += sum(1 for r in plan.residents if r.tag_index)


def _insert(model, objs: list, prepare: bool = False) -> None:
    if prepare:
        for obj in objs:
            obj.prepare()
    model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
    if issubclass(model, ChangeLoggedModel):
        log_created(objs)
