"""The built side of a demo community: grids, buildings, units, flats and facilities.

A typical Shanghai estate: rows of six-storey brick walk-ups from the late 1980s and 1990s (a
few units with a retrofitted elevator, 加装电梯) and one or two 18–33-storey shear-wall towers
per grid from the 2000s, above an underground garage. Each grid keeps one slot for shared
facilities: the community centre, a kindergarten, a green square, elderly care, parking.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from resilience.demo import layout
from resilience.demo.data import numeral
from resilience.demo.layout import Frame, Rect
from resilience.demo.population import Flat
from resilience.places.models import Building, Facility, Grid, Unit
from resilience.places.vocab import FacilityKind as K, Structure

WALKUP_FLAT_WIDTH = 8.0   # metres of façade per flat
TOWER_FLAT_WIDTH = 7.5
CODE_PREFIX = {
    K.POWER_ROOM: "PR", K.FIRE_EQUIPMENT: "FE", K.HYDRANT: "HY", K.EBIKE_CHARGING: "EB",
    K.GAS: "GS", K.ELEVATOR: "EL", K.PARKING: "PK", K.UNDERGROUND_GARAGE: "UG", K.SHELTER: "SH",
    K.WAREHOUSE: "WH", K.CLINIC: "CL", K.PUMP: "PU", K.AED: "AED", K.COMMUNITY_CENTRE: "CC",
    K.SCHOOL: "SC", K.ELDERLY_CARE: "EC", K.OTHER: "OT",
}
# What each grid's spare slot holds; shuffled per community.
SPARE_USES = ("hub", "school", "park", "care", "parking", "parking_gas")


@dataclass
class Estate:
    grids: list[Grid] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    facilities: list[Facility] = field(default_factory=list)
    flats: list[Flat] = field(default_factory=list)


class EstateBuilder:
    """Lays out one community's grids, buildings and facilities in its ``frame``."""

    def __init__(self, rng: random.Random, frame: Frame, community, road: str, lane: int,
                 owners: dict[str, object]):
        self.rng, self.frame, self.community = rng, frame, community
        self.road, self.lane = road, lane
        self.owners = owners
        self.estate = Estate()
        self._numbers: dict[str, int] = {}
        self._grid_bounds: list[tuple[Rect, Grid]] = []

    def build(self, target_households: int) -> Estate:
        rng = self.rng
        towers = [0, 1, 1, 1, 1, 2]
        rng.shuffle(towers)
        uses = list(SPARE_USES)
        rng.shuffle(uses)
        spares = []
        for g, (inner, bounds) in enumerate(layout.grid_rects()):
            grid = Grid(community=self.community, code=f"G{g + 1}", name=f"第{numeral(g + 1)}网格",
                        geometry=self.frame.rect(bounds))
            self.estate.grids.append(grid)
            self._grid_bounds.append((bounds, grid))
            slot_rects = layout.slots(inner)
            spare = rng.randrange(len(slot_rects))
            spares.append((grid, slot_rects[spare], inner, towers[g]))
            used = [s for k, s in enumerate(slot_rects) if k != spare]
            tower_slots = set(rng.sample(range(len(used)), towers[g]))
            for k, slot in enumerate(used):
                self._building(grid, slot, tower=k in tower_slots)
        self._fit_capacity(target_households)
        for building in self.estate.buildings:
            self._units_and_flats(building)
        for (grid, slot, inner, n_towers), use in zip(spares, uses):
            self._grid_facilities(grid, slot)
            getattr(self, f"_{use}")(grid, slot)
        garage_grid = max(spares, key=lambda s: s[3])
        self._garage(garage_grid[0], garage_grid[2], garage_grid[3])
        self._hydrants()
        return self.estate

    # --- buildings --------------------------------------------------------------------------

    def _building(self, grid: Grid, slot: Rect, tower: bool) -> None:
        rng = self.rng
        n = len(self.estate.buildings) + 1
        if tower:
            units = 2
            flats = rng.choice((2, 3, 3))
            floors = rng.randint(18, 33)
            width, depth = units * flats * TOWER_FLAT_WIDTH, 17.0
            year = rng.randint(2002, 2014)
            structure = Structure.SHEAR_WALL if rng.random() < 0.8 else Structure.FRAME
        else:
            units = rng.choices((2, 3, 4), (1, 2, 3))[0]
            flats = 2
            floors = 6
            width, depth = units * flats * WALKUP_FLAT_WIDTH, 11.0
            year = rng.randint(1987, 1999)
            structure = Structure.BRICK_CONCRETE if rng.random() < 0.9 else Structure.FRAME
        room_x = (layout.SLOT_W - width) / 2 - 4
        rect = layout.footprint(slot, width, depth, rng.uniform(-room_x, room_x), rng.uniform(-3, 3))
        lat, lng = self.frame.latlng((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2)
        building = Building(
            community=self.community, grid=grid, code=f"B{n:02d}", name=f"{n}号楼",
            address=f"{self.road}{self.lane}弄{n}号", geometry=self.frame.rect(rect),
            latitude=lat, longitude=lng, floors=floors, basement_floors=rng.randint(1, 2) if tower else 0,
            year_built=year, structure=structure, has_elevator=tower, manager=self.owners["property"],
        )
        building.demo_units, building.demo_flats, building.demo_rect = units, flats, rect
        self.estate.buildings.append(building)

    def _capacity(self, b: Building) -> int:
        first = 2 if b.has_elevator else 1  # towers keep the ground floor for the lobby
        return b.demo_units * b.demo_flats * (b.floors - first + 1)

    def _fit_capacity(self, target: int) -> None:
        """Add storeys to the lowest towers until the estate can house ``target`` households
        at 92 % occupancy at most."""
        towers = [b for b in self.estate.buildings if b.has_elevator]
        while towers and sum(map(self._capacity, self.estate.buildings)) * 0.92 < target:
            lowest = min(towers, key=lambda b: (b.floors, b.code))
            if lowest.floors >= 33:
                break
            lowest.floors += 1

    def _units_and_flats(self, b: Building) -> None:
        rng = self.rng
        first = 2 if b.has_elevator else 1
        for u in range(1, b.demo_units + 1):
            retrofit = not b.has_elevator and rng.random() < 0.1
            unit = Unit(building=b, number=str(u), has_elevator=b.has_elevator or retrofit)
            self.estate.units.append(unit)
            for floor in range(first, b.floors + 1):
                for k in range(1, b.demo_flats + 1):
                    self.estate.flats.append(Flat(b, unit, floor, f"{floor}{k:02d}"))
            x0, y0, x1, y1 = b.demo_rect
            ux = x0 + (u - 0.5) * (x1 - x0) / b.demo_units
            fe_x, fe_y = ux, y0 + 1.5
            if b.has_elevator:
                for k in (1, 2):
                    self._facility(K.ELEVATOR, f"{b.name}{u}单元{k}号电梯", (ux, (y0 + y1) / 2),
                                   building=b, owner="property")
            elif retrofit:
                self._facility(K.ELEVATOR, f"{b.name}{u}单元加装电梯", (ux, y1 + 1.5),
                               building=b, owner="property")
            if u == 1:
                self._facility(K.FIRE_EQUIPMENT, f"{b.name}消防器材箱", (fe_x, fe_y), building=b,
                               owner="property")

    # --- facilities -------------------------------------------------------------------------

    def _facility(self, kind: str, name: str, at: tuple[float, float] | Rect, *, building=None,
                  grid=None, owner: str | None = None, capacity: int | None = None) -> Facility:
        rng = self.rng
        self._numbers[kind] = n = self._numbers.get(kind, 0) + 1
        geometry = None
        if len(at) == 4:
            geometry = self.frame.rect(at)
            x, y = (at[0] + at[2]) / 2, (at[1] + at[3]) / 2
        else:
            x, y = at
        lat, lng = self.frame.latlng(x, y)
        status = Facility.Status.IN_SERVICE
        if kind in (K.HYDRANT, K.ELEVATOR, K.PUMP, K.EBIKE_CHARGING) and rng.random() < 0.04:
            status = rng.choice((Facility.Status.UNDER_REPAIR, Facility.Status.OUT_OF_SERVICE))
        facility = Facility(
            community=self.community, grid=grid or (building.grid if building else self._grid_at(x, y)),
            building=building, kind=kind, code=f"{CODE_PREFIX[kind]}{n:02d}", name=name,
            latitude=lat, longitude=lng, geometry=geometry,
            owner=self.owners.get(owner) if owner else None, capacity=capacity, status=status,
        )
        self.estate.facilities.append(facility)
        return facility

    def _grid_at(self, x: float, y: float) -> Grid:
        for (x0, y0, x1, y1), grid in self._grid_bounds:
            if x0 <= x <= x1 and y0 <= y <= y1:
                return grid
        raise ValueError(f"({x}, {y}) lies outside every grid")

    def _grid_facilities(self, grid: Grid, slot: Rect) -> None:
        """Every grid: a power distribution room and a covered e-bike charging shed."""
        x0, y0, x1, y1 = slot
        self._facility(K.POWER_ROOM, f"{grid.name}配电房", (x0 + 3, y1 - 9, x0 + 11, y1 - 3),
                       grid=grid, owner="property")
        self._facility(K.EBIKE_CHARGING, f"{grid.name}非机动车充电棚", (x1 - 21, y1 - 8, x1 - 3, y1 - 3),
                       grid=grid, owner="property", capacity=self.rng.randrange(20, 42, 2))

    def _hub(self, grid: Grid, slot: Rect) -> None:
        x0, y0, x1, y1 = slot
        hall = (x0 + 14, y0 + 8, x0 + 50, y0 + 26)
        self._facility(K.COMMUNITY_CENTRE, "社区党群服务站（居委会）", hall, grid=grid, owner="committee",
                       capacity=self.rng.randrange(120, 220, 10))
        self._facility(K.SHELTER, "社区活动中心多功能厅（室内避难点）", hall, grid=grid, owner="committee",
                       capacity=self.rng.randrange(150, 260, 10))
        self._facility(K.WAREHOUSE, "社区应急物资储备库", (x0 + 54, y0 + 8, x0 + 70, y0 + 20), grid=grid,
                       owner="committee", capacity=self.rng.randrange(400, 900, 50))
        self._facility(K.AED, "AED（党群服务站门厅）", (x0 + 30, y0 + 7), grid=grid, owner="committee")
        self._facility(K.OTHER, "微型消防站", (x0 + 62, y0 + 25), grid=grid, owner="committee")
        self._facility(K.POWER_ROOM, "开闭所", (x0 + 54, y0 + 28, x0 + 66, y0 + 36), grid=grid,
                       owner="property")

    def _school(self, grid: Grid, slot: Rect) -> None:
        x0, y0, x1, y1 = slot
        self._facility(K.SCHOOL, f"{self.community.name}幼儿园", (x0 + 6, y0 + 6, x0 + 40, y1 - 12),
                       grid=grid, capacity=self.rng.randrange(150, 300, 15))
        if self.rng.random() < 0.6:
            playground = (x0 + 44, y0 + 6, x1 - 6, y1 - 12)
            self._facility(K.SHELTER, "幼儿园操场（应急避难点）", playground, grid=grid,
                           owner="committee", capacity=_people(self.rng, playground))

    def _park(self, grid: Grid, slot: Rect) -> None:
        square = (slot[0] + 5, slot[1] + 5, slot[2] - 25, slot[3] - 12)
        self._facility(K.SHELTER, "中心绿地应急避难场所", square, grid=grid, owner="committee",
                       capacity=_people(self.rng, square))
        self._facility(K.AED, "AED（中心绿地健身点）", (square[2] - 3, square[1] + 3), grid=grid,
                       owner="committee")

    def _care(self, grid: Grid, slot: Rect) -> None:
        x0, y0, x1, y1 = slot
        self._facility(K.ELDERLY_CARE, "长者照护之家", (x0 + 6, y0 + 6, x0 + 36, y0 + 22), grid=grid,
                       owner="social", capacity=self.rng.randrange(30, 62, 2))
        self._facility(K.CLINIC, "社区卫生服务站", (x0 + 42, y0 + 6, x0 + 66, y0 + 20), grid=grid,
                       owner="health")
        self._facility(K.AED, "AED（社区卫生服务站）", (x0 + 54, y0 + 22), grid=grid, owner="health")

    def _parking(self, grid: Grid, slot: Rect) -> None:
        lot = (slot[0] + 6, slot[1] + 6, slot[2] - 26, slot[3] - 12)
        self._facility(K.PARKING, f"{grid.name}地面停车场", lot, grid=grid, owner="property",
                       capacity=_cars(lot))

    def _parking_gas(self, grid: Grid, slot: Rect) -> None:
        lot = (slot[0] + 6, slot[1] + 6, slot[0] + 50, slot[3] - 12)
        self._facility(K.PARKING, f"{grid.name}地面停车场", lot, grid=grid, owner="property",
                       capacity=_cars(lot))
        self._facility(K.GAS, "燃气调压站", (slot[0] + 56, slot[1] + 6, slot[0] + 62, slot[1] + 12),
                       grid=grid)
        self._facility(K.GAS, "燃气调压箱", (slot[0] + 58, slot[1] + 30), grid=grid)

    def _garage(self, grid: Grid, inner: Rect, towers: int) -> None:
        area = layout.inset(inner, 12)
        self._facility(K.UNDERGROUND_GARAGE, f"{grid.name}地下车库", area, grid=grid, owner="property",
                       capacity=max(1, towers) * self.rng.randrange(90, 150, 5))
        self._facility(K.PUMP, "地下车库集水井排水泵", (area[0] + 4, area[1] + 4), grid=grid,
                       owner="property")
        self._facility(K.PUMP, "地下车库坡道截水沟排水泵", (area[2] - 4, area[1] + 4), grid=grid,
                       owner="property")

    def _hydrants(self) -> None:
        for n, point in enumerate(layout.hydrant_points(self.rng.uniform(10, 40)), start=1):
            self._facility(K.HYDRANT, f"室外消火栓{n:02d}", point)


def _people(rng: random.Random, r: Rect) -> int:
    """People a shelter area holds at 2–3 m² each (GB 21734 allows ≥ 1.5 m² per person)."""
    return int((r[2] - r[0]) * (r[3] - r[1]) / rng.uniform(2.0, 3.0)) // 10 * 10


def _cars(r: Rect) -> int:
    return int((r[2] - r[0]) * (r[3] - r[1]) / 25)
