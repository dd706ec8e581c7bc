"""Where demo communities sit, and the plan of one community in metres.

The city is a lattice of community cells separated by 30 m city roads. Eight cells (4 × 2) make
a street (sub-district); a district's streets fill its 17 × 30-cell tile four at a time, in 2 × 2
blocks; the 16 district tiles form a 4 × 4 lattice around central Shanghai. A community's place
depends only on its index, so adding communities later never moves the earlier ones.

Inside a community (554 m × 328 m) six grids of 170 m × 150 m sit in a 3 × 2 layout, split by
16 m internal roads; each grid has six 85 m × 50 m slots, five for buildings and one for shared
facilities. Coordinates are WGS-84; metres are converted with a local flat approximation, which
is exact enough at this scale and keeps straight lines straight.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from resilience.demo.data import DISTRICTS

M_PER_DEG_LAT = 110_850.0
M_PER_DEG_LNG = 111_320.0 * math.cos(math.radians(31.2))
# South-west corner of the district lattice: puts the first Xuhui street near Caohejing.
ORIGIN_LAT = 31.150 - 30 * 358 / M_PER_DEG_LAT
ORIGIN_LNG = 121.405 - 17 * 584 / M_PER_DEG_LNG

CITY_ROAD = 30.0
COMMUNITY_W, COMMUNITY_H = 554.0, 328.0
CELL_W, CELL_H = COMMUNITY_W + CITY_ROAD, COMMUNITY_H + CITY_ROAD
STREET_COLS, STREET_ROWS = 4, 2
COMMUNITIES_PER_STREET = STREET_COLS * STREET_ROWS
DISTRICT_CELLS_X, DISTRICT_CELLS_Y = 17, 30
STREETS_PER_BLOCK = 4
MAX_STREETS_PER_DISTRICT = 56
MAX_COMMUNITIES = len(DISTRICTS) * MAX_STREETS_PER_DISTRICT * COMMUNITIES_PER_STREET

MARGIN = 6.0
INNER_ROAD = 16.0
GRID_W, GRID_H = 170.0, 150.0
GRID_COLS, GRID_ROWS = 3, 2
SLOT_W, SLOT_H = GRID_W / 2, GRID_H / 3
HYDRANT_SPACING = 80.0

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in metres


@dataclass(frozen=True)
class Placement:
    """Where community number ``index`` (0-based) sits: its district, street and lattice cell."""

    index: int
    district: int      # index into DISTRICTS
    street: int        # index of the street inside its district
    position: int      # 0…7 inside the street
    cell_x: int
    cell_y: int

    @property
    def origin(self) -> tuple[float, float]:
        """South-west corner of the community boundary, in metres from the lattice origin."""
        return self.cell_x * CELL_W + CITY_ROAD / 2, self.cell_y * CELL_H + CITY_ROAD / 2


def place(index: int) -> Placement:
    if not 0 <= index < MAX_COMMUNITIES:
        raise ValueError(f"the demo lattice holds at most {MAX_COMMUNITIES} communities")
    street_no, position = divmod(index, COMMUNITIES_PER_STREET)
    block_round, in_block = divmod(street_no, STREETS_PER_BLOCK * len(DISTRICTS))
    district = in_block // STREETS_PER_BLOCK
    q = street_no % STREETS_PER_BLOCK
    street = block_round * STREETS_PER_BLOCK + q
    dcol, drow = DISTRICTS[district][2], DISTRICTS[district][3]
    sx = 2 * (block_round % 2) + q % 2
    sy = 2 * (block_round // 2) + q // 2
    cell_x = dcol * DISTRICT_CELLS_X + sx * STREET_COLS + position % STREET_COLS
    cell_y = drow * DISTRICT_CELLS_Y + sy * STREET_ROWS + position // STREET_COLS
    return Placement(index, district, street, position, cell_x, cell_y)


def street_rect(p: Placement) -> Rect:
    """The street's tile (its eight cells, roads included), in lattice metres."""
    x0 = (p.cell_x - p.position % STREET_COLS) * CELL_W
    y0 = (p.cell_y - p.position // STREET_COLS) * CELL_H
    return x0, y0, x0 + STREET_COLS * CELL_W, y0 + STREET_ROWS * CELL_H


def district_rect(district: int) -> Rect:
    dcol, drow = DISTRICTS[district][2], DISTRICTS[district][3]
    x0, y0 = dcol * DISTRICT_CELLS_X * CELL_W, drow * DISTRICT_CELLS_Y * CELL_H
    street_rows = MAX_STREETS_PER_DISTRICT // 4  # streets are four abreast
    return x0, y0, x0 + 4 * STREET_COLS * CELL_W, y0 + street_rows * STREET_ROWS * CELL_H


class Frame:
    """Converts metres (east, north) from an origin in the lattice to WGS-84."""

    def __init__(self, x0: float = 0.0, y0: float = 0.0):
        self.x0, self.y0 = x0, y0

    def lnglat(self, x: float, y: float) -> list[float]:
        return [round(ORIGIN_LNG + (self.x0 + x) / M_PER_DEG_LNG, 7),
                round(ORIGIN_LAT + (self.y0 + y) / M_PER_DEG_LAT, 7)]

    def latlng(self, x: float, y: float) -> tuple[float, float]:
        lng, lat = self.lnglat(x, y)
        return lat, lng

    def polygon(self, points: list[tuple[float, float]]) -> dict:
        ring = [self.lnglat(x, y) for x, y in points]
        return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}

    def rect(self, r: Rect) -> dict:
        x0, y0, x1, y1 = r
        return self.polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def grid_rects() -> list[tuple[Rect, Rect]]:
    """(inner area, boundary) of the six grids, numbered from the south-west, row by row.

    Boundaries run along the middle of internal roads and along the community boundary, so the
    grids partition the community.
    """
    out = []
    for row in range(GRID_ROWS):
        for col in range(GRID_COLS):
            x0 = MARGIN + col * (GRID_W + INNER_ROAD)
            y0 = MARGIN + row * (GRID_H + INNER_ROAD)
            inner = (x0, y0, x0 + GRID_W, y0 + GRID_H)
            bx0 = 0.0 if col == 0 else x0 - INNER_ROAD / 2
            bx1 = COMMUNITY_W if col == GRID_COLS - 1 else x0 + GRID_W + INNER_ROAD / 2
            by0 = 0.0 if row == 0 else y0 - INNER_ROAD / 2
            by1 = COMMUNITY_H if row == GRID_ROWS - 1 else y0 + GRID_H + INNER_ROAD / 2
            out.append((inner, (bx0, by0, bx1, by1)))
    return out


def slots(inner: Rect) -> list[Rect]:
    """The six slots of a grid, two columns by three rows, from the south-west."""
    x0, y0 = inner[0], inner[1]
    return [(x0 + a * SLOT_W, y0 + b * SLOT_H, x0 + (a + 1) * SLOT_W, y0 + (b + 1) * SLOT_H)
            for b in range(3) for a in range(2)]


def footprint(slot: Rect, width: float, depth: float, dx: float, dy: float) -> Rect:
    """A building of ``width`` × ``depth`` metres centred in ``slot``, shifted by (dx, dy)."""
    cx = (slot[0] + slot[2]) / 2 + dx
    cy = (slot[1] + slot[3]) / 2 + dy
    return cx - width / 2, cy - depth / 2, cx + width / 2, cy + depth / 2


def inset(r: Rect, by: float) -> Rect:
    return r[0] + by, r[1] + by, r[2] - by, r[3] - by


def hydrant_points(start: float) -> list[tuple[float, float]]:
    """Hydrants every ~80 m along the inner ring path and the internal roads (3 m off centre)."""
    ring = [(3.0, 3.0), (COMMUNITY_W - 3, 3.0), (COMMUNITY_W - 3, COMMUNITY_H - 3),
            (3.0, COMMUNITY_H - 3), (3.0, 3.0)]
    lines = [ring]
    for col in range(1, GRID_COLS):
        x = MARGIN + col * (GRID_W + INNER_ROAD) - INNER_ROAD / 2 + (3 if col % 2 else -3)
        lines.append([(x, 3.0), (x, COMMUNITY_H - 3)])
    y = MARGIN + GRID_H + INNER_ROAD / 2 + 3
    lines.append([(3.0, y), (COMMUNITY_W - 3, y)])
    points: list[tuple[float, float]] = []
    for line in lines:
        for x, y in _along(line, start, HYDRANT_SPACING):
            if all(math.hypot(x - px, y - py) > 30 for px, py in points):
                points.append((round(x, 2), round(y, 2)))
    return points


def _along(line: list[tuple[float, float]], start: float, step: float):
    """Points every ``step`` metres along a polyline, the first ``start`` metres in."""
    at = start
    walked = 0.0
    for (x0, y0), (x1, y1) in zip(line, line[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        while at <= walked + length:
            t = (at - walked) / length
            yield x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            at += step
        walked += length
