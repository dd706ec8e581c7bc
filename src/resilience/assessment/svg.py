"""Charts drawn on the server as inline SVG: a radar of the dimensions, trend lines and a map of
building vulnerability. Labels stay text, so the reader's browser renders Chinese and prints
sharp; no JavaScript chart library."""
from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK, MUTED, GRID = "#1f2933", "#6b7785", "#d5dbe1"
LINE, PREVIOUS = "#1d6fb8", "#9aa5b1"
# Four-colour scale (most vulnerable first), as the risk map: red, orange, yellow, blue.
BANDS = ((0.75, "#d64541"), (0.5, "#f08c2e"), (0.25, "#f2c94c"), (0.0, "#3b82c4"))
UNRANKED = "#b8c2cc"


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, body: list[str], label: str, css: str = "") -> SafeString:
    return mark_safe(  # nosec B308 B703  # numbers formatted by _n(), labels through escape()
        f'<svg class="chart {css}" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<title>{escape(label)}</title>{"".join(body)}</svg>')


def band_colour(rank: float | None) -> str:
    if rank is None:
        return UNRANKED
    for lower, colour in BANDS:
        if rank >= lower:
            return colour
    return BANDS[-1][1]


def radar(labels: Sequence[str], values: Sequence[float | None],
          previous: Sequence[float | None] | None = None, *, title: str = "",
          size: int = 300) -> SafeString:
    """A radar (spider) chart of scores 0–100, one axis per label; ``previous`` is drawn behind
    as a dashed outline. A missing value sits at the centre."""
    n = len(labels)
    width = size + 220  # room beside the chart for the labels left and right
    cx, cy = width / 2, size / 2 + 5
    r = size / 2 - 50
    body = []

    def point(k: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / max(n, 1)
        return cx + r * value / 100 * math.cos(angle), cy + r * value / 100 * math.sin(angle)

    for ring in (25, 50, 75, 100):
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(k, ring) for k in range(n)))
        body.append(f'<polygon points="{pts}" fill="none" stroke="{GRID}" stroke-width="1"/>')
    for k, label in enumerate(labels):
        x, y = point(k, 100)
        body.append(f'<line x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{_n(y)}" '
                    f'stroke="{GRID}"/>')
        lx, ly = point(k, 112)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        value = values[k] if k < len(values) else None
        top = ly - 14 if ly < cy - 8 else ly + 2  # labels above the chart grow upwards
        # name and score on two lines, large enough to read when the chart shrinks to a phone
        body.append(f'<text x="{_n(lx)}" y="{_n(top)}" text-anchor="{anchor}" font-size="16" '
                    f'fill="{INK}">{escape(label)}<tspan x="{_n(lx)}" dy="18" '
                    f'font-weight="bold">{"—" if value is None else _n(value)}</tspan></text>')
    if n < 3:
        return _svg(width, size, body, title)
    for series, colour, extra in ((previous, PREVIOUS, ' stroke-dasharray="4 3"'),
                                  (values, LINE, "")):
        if not series:
            continue
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(k, v or 0)
                                                         for k, v in enumerate(series)))
        fill = "none" if series is previous else f"{LINE}33"
        body.append(f'<polygon class="series" points="{pts}" fill="{fill}" stroke="{colour}" '
                    f'stroke-width="2"{extra}/>')
    return _svg(width, size, body, title, "radar")


def trend(points: Sequence[tuple[str, float | None]], *, title: str = "", width: int = 360,
          height: int = 170, series: dict[str, Sequence[float | None]] | None = None
          ) -> SafeString:
    """Trend line of scores 0–100 over runs (``points``: label, value), with optional thinner
    lines (``series``: name → values aligned with ``points``)."""
    left, right, top, bottom = 30, 10, 10, 28
    w, h = width - left - right, height - top - bottom
    n = len(points)
    body = []
    for level in (0, 50, 100):
        y = top + h * (1 - level / 100)
        body.append(f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" '
                    f'stroke="{GRID}"/><text x="{left - 4}" y="{_n(y + 4)}" font-size="10" '
                    f'text-anchor="end" fill="{MUTED}">{level}</text>')

    def x_of(i: int) -> float:
        return left + (w * i / (n - 1) if n > 1 else w / 2)

    def path(values, colour: str, stroke: float, css: str) -> None:
        pts = [(x_of(i), top + h * (1 - v / 100)) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            d = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
            body.append(f'<polyline class="{css}" points="{d}" fill="none" stroke="{colour}" '
                        f'stroke-width="{stroke}"/>')
        for x, y in pts:
            body.append(f'<circle class="{css}" cx="{_n(x)}" cy="{_n(y)}" r="{stroke + 1}" '
                        f'fill="{colour}"/>')

    palette = ("#8e6c8a", "#2a9d8f", "#e76f51", "#6c757d", "#b5838d")
    for k, (name, values) in enumerate((series or {}).items()):
        path(values, palette[k % len(palette)], 1, "dimension")
    path([v for _label, v in points], LINE, 2.5, "score")
    for i, (label, value) in enumerate(points):
        if n <= 6 or i in (0, n - 1):
            body.append(f'<text x="{_n(x_of(i))}" y="{height - 8}" font-size="10" '
                        f'text-anchor="middle" fill="{MUTED}">{escape(label)}</text>')
    return _svg(width, height, body, title, "trend")


def building_map(buildings: Sequence[dict], bbox: tuple[float, float, float, float] | None,
                 *, title: str = "", width: int = 360, height: int = 260,
                 outline: Sequence[Sequence[tuple[float, float]]] = ()) -> SafeString:
    """Buildings as points in the community's bounding box (``min_lng, min_lat, max_lng,
    max_lat``), coloured by their vulnerability rank; each entry needs ``latitude``,
    ``longitude``, ``rank`` (0–1 or None) and ``code``. ``outline``: the community's boundary
    rings as (lng, lat) points, drawn behind."""
    placed = [b for b in buildings if b.get("latitude") is not None
              and b.get("longitude") is not None]
    if not bbox and placed:
        lngs = [b["longitude"] for b in placed]
        lats = [b["latitude"] for b in placed]
        bbox = (min(lngs), min(lats), max(lngs), max(lats))
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f6f8fa" '
            f'stroke="{GRID}"/>']
    if bbox:
        min_lng, min_lat, max_lng, max_lat = bbox
        pad = 14
        span_x = (max_lng - min_lng) or 1e-6
        span_y = (max_lat - min_lat) or 1e-6
        # keep the map's proportions: a degree of longitude is shorter than one of latitude
        aspect = math.cos(math.radians((min_lat + max_lat) / 2))
        scale = min((width - 2 * pad) / (span_x * aspect), (height - 2 * pad) / span_y)
        ox = (width - span_x * aspect * scale) / 2
        oy = (height - span_y * scale) / 2
        def xy(lng: float, lat: float) -> tuple[float, float]:
            return (ox + (lng - min_lng) * aspect * scale,
                    height - oy - (lat - min_lat) * scale)

        for ring in outline:
            pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in (xy(lng, lat) for lng, lat in ring))
            body.append(f'<polygon class="outline" points="{pts}" fill="#fff" '
                        f'stroke="{MUTED}" stroke-width="1.5"/>')
        for b in sorted(placed, key=lambda b: b.get("rank") or -1):
            x, y = xy(b["longitude"], b["latitude"])
            rank = b.get("rank")
            label = f"{b.get('code', '')} {'' if rank is None else _n(rank * 100)}"
            body.append(f'<circle class="building" cx="{_n(x)}" cy="{_n(y)}" r="6" '
                        f'fill="{band_colour(rank)}" stroke="#fff"><title>{escape(label)}'
                        f'</title></circle>')
    return _svg(width, height, body, title, "map")


def bar_list(rows: Sequence[tuple[str, float | None]], *, title: str = "", width: int = 360,
             limit: int = 20) -> SafeString:
    """Ranked horizontal bars (label, rank 0–1), for buildings without coordinates."""
    rows = list(rows)[:limit]
    line = 20
    height = max(line * len(rows) + 8, 28)
    left = 90
    body = []
    for i, (label, rank) in enumerate(rows):
        y = 4 + i * line
        length = (width - left - 40) * (rank or 0)
        body.append(f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end" '
                    f'fill="{INK}">{escape(label)}</text><rect class="building" x="{left}" '
                    f'y="{y + 3}" width="{_n(length)}" height="12" fill="{band_colour(rank)}"/>'
                    f'<text x="{_n(left + length + 4)}" y="{y + 13}" font-size="11" '
                    f'fill="{MUTED}">{"—" if rank is None else _n(rank * 100)}</text>')
    return _svg(width, height, body, title, "bars")
