"""Importing residents: one row per person; the household is found (or made) from the building,
unit and room; ID numbers are checked (GB 11643) and never registered twice in a community."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from resilience.core import crypto
from resilience.people.models import Household, Resident
from resilience.people.transfer.base import (
    BUILDING_SUFFIXES, Importer, PlaceIndex, RowCheck, room_number, save_all, unit_number,
)
from resilience.people.transfer.choices import parse_choice, parse_choices
from resilience.people.transfer.columns import Column
from resilience.people.transfer.parsers import (
    YearMonth, parse_date, parse_id_number, parse_phone, parse_sex, text,
)
from resilience.people.transfer.permissions import places_for
from resilience.people.vocab import Relationship, Vulnerability
from resilience.places.models import Building, Community, Unit

RESIDENT_COLUMNS = (
    Column("building", _l("building"), ("楼栋", "楼号", "楼栋号", "楼栋编号", "楼宇", "楼", "栋", "幢",
                                         "building code", "building name"), required=True),
    Column("unit", _l("unit"), ("单元", "单元号", "unit number")),
    Column("room", _l("room"), ("房号", "室", "房间号", "门牌号", "房屋号", "户室号", "room number",
                                 "apartment", "flat"), required=True),
    Column("name", _l("name"), ("姓名", "名字", "居民姓名", "full name"), required=True),
    Column("sex", _l("sex"), ("性别", "gender")),
    Column("birth_date", _l("birth date"), ("出生日期", "出生年月", "出生年月日", "生日", "date of birth",
                                             "dob", "birthday")),
    Column("id_number", _l("ID number"), ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码",
                                           "id no", "id card", "id card number"), mask="id"),
    Column("phone", _l("phone"), ("联系电话", "手机号", "手机号码", "手机", "电话", "电话号码", "联系方式",
                                   "mobile", "telephone", "tel"), mask="phone"),
    Column("relationship", _l("relationship"), ("与户主关系", "关系", "户主关系", "relationship to head",
                                                 "relation")),
    Column("vulnerability", _l("vulnerability"), ("重点人群类别", "脆弱性标签", "重点人群", "人员类别",
                                                   "特殊人群", "标签", "vulnerabilities", "tags",
                                                   "vulnerability tags")),
    Column("emergency_contact_name", _l("emergency contact"), ("紧急联系人", "紧急联系人姓名",
                                                               "emergency contact name")),
    Column("emergency_contact_phone", _l("emergency phone"), ("紧急联系电话", "紧急联系人电话",
                                                              "emergency contact phone"), mask="phone"),
    Column("notes", _l("notes"), ("备注", "说明", "note", "remarks", "comment", "comments")),
)

RESIDENT_FIELDS = {
    "name": "name", "sex": "sex", "birth_date": "birth_date", "id_number": "id_number",
    "phone": "phone", "relationship": "relationship", "vulnerability": "vulnerability",
    "emergency_contact_name": "emergency_contact_name",
    "emergency_contact_phone": "emergency_contact_phone", "notes": "notes",
}
HOUSEHOLD_FIELDS = {"building": "building", "unit": "unit", "room": "room", "code": "room"}


class ResidentImporter(Importer):
    """Residents, with the households (and units) they need."""

    kind = "residents"
    columns = RESIDENT_COLUMNS

    @classmethod
    def communities(cls, user):
        return Community.objects.filter(pk__in=places_for(user, "add", Resident, Building).values("community"))

    def prepare(self) -> None:
        buildings = Building.objects.filter(community=self.community)
        if self.user is not None:
            buildings = buildings & Building.objects.visible_to(self.user, "view")
        allowed = None
        if self.user is not None:
            allowed = set(places_for(self.user, "add", Resident, Building)
                          .filter(community=self.community).values_list("pk", flat=True))
        self.buildings = PlaceIndex(buildings, allowed, _("building"), BUILDING_SUFFIXES)
        self.units = {(u.building_id, unit_number(u.number)): u
                      for u in Unit.objects.filter(building__community=self.community)}
        self.households = {
            (h.building_id, unit_number(h.unit.number) if h.unit_id else "", room_number(h.room)): h
            for h in Household.objects.filter(community=self.community).select_related("unit")
        }
        self.household_codes = set(Household.objects.filter(community=self.community)
                                   .values_list("code", flat=True))
        # Every resident of the community counts, seen or not: an ID number is registered once.
        self.known_ids = set(Resident.objects.filter(community=self.community)
                             .exclude(id_number_hash="").values_list("id_number_hash", flat=True))
        self.ids_in_file: dict[str, int] = {}
        self.new_units: list[Unit] = []
        self.new_households: list[Household] = []
        self.new_residents: list[Resident] = []

    def check(self, row: RowCheck) -> None:
        household = self._household(row)
        number, birth, sex = self._identity(row)
        resident = Resident(
            community=self.community,
            name=text(row.value("name")),
            sex=sex or "",
            birth_date=birth,
            id_number=number,
            phone=row.parse("phone", parse_phone) or "",
            relationship=row.parse("relationship", parse_choice, Relationship) or Relationship.HEAD,
            emergency_contact_name=text(row.value("emergency_contact_name")),
            emergency_contact_phone=row.parse("emergency_contact_phone", parse_phone) or "",
            notes=text(row.value("notes")),
        )
        resident.tags = row.parse("vulnerability", parse_choices, Vulnerability) or []
        exclude = ["household", "community", "user"]
        if "id_number" in row.failed:  # the fix is in the ID number; do not also blame empty cells
            exclude += [field for field in ("birth_date", "sex") if not getattr(resident, field)]
        if household is not None:
            resident.household = household
        row.validate(resident, RESIDENT_FIELDS, exclude=exclude)
        if row.ok and household is not None:
            self.new_residents.append(resident)

    def _identity(self, row: RowCheck) -> tuple[str, object, str | None]:
        """ID number, birth date and sex: the last two may come from the ID number, and must
        agree with it when given (``Resident.clean`` checks a full date; a year-month here)."""
        id_info = row.parse("id_number", parse_id_number)
        birth = row.parse("birth_date", parse_date, allow_year_month=True)
        sex = row.parse("sex", parse_sex)
        if id_info:
            number, id_birth, id_sex = id_info
            if isinstance(birth, YearMonth):
                if (birth.year, birth.month) != (id_birth.year, id_birth.month):
                    row.error("birth_date", _("The birth date does not match the ID number (%(date)s).")
                              % {"date": id_birth.isoformat()})
                birth = id_birth
            self._check_duplicate(row, number)
            return number, birth or id_birth, sex or id_sex
        if isinstance(birth, YearMonth):
            row.error("birth_date", _("Only year and month are given: give the full birth date "
                                      "or the ID number."))
            birth = None
        if "id_number" not in row.failed:
            if birth is None and "birth_date" not in row.failed:
                row.error("birth_date", _("The birth date is needed when there is no ID number."))
            if sex is None and "sex" not in row.failed:
                row.error("sex", _("The sex is needed when there is no ID number."))
        return "", birth, sex

    def _check_duplicate(self, row: RowCheck, number: str) -> None:
        digest = crypto.keyed_hash(number, "id_number")
        if digest in self.ids_in_file:
            row.error("id_number", _("The same ID number is on row %(row)d of this file.")
                      % {"row": self.ids_in_file[digest]})
        elif digest in self.known_ids:
            row.error("id_number", _("A resident with this ID number is already registered in this "
                                     "community."))
        else:
            self.ids_in_file[digest] = row.number

    def _household(self, row: RowCheck) -> Household | None:
        building = row.parse("building", self.buildings.find)
        unit_given = unit_number(row.value("unit"))
        room = room_number(row.value("room"))
        if not room:
            row.error("room", _("The room is empty."))
        if building is None or not room:
            return None
        found = self.households.get((building.pk, unit_given, room))
        if found is not None:
            return found
        unit = self._unit(row, building, unit_given) if unit_given else None
        if unit_given and unit is None:
            return None
        code = self._household_code(building, unit_given, room)
        household = Household(community=self.community, building=building, unit=unit, room=room,
                              code=code)
        before = len(row.failed)
        row.validate(household, HOUSEHOLD_FIELDS, exclude=["unit"])
        if len(row.failed) > before:
            return None
        self.households[(building.pk, unit_given, room)] = household
        self.household_codes.add(code)
        self.new_households.append(household)
        return household

    def _unit(self, row: RowCheck, building: Building, number: str) -> Unit | None:
        unit = self.units.get((building.pk, number))
        if unit is None:
            unit = Unit(building=building, number=number, has_elevator=building.has_elevator)
            before = len(row.failed)
            row.validate(unit, {"number": "unit"}, exclude=["building"])
            if len(row.failed) > before:
                return None
            self.units[(building.pk, number)] = unit
            self.new_units.append(unit)
        return unit

    def _household_code(self, building: Building, unit: str, room: str) -> str:
        base = "-".join(part for part in (building.code, unit, room) if part)[:36]
        code, n = base, 1
        while code in self.household_codes:
            n += 1
            code = f"{base}~{n}"
        return code

    def write(self) -> dict[str, int]:
        # Only the instances that rows which passed actually use.
        households = {id(r.household): r.household for r in self.new_residents}
        new_households = [h for h in self.new_households if id(h) in households]
        used_units = {id(h.unit) for h in new_households if h.unit is not None}
        new_units = [u for u in self.new_units if id(u) in used_units]
        counts = {"units": save_all(new_units)}
        for household in new_households:
            household.unit = household.unit  # pick up the unit's new primary key
        counts["households"] = save_all(new_households)
        for resident in self.new_residents:
            resident.household = resident.household
        counts["residents"] = save_all(self.new_residents)
        return counts
