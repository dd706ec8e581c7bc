"""Importing buildings and facilities: codes unique in the community, the grid (and building) by
code or name, coordinates converted from WGS-84, GCJ-02 or BD-09 to WGS-84."""
from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from resilience.core.geo import to_wgs84
from resilience.people.models import Organisation
from resilience.people.transfer.base import BUILDING_SUFFIXES, Importer, PlaceIndex, RowCheck, save_all
from resilience.people.transfer.choices import parse_choice
from resilience.people.transfer.columns import Column
from resilience.people.transfer.parsers import key, parse_bool, parse_float, parse_int, text
from resilience.people.transfer.permissions import places_for
from resilience.places.models import Building, Community, Facility, Grid
from resilience.places.vocab import FacilityKind, Structure

LATITUDE = Column("latitude", _l("latitude"), ("纬度", "lat", "y坐标"))
LONGITUDE = Column("longitude", _l("longitude"), ("经度", "lng", "lon", "long", "x坐标"))
GRID = Column("grid", _l("grid"), ("网格", "所属网格", "网格编号", "网格名称", "grid code", "grid name"))
NOTES = Column("notes", _l("notes"), ("备注", "说明", "note", "remarks"))

BUILDING_COLUMNS = (
    Column("code", _l("code"), ("编号", "楼栋编号", "楼号", "楼栋号", "建筑编号", "building code"),
           required=True),
    Column("name", _l("name"), ("名称", "楼栋名称", "楼名", "建筑名称", "building name"), required=True),
    Column(GRID.key, GRID.label, GRID.aliases, required=True),
    Column("address", _l("address"), ("地址", "详细地址")),
    LATITUDE,
    LONGITUDE,
    Column("floors", _l("floors above ground"), ("层数", "地上层数", "楼层数", "总层数", "floors")),
    Column("basement_floors", _l("floors below ground"), ("地下层数", "basement floors")),
    Column("year_built", _l("year built"), ("建成年份", "建成年代", "建造年份", "竣工年份", "year")),
    Column("structure", _l("structure"), ("结构", "结构类型", "建筑结构", "structure type")),
    Column("has_elevator", _l("has elevator"), ("电梯", "有无电梯", "是否有电梯", "elevator", "lift")),
    Column("manager", _l("property manager"), ("物业公司", "物业", "物业管理单位", "物业服务企业",
                                               "manager", "property company")),
)
BUILDING_FIELDS = {c.key: c.key for c in BUILDING_COLUMNS}

FACILITY_COLUMNS = (
    Column("code", _l("code"), ("编号", "设施编号", "facility code"), required=True),
    Column("name", _l("name"), ("名称", "设施名称", "facility name"), required=True),
    Column("kind", _l("type"), ("类型", "设施类型", "类别", "设施类别", "kind", "facility type"),
           required=True),
    GRID,
    Column("building", _l("building"), ("楼栋", "所在楼栋", "所属楼栋", "楼号", "building code")),
    LATITUDE,
    LONGITUDE,
    Column("capacity", _l("capacity"), ("容量", "容纳人数", "可容纳人数", "数量", "规模")),
    Column("owner", _l("owner organisation"), ("产权单位", "所属单位", "权属单位", "管理单位", "责任单位",
                                               "owner")),
    Column("status", _l("status"), ("状态", "使用状态", "运行状态")),
    NOTES,
)
FACILITY_FIELDS = {c.key: c.key for c in FACILITY_COLUMNS} | {"kind": "kind"}


def parse_coordinates(row: RowCheck, crs: str) -> tuple[float | None, float | None]:
    """Latitude and longitude in WGS-84, converted from ``crs``; (None, None) when not given."""
    lat = row.parse("latitude", parse_float)
    lng = row.parse("longitude", parse_float)
    if "latitude" in row.failed or "longitude" in row.failed:
        return None, None
    if lat is None and lng is None:
        return None, None
    if lat is None or lng is None:
        row.error("latitude" if lat is None else "longitude",
                  _("Give both latitude and longitude, or neither."))
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        reason = _("Latitude must be within −90…90 and longitude within −180…180.")
        if -90 <= lng <= 90 and -180 <= lat <= 180:
            reason += " " + _("Are latitude and longitude swapped?")
        row.error("latitude", reason, value=f"{lat}, {lng}")
        return None, None
    return to_wgs84(lat, lng, crs)


class PlaceImporter(Importer):
    """Shared by buildings and facilities: unique codes, grids and organisations by name."""

    model: type = Building

    @classmethod
    def communities(cls, user):
        return Community.objects.filter(
            Q(pk__in=places_for(user, "add", cls.model, Community).values("pk"))
            | Q(pk__in=places_for(user, "add", cls.model, Grid).values("community")))

    def prepare(self) -> None:
        grids = Grid.objects.filter(community=self.community)
        organisations = Organisation.objects.filter(community=self.community)
        allowed = None
        if self.user is not None:
            grids = grids & Grid.objects.visible_to(self.user, "view")
            organisations = organisations & Organisation.objects.visible_to(self.user, "view")
            allowed = set(places_for(self.user, "add", self.model, Grid)
                          .filter(community=self.community).values_list("pk", flat=True))
        self.grids = PlaceIndex(grids, allowed, _("grid"))
        self.organisations = PlaceIndex(organisations, None, _("organisation"), fields=("name",))
        self.may_add_ungridded = self.user is None or places_for(
            self.user, "add", self.model, Community).filter(pk=self.community.pk).exists()
        self.codes = {key(c): None for c in self.model.objects.filter(community=self.community)
                      .values_list("code", flat=True)}
        self.codes_in_file: dict[str, int] = {}
        self.new: list = []

    def check_code(self, row: RowCheck) -> str:
        code = text(row.value("code"))
        if not code:
            return code
        folded = key(code)
        if folded in self.codes_in_file:
            row.error("code", _("The same code is on row %(row)d of this file.")
                      % {"row": self.codes_in_file[folded]})
        elif folded in self.codes:
            row.error("code", _("A record with this code already exists in this community."))
        else:
            self.codes_in_file[folded] = row.number
        return code

    def write(self) -> dict[str, int]:
        return {self.kind: save_all(self.new)}


class BuildingImporter(PlaceImporter):
    """Buildings of a community, each in one of its grids."""

    kind = "buildings"
    model = Building
    columns = BUILDING_COLUMNS

    def check(self, row: RowCheck) -> None:
        lat, lng = parse_coordinates(row, self.crs)
        building = Building(
            community=self.community,
            code=self.check_code(row),
            name=text(row.value("name")),
            address=text(row.value("address")),
            latitude=lat,
            longitude=lng,
            year_built=row.parse("year_built", parse_int),
        )
        if (grid := row.parse("grid", self.grids.find)) is not None:
            building.grid = grid
        elif "grid" not in row.failed:
            row.error("grid", _("The grid is empty."))
        if (floors := row.parse("floors", parse_int)) is not None:
            building.floors = floors
        if (basement := row.parse("basement_floors", parse_int)) is not None:
            building.basement_floors = basement
        if (structure := row.parse("structure", parse_choice, Structure)) is not None:
            building.structure = structure
        if (elevator := row.parse("has_elevator", parse_bool)) is not None:
            building.has_elevator = elevator
        if text(row.value("manager")):
            building.manager = row.parse("manager", self.organisations.find)
        row.validate(building, BUILDING_FIELDS, exclude=["geometry"])
        if row.ok:
            self.new.append(building)


class FacilityImporter(PlaceImporter):
    """Facilities: type by code or label, in a grid or building, with capacity and owner."""

    kind = "facilities"
    model = Facility
    columns = FACILITY_COLUMNS

    def prepare(self) -> None:
        super().prepare()
        buildings = Building.objects.filter(community=self.community)
        if self.user is not None:
            buildings = buildings & Building.objects.visible_to(self.user, "view")
        self.buildings = PlaceIndex(buildings, None, _("building"), BUILDING_SUFFIXES)

    def check(self, row: RowCheck) -> None:
        lat, lng = parse_coordinates(row, self.crs)
        facility = Facility(
            community=self.community,
            code=self.check_code(row),
            name=text(row.value("name")),
            kind=row.parse("kind", parse_choice, FacilityKind) or "",
            latitude=lat,
            longitude=lng,
            capacity=row.parse("capacity", parse_int, 0),
            notes=text(row.value("notes")),
        )
        if "kind" not in row.failed and not facility.kind:
            row.error("kind", _("The type is empty."))
        if (status := row.parse("status", parse_choice, Facility.Status)) is not None:
            facility.status = status
        building = row.parse("building", self.buildings.find) if text(row.value("building")) else None
        facility.building = building
        grid = row.parse("grid", self.grids.find) if text(row.value("grid")) else None
        if grid is None and building is not None and "grid" not in row.failed:
            grid = building.grid
            if self.grids.allowed is not None and grid.pk not in self.grids.allowed:
                row.error("building", _("You may not add records in %(noun)s %(value)r.")
                          % {"noun": _("grid"), "value": grid.code})
        if grid is None and not row.failed and not self.may_add_ungridded:
            row.error("grid", _("Give a grid in which you may add facilities."))
        facility.grid = grid
        if text(row.value("owner")):
            facility.owner = row.parse("owner", self.organisations.find)
        row.validate(facility, FACILITY_FIELDS, exclude=["geometry"])
        if row.ok:
            self.new.append(facility)
