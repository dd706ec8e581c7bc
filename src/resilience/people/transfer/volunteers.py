"""Importing volunteers: skills and availability by code or label, the home building, and no
volunteer registered twice with the same phone number."""
from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from resilience.core import crypto
from resilience.people.models import Organisation, Volunteer
from resilience.people.transfer.base import BUILDING_SUFFIXES, Importer, PlaceIndex, RowCheck, save_all
from resilience.people.transfer.choices import parse_choice, parse_choices
from resilience.people.transfer.columns import Column
from resilience.people.transfer.parsers import parse_phone, text
from resilience.people.transfer.permissions import places_for
from resilience.people.vocab import Availability, Skill
from resilience.places.models import Building, Community

VOLUNTEER_COLUMNS = (
    Column("name", _l("name"), ("姓名", "名字", "志愿者姓名", "full name"), required=True),
    Column("phone", _l("phone"), ("联系电话", "手机号", "手机号码", "手机", "电话", "联系方式", "mobile",
                                   "telephone", "tel"), mask="phone"),
    Column("skills", _l("skills"), ("技能", "专长", "特长", "技能特长", "skill")),
    Column("availability", _l("availability"), ("可服务时间", "服务时间", "空闲时间", "可参与时间")),
    Column("home_building", _l("home building"), ("居住楼栋", "所住楼栋", "住址楼栋", "楼栋", "building")),
    Column("team", _l("team"), ("所属队伍", "队伍", "志愿队", "志愿者队伍", "所属组织")),
)
VOLUNTEER_FIELDS = {"name": "name", "phone": "phone", "skills": "skills",
                    "availability": "availability", "home_building": "home_building", "team": "team"}


class VolunteerImporter(Importer):
    """Volunteers of a community."""

    kind = "volunteers"
    columns = VOLUNTEER_COLUMNS

    @classmethod
    def communities(cls, user):
        return Community.objects.filter(
            Q(pk__in=places_for(user, "add", Volunteer, Community).values("pk"))
            | Q(pk__in=places_for(user, "add", Volunteer, Building).values("community")))

    def prepare(self) -> None:
        buildings = Building.objects.filter(community=self.community)
        teams = Organisation.objects.filter(community=self.community)
        allowed = None
        if self.user is not None:
            buildings = buildings & Building.objects.visible_to(self.user, "view")
            teams = teams & Organisation.objects.visible_to(self.user, "view")
            allowed = set(places_for(self.user, "add", Volunteer, Building)
                          .filter(community=self.community).values_list("pk", flat=True))
        self.buildings = PlaceIndex(buildings, allowed, _("building"), BUILDING_SUFFIXES)
        self.teams = PlaceIndex(teams, None, _("team"), fields=("name",))
        self.may_add_anywhere = self.user is None or places_for(
            self.user, "add", Volunteer, Community).filter(pk=self.community.pk).exists()
        self.known_phones = set(Volunteer.objects.filter(community=self.community)
                                .exclude(phone_hash="").values_list("phone_hash", flat=True))
        self.phones_in_file: dict[str, int] = {}
        self.new: list[Volunteer] = []

    def check(self, row: RowCheck) -> None:
        volunteer = Volunteer(
            community=self.community,
            name=text(row.value("name")),
            phone=row.parse("phone", parse_phone) or "",
            skills=row.parse("skills", parse_choices, Skill) or [],
        )
        if (availability := row.parse("availability", parse_choice, Availability)) is not None:
            volunteer.availability = availability
        if text(row.value("home_building")):
            volunteer.home_building = row.parse("home_building", self.buildings.find)
        elif not self.may_add_anywhere:
            row.error("home_building", _("Give a home building in which you may add volunteers."))
        if text(row.value("team")):
            volunteer.team = row.parse("team", self.teams.find)
        if volunteer.phone:
            self._check_duplicate(row, volunteer.phone)
        row.validate(volunteer, VOLUNTEER_FIELDS, exclude=["user", "resident"])
        if row.ok:
            self.new.append(volunteer)

    def _check_duplicate(self, row: RowCheck, phone: str) -> None:
        digest = crypto.keyed_hash(phone, "phone")
        if digest in self.phones_in_file:
            row.error("phone", _("The same phone number is on row %(row)d of this file.")
                      % {"row": self.phones_in_file[digest]})
        elif digest in self.known_phones:
            row.error("phone", _("A volunteer with this phone number is already registered in this "
                                 "community."))
        else:
            self.phones_in_file[digest] = row.number

    def write(self) -> dict[str, int]:
        return {self.kind: save_all(self.new)}
