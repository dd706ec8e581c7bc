"""The seam with monitoring: a rule with auto_alert drafts (or issues) one alert per alarm."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from resilience.alerts import services
from resilience.alerts.models import Alert
from resilience.alerts.vocab import MessageType, Source, State
from resilience.monitoring.alarms import escalate, open_alarm
from resilience.monitoring.models import Rule, Sensor

PARAMS = {"op": "above", "value": 25, "clear": 20}


@pytest.fixture
def smoke(world):
    return Sensor.objects.create(community=world.community_a, grid=world.grid_a1,
                                 building=world.building_a1, code="smoke-a", name="Stairwell smoke",
                                 kind="smoke")


@pytest.fixture
def shelter_gas(world):
    return Sensor.objects.create(community=world.community_a, facility=world.shelter_a,
                                 code="gas-s", name="Shelter gas", kind="gas")


def rule(world, level, auto=True, kind="smoke"):
    return Rule.objects.create(community=world.community_a, sensor_kind=kind, name="Smoke",
                               kind="threshold", params=PARAMS, level=level, auto_alert=auto)


def raise_alarm(sensor, rule_, level, capture):
    with capture(execute=True):
        alarm, _ = open_alarm(community_id=sensor.community_id, sensor_id=sensor.pk,
                              rule_id=rule_.pk, level=level, message="smoke 40 dB/m", value=40,
                              at=timezone.now())
    return alarm


def test_auto_alert_issues_a_yellow_alert_for_the_sensors_building_once(
        world, smoke, django_capture_on_commit_callbacks):
    r = rule(world, 3)
    alarm = raise_alarm(smoke, r, 3, django_capture_on_commit_callbacks)
    alert = Alert.objects.get(alarm=alarm)
    assert alert.state == State.ISSUED and alert.source == Source.ALARM and alert.level == 3
    assert alert.event_type == "fire" and not alert.whole_community
    assert list(alert.area_buildings.all()) == [world.building_a1]
    assert alert.headline and alert.headline_en and alert.created_by is None
    raise_alarm(smoke, r, 3, django_capture_on_commit_callbacks)  # the same alarm again
    assert Alert.objects.filter(alarm=alarm).count() == 1


def test_auto_alert_for_an_orange_alarm_waits_for_approval(
        world, smoke, django_capture_on_commit_callbacks):
    alarm = raise_alarm(smoke, rule(world, 2), 2, django_capture_on_commit_callbacks)
    alert = Alert.objects.get(alarm=alarm)
    assert alert.state == State.PENDING
    assert services.approve(alert, world.staff_a).state == State.ISSUED


def test_without_auto_alert_nothing_is_drafted(world, smoke, django_capture_on_commit_callbacks):
    raise_alarm(smoke, rule(world, 2, auto=False), 2, django_capture_on_commit_callbacks)
    assert not Alert.objects.exists()


def test_an_alarm_raised_to_a_higher_level_updates_its_issued_alert(
        world, smoke, django_capture_on_commit_callbacks):
    alarm = raise_alarm(smoke, rule(world, 3), 3, django_capture_on_commit_callbacks)
    first = Alert.objects.get(alarm=alarm)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate(alarm, 1)
    update = Alert.objects.get(alarm=alarm, msg_type=MessageType.UPDATE)
    assert update.references == first and update.level == 1 and update.state == State.PENDING
    assert Alert.objects.filter(alarm=alarm).count() == 2


def test_an_alarm_raised_higher_changes_its_pending_alert(
        world, smoke, django_capture_on_commit_callbacks):
    alarm = raise_alarm(smoke, rule(world, 2), 2, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        escalate(alarm, 1)
    alert = Alert.objects.get(alarm=alarm)
    assert alert.level == 1 and alert.state == State.PENDING
    assert "level raised" in alert.events.values_list("action", flat=True)


def test_a_facility_sensor_targets_a_small_circle(world, shelter_gas,
                                                  django_capture_on_commit_callbacks):
    alarm = raise_alarm(shelter_gas, rule(world, 3, kind="gas"), 3,
                        django_capture_on_commit_callbacks)
    alert = Alert.objects.get(alarm=alarm)
    assert alert.area_circle.endswith(" 0.05") and alert.area_geometry
    assert alert.event_type == "gas"


def test_the_button_drafts_from_the_alarm_with_overrides_and_only_once(
        world, smoke, django_capture_on_commit_callbacks):
    alarm = raise_alarm(smoke, rule(world, 3, auto=False), 3, django_capture_on_commit_callbacks)
    alert = services.alert_from_alarm(alarm, world.staff_a, level=2, audience="vulnerable")
    assert alert.state == State.DRAFT and alert.level == 2 and alert.audience == "vulnerable"
    assert alert.created_by == world.staff_a and alert.alarm == alarm
    assert services.alert_from_alarm(alarm, world.staff_a) == alert


def test_the_button_needs_permission_to_add_alerts(world, smoke,
                                                   django_capture_on_commit_callbacks):
    alarm = raise_alarm(smoke, rule(world, 3, auto=False), 3, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.alert_from_alarm(alarm, world.grid_worker_a1)
