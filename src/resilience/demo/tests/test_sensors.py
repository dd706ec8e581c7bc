"""The demo community's sensors: where a property company would put them, owned, linked to their
risk, unique platform-wide, logged, and the same every time."""
from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from shapely.geometry import Point, shape

from resilience.core.models import ChangeLogEntry
from resilience.demo.generator import generate
from resilience.demo.sensors import SensorPlan
from resilience.monitoring.models import Sensor
from resilience.places.models import Building, Community, Facility

TODAY = dt.date(2025, 6, 1)
WIRELESS = {"smoke", "water_level", "water_pressure", "rain"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            counts = generate(communities=1, seed=1, today=TODAY)
            yield counts
            transaction.set_rollback(True)


def kinds_on(facility: Facility) -> Counter:
    return Counter(Sensor.objects.filter(facility=facility).values_list("kind", flat=True))


def test_the_count_is_reported_and_every_sensor_logged(db, demo):
    sensors = Sensor.objects.all()
    assert demo["sensors"] == sensors.count()
    assert 100 <= demo["sensors"] <= 200
    created = ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Sensor), action="create")
    assert created.count() == demo["sensors"]


def test_each_facility_has_the_sensors_it_needs(db, demo):
    expected = {
        "power_room": Counter(temperature=1, current=1, smoke=1),
        "underground_garage": Counter(water_level=2, co=1, smoke=1),
        "ebike_charging": Counter(current=1, smoke=1, temperature=1),
        "gas": Counter(gas=1),
        "elevator": Counter(elevator=1),
        "hydrant": Counter(water_pressure=1),
    }
    for kind, wanted in expected.items():
        facilities = list(Facility.objects.filter(kind=kind))
        assert facilities, kind
        for facility in facilities:
            assert kinds_on(facility) == wanted, (kind, facility.code)
    assert Sensor.objects.filter(kind="rain").count() == 1


def test_a_third_of_the_buildings_have_stairwell_detectors_those_at_fire_risk_first(db, demo):
    stairwell = Sensor.objects.filter(facility__isnull=True, building__isnull=False)
    buildings = set(stairwell.values_list("building", flat=True))
    assert len(buildings) == round(Building.objects.count() / 3)
    for building in buildings:
        assert Counter(stairwell.filter(building=building).values_list("kind", flat=True)) == \
            Counter(smoke=1, temperature=1)
    at_risk = set(Building.objects.filter(risks__risk_type__in=("ebike_fire", "fire"))
                  .values_list("pk", flat=True))
    assert at_risk and at_risk <= buildings


def test_codes_are_unique_and_named_after_community_and_kind(db, demo):
    community = Community.objects.get()
    for sensor in Sensor.objects.all():
        assert re.fullmatch(rf"{community.code}-{sensor.kind.replace('_', '-')}-\d\d", sensor.code)
    assert Sensor.objects.values("code").distinct().count() == Sensor.objects.count()


def test_owner_interval_battery_and_risk_follow_the_facility(db, demo):
    for sensor in Sensor.objects.select_related("facility", "building"):
        assert 30 <= sensor.interval_seconds <= 300
        assert (sensor.battery is not None) == (sensor.kind in WIRELESS or (
            sensor.facility is None and sensor.building is not None)
            or (sensor.facility is not None and sensor.facility.kind == "ebike_charging"
                and sensor.kind != "current")), sensor.code
        if sensor.battery is not None:
            assert 0 <= sensor.battery <= 100
        if sensor.facility is not None:
            assert sensor.owner_id == sensor.facility.owner_id
            assert sensor.grid_id == sensor.facility.grid_id
            if sensor.kind == "rain":  # by the community centre, watching the waterlogging
                assert sensor.risk.risk_type == "flood"
            else:
                risk = sensor.facility.risks.order_by("pk").first()
                assert sensor.risk_id == (risk.pk if risk else None), sensor.code
        assert sensor.status == "offline" and sensor.last_time is None and sensor.active
    linked = Sensor.objects.filter(kind="temperature", facility__kind="power_room",
                                   risk__risk_type="electrical")
    assert linked.count() == Facility.objects.filter(kind="power_room").count()


def test_sensors_stand_inside_the_community(db, demo):
    area = shape(Community.objects.get().geometry)
    for latitude, longitude in Sensor.objects.values_list("latitude", "longitude"):
        assert area.contains(Point(longitude, latitude))


def test_the_same_random_state_gives_the_same_sensors(db, demo):
    community = Community.objects.get()
    first = SensorPlan(community, random.Random("same")).build()
    second = SensorPlan(community, random.Random("same")).build()

    def rows(sensors):
        return [(s.code, s.name, s.kind, s.interval_seconds, s.battery, s.latitude, s.longitude,
                 s.facility_id, s.building_id, s.risk_id, s.owner_id) for s in sensors]
    assert rows(first) == rows(second)
