"""Households, residents and volunteers of a demo community.

Households are drawn from a fixed mix of types (elderly living alone, elderly couples, young
families, three generations under one roof…) in exact proportions, so every community has close
to the same age structure; ages, names, ID numbers and vulnerabilities vary with the seed.
Ages are counted on 1 January of the reference year, so birth dates never lie in the future.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from resilience.demo.data import GIVEN_NAMES, MOBILE_PREFIXES, OTHER_PREFIXES, SHANGHAI_PREFIXES
from resilience.people.idnumber import check_char
from resilience.people.models import Household, Resident, Volunteer
from resilience.people.vocab import Availability, Relationship, Sex, Skill, Vulnerability as V

R = Relationship
MALE, FEMALE = Sex.MALE.value, Sex.FEMALE.value

# Share of households by type; with these sizes a household has 2.6 people on average
# (Shanghai census 2020: 2.32 for all households, more in family estates like these).
HOUSEHOLD_TYPES: tuple[tuple[str, float], ...] = (
    ("elderly_alone", 0.078),
    ("elderly_couple", 0.060),
    ("single", 0.100),
    ("couple", 0.120),
    ("nuclear", 0.412),
    ("three_generations", 0.120),
    ("single_parent", 0.040),
    ("shared", 0.035),
    ("skipped_generation", 0.010),
    ("elder_with_child", 0.025),
)
# Share of each household type registered in Shanghai (the rest came from other provinces).
LOCAL_SHARE = {"elderly_alone": 0.92, "elderly_couple": 0.9, "shared": 0.2, "single": 0.55}
LOW_INCOME = {"elderly_alone": 0.05, "single_parent": 0.08, "skipped_generation": 0.1,
              "elder_with_child": 0.03}
SKILL_WEIGHTS = {
    Skill.FIRST_AID: 25, Skill.LOGISTICS: 25, Skill.DRIVING: 14, Skill.NURSING: 10, Skill.IT: 8,
    Skill.MEDICAL: 6, Skill.ELECTRICIAN: 6, Skill.RESCUE: 6, Skill.CHILDCARE: 6,
    Skill.PLUMBING: 5, Skill.PSYCHOLOGY: 5, Skill.TRANSLATION: 4,
}


@dataclass
class Member:
    """One person of a household being drawn, before they become a ``Resident``."""

    relationship: str
    sex: str
    age: int
    surname: str
    tags: set = field(default_factory=set)


@dataclass
class Flat:
    """A dwelling that may hold a household: building, unit, floor and room ("1203")."""

    building: object
    unit: object
    floor: int
    room: str


class Population:
    """Draws the people of one community; ``rng`` and ``fake`` carry the community's seed."""

    def __init__(self, rng: random.Random, fake, today: dt.date, district_code: str,
                 phones: set[str]):
        self.rng, self.fake = rng, fake
        self.year = today.year
        self.district_code = district_code
        self.phones = phones
        self.id_numbers: set[str] = set()

    # --- households -------------------------------------------------------------------------

    def households(self, community, flats: list[Flat], count: int):
        """``count`` households in randomly chosen ``flats``, and their residents."""
        rng = self.rng
        chosen = sorted(rng.sample(range(len(flats)), min(count, len(flats))))
        kinds = self._kinds(len(chosen))
        households, residents = [], []
        for flat_no, kind in zip(chosen, kinds):
            flat = flats[flat_no]
            household = Household(
                community=community, building=flat.building, unit=flat.unit, room=flat.room,
                code=f"{flat.building.code}-{flat.unit.number}-{flat.room}",
            )
            members = getattr(self, f"_{kind}")()
            people = self._residents(community, household, kind, members)
            household.phone = next((p.phone for p in people if p.phone),
                                   people[0].emergency_contact_phone)
            households.append(household)
            residents.extend(people)
        return households, residents

    def _kinds(self, n: int) -> list[str]:
        """Household types in exact proportions (largest remainders), shuffled."""
        exact = [(name, share * n) for name, share in HOUSEHOLD_TYPES]
        counts = {name: int(x) for name, x in exact}
        short = n - sum(counts.values())
        for name, x in sorted(exact, key=lambda e: e[1] - int(e[1]), reverse=True)[:short]:
            counts[name] += 1
        kinds = [name for name, _ in HOUSEHOLD_TYPES for _ in range(counts[name])]
        self.rng.shuffle(kinds)
        return kinds

    def surname(self) -> str:
        return self.fake.last_name()

    def _elder_age(self, low: int, span: int) -> int:
        return min(99, low + int(self.rng.betavariate(1.4, 2.2) * span))

    def _partner_age(self, age: int, low: int = 20) -> int:
        return max(low, min(99, round(age - self.rng.gauss(2, 2.5))))

    def _children(self, mother_age: int, surname: str, other: str, rel: str = R.CHILD) -> list[Member]:
        rng = self.rng
        # Shanghai mothers have their first child at 30 on average.
        first = mother_age - min(42, max(22, round(rng.gauss(30, 4))))
        if first < 0:
            first = rng.randint(0, max(0, mother_age - 22))
        ages = [first]
        if rng.random() < (0.2 if mother_age < 42 else 0.1) and first >= 2:
            ages.append(first - rng.randint(2, min(8, first)))
        return [Member(rel, rng.choice((MALE, FEMALE)), a, surname if rng.random() < 0.95 else other)
                for a in ages]

    def _couple_members(self, head_age: int, head_male: float = 0.75) -> tuple[Member, Member, str, str]:
        """Head and spouse; the family name is the husband's (Chinese wives keep their own)."""
        rng = self.rng
        family, other = self.surname(), self.surname()
        husband_age = head_age
        wife_age = self._partner_age(husband_age)
        if rng.random() < head_male:
            head = Member(R.HEAD, MALE, husband_age, family)
            spouse = Member(R.SPOUSE, FEMALE, wife_age, other)
        else:
            head = Member(R.HEAD, FEMALE, wife_age, other)
            spouse = Member(R.SPOUSE, MALE, husband_age, family)
        return head, spouse, family, other

    def _elderly_alone(self) -> list[Member]:
        sex = FEMALE if self.rng.random() < 0.68 else MALE
        return [Member(R.HEAD, sex, self._elder_age(65, 32), self.surname(), {V.ELDERLY_ALONE})]

    def _elderly_couple(self) -> list[Member]:
        head, spouse, _, _ = self._couple_members(self._elder_age(62, 30), head_male=0.85)
        return [head, spouse]

    def _single(self) -> list[Member]:
        age = int(self.rng.triangular(22, 64, 30))
        return [Member(R.HEAD, self.rng.choice((MALE, FEMALE)), age, self.surname())]

    def _couple(self) -> list[Member]:
        head, spouse, _, _ = self._couple_members(int(self.rng.triangular(24, 64, 30)))
        return [head, spouse]

    def _nuclear(self) -> list[Member]:
        head, spouse, family, other = self._couple_members(int(self.rng.triangular(30, 60, 48)))
        mother = head if head.sex == FEMALE else spouse
        return [head, spouse, *self._children(mother.age, family, other)]

    def _three_generations(self) -> list[Member]:
        rng = self.rng
        head, spouse, family, other = self._couple_members(int(rng.triangular(32, 56, 42)))
        mother = head if head.sex == FEMALE else spouse
        members = [head, spouse, *self._children(mother.age, family, other)]
        # Grandparents: the head's own parents, or the spouse's (in-laws count as relatives).
        own = rng.random() < 0.65
        base = (head if own else spouse).age + rng.randint(24, 33)
        rel = R.PARENT if own else R.OTHER_RELATIVE
        father_surname = head.surname if own else spouse.surname
        if rng.random() < 0.35:
            members.append(Member(rel, MALE, min(98, base + 2), father_surname))
            members.append(Member(rel, FEMALE, min(98, base), self.surname()))
        else:
            sex = FEMALE if rng.random() < 0.65 else MALE
            members.append(Member(rel, sex, min(98, base),
                                  father_surname if sex == MALE else self.surname()))
        return members

    def _single_parent(self) -> list[Member]:
        rng = self.rng
        sex = FEMALE if rng.random() < 0.8 else MALE
        age = int(rng.triangular(28, 55, 40))
        parent = Member(R.HEAD, sex, age, self.surname())
        kids = self._children(age if sex == FEMALE else self._partner_age(age), parent.surname,
                              self.surname())
        return [parent, kids[0]]

    def _shared(self) -> list[Member]:
        rng = self.rng
        n = 3 if rng.random() < 0.3 else 2
        return [Member(R.HEAD if i == 0 else R.TENANT, rng.choice((MALE, FEMALE)),
                       rng.randint(21, 36), self.surname()) for i in range(n)]

    def _skipped_generation(self) -> list[Member]:
        rng = self.rng
        head, spouse, family, _ = self._couple_members(rng.randint(56, 76), head_male=0.5)
        members = [head] if rng.random() < 0.4 else [head, spouse]
        child = Member(R.GRANDCHILD, rng.choice((MALE, FEMALE)), rng.randint(3, 15),
                       family if rng.random() < 0.7 else self.surname())
        if child.age < 16:
            child.tags.add(V.LEFT_BEHIND_CHILD)
        return [*members, child]

    def _elder_with_child(self) -> list[Member]:
        rng = self.rng
        age = rng.randint(40, 62)
        if rng.random() < 0.5:
            head, spouse, _, _ = self._couple_members(age)
            members = [head, spouse]
        else:
            head = Member(R.HEAD, rng.choice((MALE, FEMALE)), age, self.surname())
            members = [head]
        sex = FEMALE if rng.random() < 0.7 else MALE
        members.append(Member(R.PARENT, sex, min(98, max(66, age + rng.randint(24, 34))),
                              head.surname if sex == MALE else self.surname()))
        return members

    # --- residents --------------------------------------------------------------------------

    def _residents(self, community, household, kind: str, members: list[Member]) -> list[Resident]:
        rng = self.rng
        local = rng.random() < LOCAL_SHARE.get(kind, 0.7)
        if local:
            home = self.district_code if rng.random() < 0.6 else rng.choice(SHANGHAI_PREFIXES)
        else:
            home = rng.choice(OTHER_PREFIXES)
        low_income = rng.random() < LOW_INCOME.get(kind, 0.008)
        people = []
        for m in members:
            tags = set(m.tags) | self._tags(m, members)
            if low_income:
                tags.add(V.LOW_INCOME)
            m.tags = tags
            prefix = home
            if m.relationship not in (R.HEAD, R.CHILD, R.GRANDCHILD) and rng.random() < 0.3:
                prefix = rng.choice(SHANGHAI_PREFIXES if local else OTHER_PREFIXES)
            birth = self.birth_date(m.age)
            resident = Resident(
                community=community, household=household, relationship=m.relationship,
                name=m.surname + self.given_name(m.sex, birth.year), sex=m.sex, birth_date=birth,
                id_number=self.id_number(prefix, birth, m.sex), phone=self._own_phone(m.age),
            )
            resident.tags = [str(t) for t in tags]
            people.append(resident)
        for m, resident in zip(members, people):
            self._emergency_contact(resident, m, members, people)
        return people

    def _tags(self, m: Member, members: list[Member]) -> set[str]:
        r, age = self.rng.random, m.age
        tags: set[str] = set()
        if age >= 80:
            tags.add(V.ELDERLY)
        if age < 3:
            tags.add(V.INFANT)
        if r() < (0.005 if age < 18 else 0.016 if age < 60 else 0.05 if age < 80 else 0.11):
            tags.add(V.DISABLED)
        if r() < (0.005 if age < 18 else 0.02 if age < 45 else 0.10 if age < 60 else 0.35 if age < 80 else 0.55):
            tags.add(V.CHRONIC_ILLNESS)
        if age >= 60 and r() < (0.012 if age < 80 else 0.08):
            tags |= {V.BEDRIDDEN, V.CHRONIC_ILLNESS}
            if r() < 0.3:
                tags.add(V.MEDICAL_DEVICE)
        if age >= 40 and r() < 0.0015:
            tags |= {V.DIALYSIS, V.CHRONIC_ILLNESS}
        if age >= 65 and r() < 0.01:
            tags |= {V.OXYGEN, V.CHRONIC_ILLNESS}
        if age >= 60 and r() < 0.004:
            tags.add(V.MEDICAL_DEVICE)
        if 15 <= age <= 70 and r() < 0.006:
            tags.add(V.MENTAL_HEALTH)
        if age >= 18 and r() < (0.06 if age >= 80 else 0.002):
            tags.add(V.LANGUAGE_BARRIER)
        married = any(o.relationship == R.SPOUSE for o in members)
        if (m.sex == FEMALE and 22 <= age <= 42 and married
                and m.relationship in (R.HEAD, R.SPOUSE) and r() < 0.03):
            tags.add(V.PREGNANT)
        return tags

    def _emergency_contact(self, resident: Resident, m: Member, members, people) -> None:
        """Someone else in the household who has a phone, or a relative living elsewhere."""
        rng = self.rng
        order = sorted(
            (i for i, o in enumerate(members) if o is not m and o.age >= 18 and people[i].phone),
            key=lambda i: (members[i].relationship != R.SPOUSE, -min(members[i].age, 60)),
        )
        if order and rng.random() < 0.9:
            resident.emergency_contact_name = people[order[0]].name
            resident.emergency_contact_phone = people[order[0]].phone
            return
        # A child or sibling elsewhere: a son keeps the family name, a daughter usually not.
        sex = rng.choice((MALE, FEMALE))
        surname = m.surname if sex == MALE or rng.random() < 0.2 else self.surname()
        if m.age >= 50:
            age = m.age - 28
        elif m.age < 18:
            age = m.age + 28
        else:
            age = m.age + rng.randint(-5, 5)
        birth_year = self.year - 1 - max(20, age)
        resident.emergency_contact_name = surname + self.given_name(sex, birth_year)
        resident.emergency_contact_phone = self.mobile()

    def birth_date(self, age: int) -> dt.date:
        year = self.year - 1 - age
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(365))

    def given_name(self, sex: str, birth_year: int) -> str:
        # Two draws whatever the cohort, so the reference year changes names, not the sequence.
        use_faker, pick = self.rng.random(), self.rng.random()
        cohort = next(y for y in (1955, 1975, 1995, 2010, 2100) if birth_year <= y)
        if use_faker < {1955: 0.3, 1975: 0.45, 1995: 0.45, 2010: 0.2, 2100: 0.1}[cohort]:
            return self.fake.first_name_male() if sex == MALE else self.fake.first_name_female()
        names = GIVEN_NAMES[(cohort, sex)]
        return names[int(pick * len(names))]

    def id_number(self, prefix: str, birth: dt.date, sex: str) -> str:
        """A GB 11643 number: region, birth date, sequence (odd for men), check character."""
        rng = self.rng
        while True:
            sequence = f"{rng.randrange(100):02d}{rng.choice('13579' if sex == MALE else '02468')}"
            first17 = f"{prefix}{birth:%Y%m%d}{sequence}"
            number = first17 + check_char(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def mobile(self) -> str:
        rng = self.rng
        while True:
            number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def _own_phone(self, age: int) -> str:
        share = 0.0 if age < 12 else 0.7 if age < 18 else 0.97 if age < 80 else 0.6
        return self.mobile() if self.rng.random() < share else ""

    # --- volunteers -------------------------------------------------------------------------

    def volunteers(self, community, residents: list[Resident], team, from_residents: int,
                   from_outside: int) -> list[Volunteer]:
        """Volunteers: mostly residents (retirees above all), a few who work or study nearby."""
        rng = self.rng
        candidates = []
        for r in residents:
            age = self.year - 1 - r.birth_date.year
            if 18 <= age <= 72 and not {V.BEDRIDDEN, V.DISABLED} & set(r.tags):
                weight = 3.0 if age >= 55 else 1.5 if age <= 30 else 1.0
                candidates.append((rng.random() ** (1 / weight), r, age))
        candidates.sort(key=lambda c: c[0], reverse=True)
        out = []
        for _, r, age in candidates[:from_residents]:
            out.append(Volunteer(
                community=community, resident=r, name=r.name, phone=r.phone or self.mobile(),
                home_building=r.household.building, team=team, skills=self._skills(age),
                availability=self._availability(age), active=rng.random() < 0.94,
            ))
        for _ in range(from_outside):
            age = rng.randint(19, 45)
            sex = rng.choice((MALE, FEMALE))
            out.append(Volunteer(
                community=community, name=self.surname() + self.given_name(sex, self.year - 1 - age),
                phone=self.mobile(), home_building=None, team=team, skills=self._skills(age),
                availability=self._availability(age), active=rng.random() < 0.9,
            ))
        return out

    def _skills(self, age: int) -> list[str]:
        rng = self.rng
        weights = dict(SKILL_WEIGHTS)
        if age >= 55:
            weights[Skill.NURSING] *= 2
            weights[Skill.IT] = 2
            weights[Skill.RESCUE] = 1
        names, w = list(weights), list(weights.values())
        skills: list[str] = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            skill = rng.choices(names, w)[0]
            if skill.value not in skills:
                skills.append(skill.value)
        return skills

    def _availability(self, age: int) -> str:
        A = Availability
        if age >= 60:
            options, weights = (A.ANYTIME, A.WEEKDAYS, A.WEEKENDS), (5, 4, 1)
        else:
            options, weights = (A.EVENINGS, A.WEEKENDS, A.EMERGENCY_ONLY, A.ANYTIME), (3, 4, 3, 1)
        return self.rng.choices(options, weights)[0].value
