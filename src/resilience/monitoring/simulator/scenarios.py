"""Scenarios: curves that take over a few sensors to trip the rules (see the package docstring)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from resilience.monitoring.simulator.behaviour import SimSensor

SCENARIOS = ("normal", "fire", "flood", "gas-leak", "power-room-overheat", "offline")
LEAD_IN = 3.0  # scenario seconds of normal readings before the scenario starts
EVENT_INTERVAL = 2.0  # scenario seconds between readings of a sensor caught in a scenario

Curve = Callable[[float, float], "float | None"]  # (scenario seconds, normal value) → value


def ramp(start: float, end: float, seconds: float, delay: float = 0.0) -> Curve:
    """From the normal value towards ``start`` at once, then linearly to ``end`` in ``seconds``."""
    def curve(t: float, normal: float) -> float:
        share = min(1.0, max(0.0, (t - delay) / seconds))
        base = max(normal, start) if t >= delay else normal
        return base + (end - base) * share
    return curve


def scaled(factor: float, seconds: float) -> Curve:
    def curve(t: float, normal: float) -> float:
        return normal * (1 + (factor - 1) * min(1.0, t / seconds))
    return curve


def silent(t: float, normal: float) -> None:
    return None


@dataclass
class Scenario:
    """What a scenario does: a curve per sensor it takes over, and a sentence saying so."""

    name: str
    curves: dict[str, Curve] = field(default_factory=dict)
    description: str = ""


def plan_scenario(name: str, sensors: list[SimSensor]) -> Scenario:
    """The scenario ``name`` on these sensors (on the first place that has what it needs)."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    scenario = Scenario(name)
    if name == "normal":
        return scenario

    def where(role: str, kind: str) -> list[SimSensor]:
        return [s for s in sensors if s.role == role and s.kind == kind]

    if name == "power-room-overheat":
        rooms = where("power_room", "temperature")
        if rooms:
            room = rooms[0].facility_id
            for s in sensors:
                if s.facility_id == room and s.kind == "temperature":
                    scenario.curves[s.code] = ramp(30.0, 72.0, 20.0)
                elif s.facility_id == room and s.kind == "current":
                    scenario.curves[s.code] = scaled(1.35, 15.0)
            scenario.description = (f"power room of {rooms[0].code}: temperature from 30 °C "
                                    f"past 45 °C and 60 °C to 72 °C in 20 s")
    elif name == "fire":
        smoky = where("stairwell", "smoke") or [s for s in sensors if s.kind == "smoke"]
        if smoky:
            target = smoky[0]
            same = [s for s in sensors if (s.building_id and s.building_id == target.building_id)
                    or (s.facility_id and s.facility_id == target.facility_id)]
            for s in same:
                if s.kind == "smoke":
                    scenario.curves[s.code] = ramp(0.5, 30.0, 25.0)
                elif s.kind == "temperature":
                    scenario.curves[s.code] = ramp(22.0, 85.0, 30.0, delay=3.0)
            scenario.description = f"fire at {target.code}: smoke and temperature rising"
    elif name == "flood":
        levels = [s for s in sensors if s.kind == "water_level"]
        for k, s in enumerate(levels):
            scenario.curves[s.code] = ramp(0.5, 40.0, 50.0, delay=8.0 * k)
        for s in sensors:
            if s.kind == "rain":
                scenario.curves[s.code] = ramp(45.0, 70.0, 30.0)
        if levels:
            codes = ", ".join(s.code for s in levels)
            scenario.description = (f"rainstorm: water level of {codes} "
                                    "rising past 10 cm to 40 cm")
    elif name == "gas-leak":
        gas = [s for s in sensors if s.kind == "gas"]
        if gas:
            scenario.curves[gas[0].code] = ramp(1.0, 30.0, 20.0)
            scenario.description = f"gas leak at {gas[0].code}: past 10 %LEL towards 30 %LEL"
    elif name == "offline":
        grids = sorted({s.grid_id for s in sensors if s.grid_id is not None})
        gone = ([s for s in sensors if grids and s.grid_id == grids[0]]
                or sensors[: len(sensors) // 5])
        for s in gone:
            scenario.curves[s.code] = silent
        scenario.description = f"{len(gone)} sensors of one grid go silent (gateway lost)"
    if not scenario.curves:
        scenario.description = "no sensor fits this scenario: normal readings only"
    return scenario
