"""The printable risk map drawn on the server as SVG: exact colours on paper, text kept as text.

GeoJSON in WGS-84 is projected equirectangularly, scaled by the cosine of the middle latitude —
true enough for the few hundred metres of a community.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from shapely.geometry import shape

METRES_PER_DEGREE = 111_320
SCALE_STEPS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


@dataclass
class Shape:
    geometry: dict
    kind: str  # community, grid, building, risk
    label: str = ""
    fill: str = ""
    text: str = ""
    grade: str = ""
    number: int | None = None


@dataclass
class SheetMap:
    width: int = 1000
    height: int = 640
    margin: int = 28
    shapes: list[Shape] = field(default_factory=list)

    def add_area(self, geometry: dict, kind: str, label: str = "") -> None:
        self.shapes.append(Shape(geometry, kind, label))

    def add_risk(self, geometry: dict, fill: str, text: str, *, grade: str,
                 number: int | None = None, title: str = "") -> None:
        self.shapes.append(Shape(geometry, "risk", title, fill, text, grade, number))

    # -- projection -----------------------------------------------------------------------
    def _frame(self) -> None:
        bounds = [shape(s.geometry).bounds for s in self.shapes]
        minx = min(b[0] for b in bounds)
        miny = min(b[1] for b in bounds)
        maxx = max(b[2] for b in bounds)
        maxy = max(b[3] for b in bounds)
        pad = 0.0005  # a lone point still gets a neighbourhood around it
        if maxx - minx < pad:
            minx, maxx = minx - pad, maxx + pad
        if maxy - miny < pad:
            miny, maxy = miny - pad, maxy + pad
        self.kx = math.cos(math.radians((miny + maxy) / 2))
        inner_w, inner_h = self.width - 2 * self.margin, self.height - 2 * self.margin
        self.scale = min(inner_w / ((maxx - minx) * self.kx), inner_h / (maxy - miny))
        self.x0 = self.margin + (inner_w - (maxx - minx) * self.kx * self.scale) / 2
        self.y0 = self.margin + (inner_h - (maxy - miny) * self.scale) / 2
        self.minx, self.maxy = minx, maxy

    def _xy(self, lng: float, lat: float) -> tuple[float, float]:
        return (round(self.x0 + (lng - self.minx) * self.kx * self.scale, 1),
                round(self.y0 + (self.maxy - lat) * self.scale, 1))

    def _path(self, geometry: dict) -> str:
        kind, coords = geometry["type"], geometry["coordinates"]
        if kind == "Polygon":
            rings, close = coords, True
        elif kind == "MultiPolygon":
            rings, close = [ring for polygon in coords for ring in polygon], True
        elif kind == "LineString":
            rings, close = [coords], False
        elif kind == "MultiLineString":
            rings, close = coords, False
        else:
            return ""
        parts = []
        for ring in rings:
            points = [self._xy(*p[:2]) for p in ring]
            parts.append("M" + " L".join(f"{x},{y}" for x, y in points) + (" Z" if close else ""))
        return " ".join(parts)

    def _points(self, geometry: dict) -> list[tuple[float, float]]:
        if geometry["type"] == "Point":
            return [self._xy(*geometry["coordinates"][:2])]
        if geometry["type"] == "MultiPoint":
            return [self._xy(*p[:2]) for p in geometry["coordinates"]]
        return []

    def _anchor(self, geometry: dict) -> tuple[float, float]:
        point = shape(geometry).representative_point()
        return self._xy(point.x, point.y)

    # -- drawing --------------------------------------------------------------------------
    def _draw(self, s: Shape) -> list[str]:
        out = []
        title = f"<title>{escape(s.label)}</title>" if s.label else ""
        style = {
            "community": 'fill="none" stroke="#0b3d91" stroke-width="3"',
            "grid": 'fill="#0969da" fill-opacity="0.04" stroke="#0969da" stroke-width="1.5" '
                    'stroke-dasharray="8 5"',
            "building": 'fill="#d0d7de" stroke="#6e7781" stroke-width="1"',
            "risk": f'fill="{s.fill}" fill-opacity="0.55" stroke="{s.fill}" stroke-width="2.5"',
        }[s.kind]
        path = self._path(s.geometry)
        if path:
            css = f' class="risk" data-grade="{s.grade}"' if s.kind == "risk" else ""
            out.append(f'<path d="{path}" {style} fill-rule="evenodd"{css}>{title}</path>')
        for x, y in self._points(s.geometry):
            if s.kind == "risk":
                out.append(f'<circle class="risk" data-grade="{s.grade}" cx="{x}" cy="{y}" r="11" '
                           f'fill="{s.fill}" stroke="#ffffff" stroke-width="2.5">{title}</circle>')
            elif s.kind == "building":
                out.append(f'<rect x="{x - 4}" y="{y - 4}" width="8" height="8" {style}/>')
        if s.kind == "risk" and s.number is not None:
            x, y = self._anchor(s.geometry)
            out.append(f'<text x="{x}" y="{y + 4.5}" text-anchor="middle" font-size="13" '
                       f'font-weight="700" fill="{s.text}">{s.number}</text>')
        if s.kind == "grid" and s.label:
            x, y = self._anchor(s.geometry)
            out.append(f'<text x="{x}" y="{y}" text-anchor="middle" font-size="15" fill="#0969da" '
                       f'fill-opacity="0.8">{escape(s.label)}</text>')
        return out

    def _scale_bar(self) -> list[str]:
        metres_per_unit = METRES_PER_DEGREE / self.scale
        target = self.width / 5 * metres_per_unit
        length = max((m for m in SCALE_STEPS if m <= target), default=SCALE_STEPS[0])
        px = round(length / metres_per_unit, 1)
        x, y = self.margin, self.height - 12
        label = f"{length // 1000:g} km" if length >= 1000 else f"{length} m"
        return [f'<g class="scale-bar"><path d="M{x},{y - 6} L{x},{y} L{x + px},{y} '
                f'L{x + px},{y - 6}" fill="none" stroke="#1f2328" stroke-width="2"/>'
                f'<text x="{x + px + 6}" y="{y}" font-size="13" fill="#1f2328">{label}</text></g>']

    def _north(self) -> list[str]:
        x, y = self.width - self.margin, self.margin + 6
        return [f'<g class="north" aria-hidden="true"><path d="M{x},{y - 6} L{x + 8},{y + 16} '
                f'L{x},{y + 11} L{x - 8},{y + 16} Z" fill="#1f2328"/>'
                f'<text x="{x}" y="{y + 32}" text-anchor="middle" font-size="13" '
                f'font-weight="700">N</text></g>']

    def render(self, title: str = "") -> SafeString:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
                f'role="img" aria-label="{escape(title)}" '
                'font-family="system-ui, \'Noto Sans CJK SC\', \'PingFang SC\', sans-serif">'
                f"<title>{escape(title)}</title>")
        if not self.shapes:
            return mark_safe(head + f'<text x="{self.width / 2}" y="{self.height / 2}" '  # nosec B308 B703 # numbers and escaped text
                             f'text-anchor="middle" font-size="18" fill="#59636e">'
                             f'{escape(_("Nothing to show on the map yet."))}</text></svg>')
        self._frame()
        order = {"community": 0, "grid": 1, "building": 2, "risk": 3}
        body = []
        for s in sorted(self.shapes, key=lambda s: order[s.kind]):  # stable: risk order kept
            body.extend(self._draw(s))
        return mark_safe(head + "".join(body + self._scale_bar() + self._north()) + "</svg>")  # nosec B308 B703 # every label is escaped
