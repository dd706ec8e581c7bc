"""How sensor states, readings and alarm levels look: the same badges on every page."""
from __future__ import annotations

from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.monitoring.api.sensors import LEVEL_HEX, STATUS_HEX
from resilience.monitoring.simulator.behaviour import (
    ELEVATOR_DOORS_OPEN, ELEVATOR_IDLE, ELEVATOR_MOVING,
)
from resilience.monitoring.vocab import LEVEL_COLOUR, AlarmLevel, SensorKind

# Dark text on orange and yellow, white on red and blue (as the risk grades): WCAG AA.
TEXT_ON = {1: "#ffffff", 2: "#1f2328", 3: "#1f2328", 4: "#ffffff"}
LEVEL_NUMERAL = {1: "I", 2: "II", 3: "III", 4: "IV"}
ELEVATOR_STATES = {
    ELEVATOR_IDLE: _("idle"),
    ELEVATOR_MOVING: _("moving"),
    ELEVATOR_DOORS_OPEN: _("doors open"),
}
LOW_BATTERY = 20


def level_info(level: int) -> dict:
    """Numeral, label, colour name, fill and text colour of an alarm level (1 = I, red)."""
    return {"level": level, "numeral": LEVEL_NUMERAL.get(level, "?"),
            "label": AlarmLevel(level).label if level in AlarmLevel.values else "",
            "colour": LEVEL_COLOUR.get(level, ""), "hex": LEVEL_HEX.get(level, "#8c959f"),
            "text": TEXT_ON.get(level, "#ffffff")}


def levels() -> list[dict]:
    """The four levels, most severe first."""
    return [level_info(level) for level in (1, 2, 3, 4)]


def level_badge(level: int) -> str:
    info = level_info(level)
    return format_html('<span class="alarm-level level-{}" data-level="{}" title="{}" '
                       'style="background:{};color:{}">{}</span>', level, level, info["label"],
                       info["hex"], info["text"], info["numeral"])


def status_badge(status: str, label) -> str:
    return format_html('<span class="sensor-status status-{}" data-status="{}"><span class="dot" '
                       'style="background:{}" aria-hidden="true"></span>{}</span>',
                       status, status, STATUS_HEX.get(status, "#8c959f"), label)


def reading_text(kind: str, value: float | None, unit: str) -> str:
    """A reading as people read it: "36.5 °C", "0.32 MPa", an elevator's state in words."""
    if value is None:
        return "—"
    if kind == SensorKind.ELEVATOR:
        state = ELEVATOR_STATES.get(int(value))
        return str(state) if state is not None else _("code %(code)s") % {"code": f"{value:g}"}
    if kind == SensorKind.DOOR:
        return str(pgettext_lazy("door", "open") if value else pgettext_lazy("door", "closed"))
    return f"{localize(round(value, 3))} {unit}".strip()


def battery_text(battery: int | None) -> str:
    if battery is None:
        return "—"
    if battery < LOW_BATTERY:
        return format_html('<span class="battery low" title="{}">{} %</span>', _("low battery"),
                           battery)
    return format_html('<span class="battery">{} %</span>', battery)
