"""Technological indicators against small fixtures with answers worked out by hand."""
import datetime as dt
import itertools

import pytest
from django.utils import timezone

from resilience.assessment.catalogue import catalogue
from resilience.assessment.tests.test_indicators_data import add_facility, add_residents, add_risk

MINUTES = dt.timedelta(minutes=1)
_codes = itertools.count(1)


def compute(code, world, at=None):
    ids = [world.community_a.pk, world.community_b.pk]
    return catalogue()[code].compute(ids, at or timezone.now())


def sensor(world, *, risk=None, facility=None, active=True):
    from resilience.monitoring.models import Sensor

    n = next(_codes)
    return Sensor.objects.create(community=world.community_a, code=f"s-{n}", name=f"S{n}",
                                 kind="smoke", risk=risk, facility=facility, active=active)


def test_sensor_coverage_of_major_risks_by_risk_or_facility(world):
    room = add_facility(world.community_a, "power_room", "PR1")
    sensor(world, risk=add_risk(world.community_a, "Chargers", "ebike_fire", "major"))
    add_risk(world.community_a, "Power room", "electrical", "high", facility=room)
    sensor(world, facility=room)
    add_risk(world.community_a, "Garage", "garage_flood", "high")
    sensor(world, risk=add_risk(world.community_a, "Boiler", "fire", "high"), active=False)
    sensor(world, risk=add_risk(world.community_a, "Kitchen", "gas", "medium"))
    result = compute("sensor_coverage_major_risks", world)
    assert result[world.community_a.pk].value == 0.5
    assert result[world.community_a.pk].inputs == {"watched": 2, "major_risks": 4}
    assert result[world.community_b.pk].value is None


def test_sensor_uptime_is_the_share_reporting_in_the_last_day(world):
    from resilience.monitoring.models import Observation, Sensor

    now = timezone.now()
    fresh, stale, _silent = sensor(world), sensor(world), sensor(world)
    resting = sensor(world, active=False)
    Sensor.objects.update(created=now - dt.timedelta(days=3))
    Observation.objects.create(sensor=fresh, time=now - 60 * MINUTES, value=1)
    Observation.objects.create(sensor=stale, time=now - 48 * 60 * MINUTES, value=1)
    Observation.objects.create(sensor=resting, time=now - MINUTES, value=1)
    a = compute("sensor_uptime", world)[world.community_a.pk]
    assert a.value == pytest.approx(1 / 3, abs=1e-4)
    assert a.inputs == {"reporting": 1, "sensors": 3}
    two_days_ago = compute("sensor_uptime", world, at=now - 47 * 60 * MINUTES)[world.community_a.pk]
    assert two_days_ago.inputs["reporting"] == 1  # the stale sensor was fresh then


def alert(world, issued, **more):
    from resilience.alerts.models import Alert

    n = next(_codes)
    return Alert.objects.create(community=world.community_a, identifier=f"test-{n}",
                                sender="test", level=3, event_type="rainstorm",
                                headline="Rain", description="Rain", state="issued",
                                issued_at=issued, **more)


def recipient(alert_row, key, *, kind="resident", reached=None, acknowledged=None):
    from resilience.alerts.models import AlertRecipient

    return AlertRecipient.objects.create(alert=alert_row, key=key, kind=kind, reached_at=reached,
                                         acknowledged_at=acknowledged)


@pytest.fixture
def last_alert(world):
    """An alert of last week nobody answered, then the last alert, issued an hour ago: four
    people (acknowledged after 2, 10 and 30 minutes, and never) and a group chat; then an update
    of it, which does not count as an alert of its own."""
    now = timezone.now()
    older = alert(world, now - dt.timedelta(days=7))
    recipient(older, "resident:1")
    issued = now - 60 * MINUTES
    last = alert(world, issued)
    for n, minutes in enumerate((2, 10, 30), start=1):
        recipient(last, f"resident:{n}", reached=issued + MINUTES,
                  acknowledged=issued + minutes * MINUTES)
    recipient(last, "resident:4")
    recipient(last, "endpoint:1", kind="group", reached=issued + MINUTES)
    alert(world, now - 30 * MINUTES, msg_type="Update", references=last)
    return last


def test_median_acknowledgement_counts_the_silent_as_never(world, last_alert):
    result = compute("alert_ack_median_minutes", world)
    a = result[world.community_a.pk]
    assert a.value == 20.0  # median of 2, 10, 30 and never
    assert a.inputs == {"alert": last_alert.pk, "recipients": 4, "acknowledged": 3}
    assert result[world.community_b.pk].value is None
    assert result[world.community_b.pk].inputs["reason"] == "no_alert"


def test_median_acknowledgement_is_a_lower_bound_when_most_are_silent(world, last_alert):
    issued = last_alert.issued_at
    # 15 minutes after issue only one person (after 2 minutes) had acknowledged, of four
    a = compute("alert_ack_median_minutes", world, at=issued + 15 * MINUTES)[world.community_a.pk]
    assert a.value == 15.0 and a.inputs["lower_bound"] == 1 and a.inputs["acknowledged"] == 2
    assert catalogue()["alert_ack_median_minutes"].score(a.value) == 81.82


def test_alert_reach_counts_people_not_group_chats(world, last_alert):
    a = compute("alert_reach", world)[world.community_a.pk]
    assert a.value == 0.75
    assert a.inputs == {"reached": 3, "recipients": 4, "alert": last_alert.pk}


def test_alert_delivery_success_counts_finished_deliveries(world, last_alert):
    from resilience.alerts.models import Delivery

    people = list(last_alert.recipients.order_by("key"))
    Delivery.objects.create(alert=last_alert, recipient=people[1], channel="sms", status="sent")
    Delivery.objects.create(alert=last_alert, recipient=people[1], channel="inapp", status="sent")
    Delivery.objects.create(alert=last_alert, recipient=people[2], channel="sms", status="failed")
    Delivery.objects.create(alert=last_alert, recipient=people[3], channel="sms", status="queued")
    a = compute("alert_delivery_success", world)[world.community_a.pk]
    assert a.value == pytest.approx(2 / 3, abs=1e-4)
    assert a.inputs == {"sent": 2, "deliveries": 3}


def test_residents_with_phone(world):
    add_residents(world.community_a, world.building_a1, 2, phone=False)
    a = compute("residents_with_phone", world)[world.community_a.pk]
    assert a.value == 0.5 and a.inputs == {"with_phone": 2, "residents": 4}
