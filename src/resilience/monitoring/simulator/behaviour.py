"""What a sensor reads on a normal day: the sensors as the simulator sees them, and each one's
behaviour (daily cycles, noise, a little state for charging sheds, showers and elevators)."""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

LOW_BATTERY_DROP = 0.002  # chance per reading that a battery loses a few per cent

# What the elevator's state code means (kind "elevator", unit "code").
ELEVATOR_IDLE, ELEVATOR_MOVING, ELEVATOR_DOORS_OPEN = 0, 1, 2


@dataclass
class SimSensor:
    """What the simulator needs to know of a sensor."""

    code: str
    community: str  # the community's code, for the MQTT topic
    kind: str
    interval: float  # seconds, as configured on the sensor
    role: str = ""  # what it watches: power_room, ebike_charging, underground_garage, stairwell…
    grid_id: int | None = None
    building_id: int | None = None
    facility_id: int | None = None
    battery: int | None = None


@dataclass
class Reading:
    sensor: SimSensor
    time: dt.datetime
    value: float

    def payload(self) -> dict:
        return {"sensor": self.sensor.code, "time": self.time.isoformat(timespec="microseconds"),
                "value": self.value}


def load_sensors(community: str | None = None) -> list[SimSensor]:
    """The active sensors (of the community with this code, or of all), as seen here."""
    from resilience.monitoring.models import Sensor

    queryset = Sensor.objects.filter(active=True).select_related("community", "facility")
    if community:
        queryset = queryset.filter(community__code=community)
    sensors = []
    for s in queryset.order_by("community__code", "code"):
        if s.facility_id:
            role = s.facility.kind
        elif s.building_id:
            role = "stairwell"
        else:
            role = ""
        sensors.append(SimSensor(code=s.code, community=s.community.code, kind=s.kind,
                                 interval=float(s.interval_seconds or 60), role=role,
                                 grid_id=s.grid_id, building_id=s.building_id,
                                 facility_id=s.facility_id, battery=s.battery))
    return sensors


# --- normal behaviour ----------------------------------------------------------------------

def _wave(hour: float, peak: float, period: float = 24.0) -> float:
    """A daily (or other) cycle in [-1, 1] that peaks at ``peak`` o'clock."""
    return math.cos(2 * math.pi * (hour - peak) / period)


def _bump(hour: float, centre: float, width: float) -> float:
    """A bell in [0, 1] around ``centre`` o'clock (wrapping at midnight)."""
    d = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-(d / width) ** 2)


def power_load(hour: float) -> float:
    """A residential feeder's load in [0, 1]: low before dawn, high in the evening."""
    return min(1.0, max(0.0, 0.5 + 0.3 * _wave(hour, 20) + 0.2 * _bump(hour, 12, 2.5)))


def charging_share(hour: float) -> float:
    """Share of e-bike charging ports in use: most from evening to early morning."""
    return 0.15 + 0.75 * max(_bump(hour, 22, 4), _bump(hour, 1, 3))


class Behaviour:
    """The normal readings of one sensor; keeps the little state some kinds need."""

    def __init__(self, sensor: SimSensor, rng: random.Random):
        self.sensor = sensor
        self.rng = rng
        self.offset = rng.gauss(0, 0.6)  # each device reads a little differently
        self.ports = 0.0  # e-bike charging ports in use
        self.rain_until = -1.0
        self.rain = 0.0
        self.elevator = ELEVATOR_IDLE

    def value(self, clock: dt.datetime, elapsed: float) -> float:
        hour = clock.hour + clock.minute / 60 + clock.second / 3600
        season = math.cos(2 * math.pi * (clock.timetuple().tm_yday - 200) / 365)  # +1 in July
        kind, role, rng, noise = self.sensor.kind, self.sensor.role, self.rng, self.rng.gauss
        if kind == "temperature":
            if role == "power_room":
                v = 27 + 4 * season + 2 * _wave(hour, 15) + 4 * power_load(hour) + noise(0, 0.3)
            elif role == "ebike_charging":
                v = 19 + 8 * season + 4 * _wave(hour, 14) + 2 * charging_share(hour) + noise(0, 0.3)
            else:
                v = 19 + 6 * season + 2 * _wave(hour, 15) + noise(0, 0.2)
            return round(v + self.offset, 1)
        if kind == "current":
            if role == "ebike_charging":  # one circuit of the shed: up to 7 chargers of ~1.5 A
                target = 7 * charging_share(hour)
                self.ports += max(-1.0, min(1.0, (target - self.ports) * 0.3 + noise(0, 0.5)))
                self.ports = max(0.0, min(7.0, self.ports))
                return round(max(0.0, round(self.ports) * 1.5 + noise(0, 0.2)), 1)
            load = 220 * power_load(hour) + 15 * season
            return round(140 + load + noise(0, 6) + 3 * self.offset, 1)
        if kind == "smoke":
            return round(abs(noise(0.04, 0.03)), 2)
        if kind == "water_level":
            return round(max(0.0, noise(0.2, 0.15) + self._raining(elapsed, hour) * 0.04), 1)
        if kind == "co":
            rush = max(_bump(hour, 8, 1.2), _bump(hour, 18, 1.5))
            return round(max(0.0, 4 + 22 * rush + noise(0, 1.5)), 1)
        if kind == "gas":
            return round(max(0.0, noise(0.3, 0.15)), 2)
        if kind == "elevator":
            rush = max(_bump(hour, 8, 1.5), _bump(hour, 18.5, 2), 0.4 * _bump(hour, 13, 3))
            busy = 0.1 + 0.6 * rush
            draw = rng.random()
            self.elevator = (ELEVATOR_MOVING if draw < busy else
                             ELEVATOR_DOORS_OPEN if draw < busy + 0.1 else ELEVATOR_IDLE)
            return float(self.elevator)
        if kind == "water_pressure":
            return round(0.32 + 0.03 * _wave(hour, 3) - 0.02 * _bump(hour, 19, 2) + noise(0, 0.004)
                         + self.offset / 100, 3)
        if kind == "rain":
            return round(self._raining(elapsed, hour), 1)
        if kind == "humidity":
            v = 65 + 10 * season - 10 * _wave(hour, 15) + noise(0, 2)
            return round(min(100.0, max(20.0, v)), 1)
        if kind == "voltage":
            return round(230 - 6 * power_load(hour) + noise(0, 1), 1)
        if kind == "tilt":
            return round(noise(0, 0.02) + self.offset / 50, 3)
        return 0.0  # door closed

    def _raining(self, elapsed: float, hour: float) -> float:
        """Now and then a shower: a few mm/h for ten minutes to an hour."""
        if elapsed >= self.rain_until:
            self.rain = 0.0
            if self.rng.random() < 0.01 * (1.5 if 14 <= hour <= 18 else 1):
                self.rain = self.rng.uniform(0.5, 8)
                self.rain_until = elapsed + self.rng.uniform(600, 3600)
        return max(0.0, self.rain + (self.rng.gauss(0, 0.3) if self.rain else 0.0))

    def battery(self) -> int | None:
        """The battery level, now and then a few per cent lower."""
        level = self.sensor.battery
        if level is not None and level > 0 and self.rng.random() < LOW_BATTERY_DROP:
            self.sensor.battery = level = max(0, level - self.rng.randint(1, 3))
        return level
