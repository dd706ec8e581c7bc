"""The demo community's sensors, where a property company and a committee would put them.

Each power distribution room watches its temperature, load current and smoke; the underground
garage its water level (ramp and lowest bay), carbon monoxide and smoke; each e-bike charging shed
its current, smoke and temperature; each gas regulator its gas concentration; every elevator
reports its state and every hydrant its pressure; a third of the buildings (those with a fire risk
in the register first) have combined smoke-and-temperature detectors in the stairwell; one rain
gauge stands by the community centre. Codes are ``<community-code>-<kind>-<nn>``, unique
platform-wide. A sensor belongs to its facility's owner and is linked to the risk source on the
same facility or building. Wireless sensors carry a battery level.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from shapely.geometry import Point, shape

from resilience.core.changelog import log_created
from resilience.monitoring.models import Sensor
from resilience.monitoring.vocab import SensorKind as SK
from resilience.monitoring.vocab import SensorStatus
from resilience.people.models import Organisation
from resilience.people.vocab import OrganisationKind
from resilience.places.models import Building, Facility
from resilience.places.vocab import FacilityKind as FK
from resilience.risks.models import RiskSource

# Facility kind → sensors on it: (kind, name suffix, interval in seconds, wireless)
ON_FACILITY = {
    FK.POWER_ROOM: ((SK.TEMPERATURE, "温度", 60, False), (SK.CURRENT, "低压总进线电流", 60, False),
                    (SK.SMOKE, "烟感", 120, True)),
    FK.UNDERGROUND_GARAGE: ((SK.WATER_LEVEL, "坡道水位", 60, True),
                            (SK.WATER_LEVEL, "最低处水位", 60, True),
                            (SK.CO, "一氧化碳", 60, False), (SK.SMOKE, "烟感", 120, True)),
    FK.EBIKE_CHARGING: ((SK.CURRENT, "充电总电流", 30, False), (SK.SMOKE, "烟感", 60, True),
                        (SK.TEMPERATURE, "温度", 60, True)),
    FK.GAS: ((SK.GAS, "可燃气体浓度", 30, False),),
    FK.ELEVATOR: ((SK.ELEVATOR, "运行状态", 30, False),),
    FK.HYDRANT: ((SK.WATER_PRESSURE, "水压", 300, True),),
}
STAIRWELL = ((SK.SMOKE, "楼道烟感", 120, True), (SK.TEMPERATURE, "楼道温度", 120, True))
RAIN_GAUGE = (SK.RAIN, "雨量计", 300, True)
STAIRWELL_SHARE = 1 / 3  # of the buildings, those with a fire risk first
FIRE_RISKS = ("ebike_fire", "fire")
LOW_BATTERY = 0.05  # share of wireless sensors whose battery is nearly flat


def generate_sensors(community, rng: random.Random, today: dt.date) -> dict[str, int]:
    """Write the sensors of a generated ``community``; return the rows written.

    Reads the community's saved facilities, buildings, organisations and risk sources, so it runs
    after them in the same transaction. The sensors start offline with no reading: the simulator
    (``resilience simulate-sensors``, run by ``resilience demo``) brings them online.
    """
    sensors = SensorPlan(community, rng).build()
    Sensor.objects.bulk_create(sensors)
    log_created(sensors)
    return {"sensors": len(sensors), "rules": len(early_warning_rules(community))}


def early_warning_rules(community) -> list:
    """The community's garage early-warning rules: the flooding forecast (a pre-alarm before
    the 30 cm threshold) and the rainstorm warning joined with rising water."""
    from resilience.monitoring.models import Rule
    from resilience.monitoring.rules.predictive import suggested_rules

    rules = [Rule(community=community, **{k: v for k, v in spec.items() if k != "key"})
             for spec in suggested_rules() if spec["facility_kind"] == FK.UNDERGROUND_GARAGE]
    Rule.objects.bulk_create(rules)
    log_created(rules)
    return rules


class SensorPlan:
    """The community's sensors, unsaved, the same for the same community and random state."""

    def __init__(self, community, rng: random.Random):
        self.community = community
        self.rng = rng
        self.numbers: dict[str, int] = defaultdict(int)
        self.sensors: list[Sensor] = []
        self.area = shape(community.geometry) if community.geometry else None
        self.risk_at: dict[tuple[str, int], int] = {}
        self.flood_risk = None
        risks = RiskSource.objects.filter(community=community).order_by("pk")
        for risk_id, facility_id, building_id, risk_type in risks.values_list(
                "pk", "facility_id", "building_id", "risk_type"):
            if facility_id:
                self.risk_at.setdefault(("f", facility_id), risk_id)
            if building_id and risk_type in FIRE_RISKS:
                self.risk_at.setdefault(("b", building_id), risk_id)
            if risk_type == "flood" and self.flood_risk is None:
                self.flood_risk = risk_id  # the rain gauge watches the waterlogging risk

    def build(self) -> list[Sensor]:
        facilities = (Facility.objects.filter(community=self.community)
                      .order_by("kind", "code"))
        for facility in facilities:
            for spec in ON_FACILITY.get(facility.kind, ()):
                self._add(spec, facility.name, facility.latitude, facility.longitude,
                          grid_id=facility.grid_id, building_id=facility.building_id,
                          facility_id=facility.pk, owner_id=facility.owner_id,
                          risk_id=self.risk_at.get(("f", facility.pk)))
        for building in self._stairwell_buildings():
            for spec in STAIRWELL:
                self._add(spec, building.name, building.latitude, building.longitude,
                          grid_id=building.grid_id, building_id=building.pk,
                          owner_id=building.manager_id,
                          risk_id=self.risk_at.get(("b", building.pk)))
        self._rain_gauge(facilities)
        return self.sensors

    def _stairwell_buildings(self) -> list[Building]:
        buildings = list(Building.objects.filter(community=self.community).order_by("code"))
        at_risk = [b for b in buildings if ("b", b.pk) in self.risk_at]
        others = [b for b in buildings if ("b", b.pk) not in self.risk_at]
        wanted = max(1, round(len(buildings) * STAIRWELL_SHARE))
        chosen = at_risk[:wanted]
        chosen += self.rng.sample(others, min(len(others), wanted - len(chosen)))
        return sorted(chosen, key=lambda b: b.code)

    def _rain_gauge(self, facilities) -> None:
        centre = next((f for f in facilities if f.kind == FK.COMMUNITY_CENTRE), None)
        committee = (Organisation.objects.filter(community=self.community,
                                                 kind=OrganisationKind.COMMITTEE)
                     .values_list("pk", flat=True).first())
        if centre is not None:
            self._add(RAIN_GAUGE, centre.name, centre.latitude, centre.longitude,
                      grid_id=centre.grid_id, facility_id=centre.pk, owner_id=committee,
                      risk_id=self.flood_risk)
        else:
            self._add(RAIN_GAUGE, self.community.name, self.community.latitude,
                      self.community.longitude, owner_id=committee, risk_id=self.flood_risk)

    def _add(self, spec, place: str, latitude, longitude, **links) -> None:
        kind, suffix, interval, wireless = spec
        self.numbers[kind] += 1
        rng = self.rng
        battery = None
        if wireless:
            battery = rng.randint(5, 19) if rng.random() < LOW_BATTERY else rng.randint(45, 100)
        self.sensors.append(Sensor(
            community=self.community,
            code=f"{self.community.code}-{kind.replace('_', '-')}-{self.numbers[kind]:02d}".lower(),
            name=f"{place}{suffix}", kind=kind, interval_seconds=interval,
            **self._near(latitude, longitude),
            status=SensorStatus.OFFLINE, battery=battery, **links))

    def _near(self, latitude: float | None, longitude: float | None) -> dict:
        """A few metres from its place, so the map shows each sensor of a facility; never
        outside the community."""
        if latitude is None or longitude is None:
            return {"latitude": latitude, "longitude": longitude}
        lat = round(latitude + self.rng.uniform(-0.00003, 0.00003), 7)
        lng = round(longitude + self.rng.uniform(-0.00003, 0.00003), 7)
        if self.area is not None and not self.area.contains(Point(lng, lat)):
            lat, lng = latitude, longitude
        return {"latitude": lat, "longitude": lng}
