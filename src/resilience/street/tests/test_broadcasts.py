"""Region-wide warnings: one action gives each chosen community of the region its own alert,
made through the alerts app (issued and fanned out, or held for approval at II and I); nothing
outside the region, nothing half done."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from resilience.alerts import delivery
from resilience.alerts import services as alerts
from resilience.alerts.models import Alert, AlertRecipient
from resilience.alerts.vocab import State
from resilience.core.models import Task as OutboxTask
from resilience.street import broadcasts
from resilience.street.models import Broadcast

RAIN = {"level": 3, "event_type": "rainstorm", "headline": "Rainstorm warning for the street",
        "description": "Heavy rain from 18:00; keep away from the underground garages.",
        "instruction": "Move cars out of the garages."}


@pytest.mark.django_db
def test_the_office_warns_both_communities_of_its_street_in_one_action(world):
    broadcast = broadcasts.issue(world.street, [world.community_a, world.community_b],
                                 by=world.office, **RAIN)
    parts = list(broadcast.alerts.order_by("community__code"))
    assert [a.community for a in parts] == [world.community_a, world.community_b]
    assert all(a.state == State.ISSUED and a.headline == RAIN["headline"] for a in parts)
    assert all(a.created_by == world.office and a.whole_community for a in parts)
    assert not Alert.objects.filter(community=world.community_c).exists()
    # each part fans out through the alerts app as usual: to its own community's people only
    for alert in parts:
        assert OutboxTask.objects.filter(kind=delivery.FAN_OUT, payload__alert=alert.pk).exists()
        delivery.fan_out(alert)
        people = AlertRecipient.objects.filter(alert=alert).exclude(resident=None)
        assert people.exists()
        assert set(people.values_list("resident__community_id", flat=True)) == {
            alert.community_id}


@pytest.mark.django_db
def test_each_community_sees_only_its_own_part(world):
    broadcast = broadcasts.issue(world.street, [world.community_a, world.community_b],
                                 by=world.office, **RAIN)
    part_a = broadcast.alerts.get(community=world.community_a)
    assert list(Alert.objects.visible_to(world.staff_a)) == [part_a]
    assert not Broadcast.objects.visible_to(world.staff_a).exists()
    assert Broadcast.objects.visible_to(world.office).filter(pk=broadcast.pk).exists()


@pytest.mark.django_db
def test_some_communities_only(world):
    broadcast = broadcasts.issue(world.street, [world.community_b], by=world.office, **RAIN)
    assert [a.community for a in broadcast.alerts.all()] == [world.community_b]
    assert not Alert.objects.filter(community=world.community_a).exists()


@pytest.mark.django_db
def test_a_community_outside_the_region_is_refused_and_nothing_is_sent(world):
    with pytest.raises(ValidationError) as info:
        broadcasts.issue(world.street, [world.community_a, world.community_c], by=world.office,
                         **RAIN)
    assert "communities" in info.value.message_dict
    assert not Alert.objects.exists() and not Broadcast.objects.exists()


@pytest.mark.django_db
def test_an_office_cannot_warn_from_a_region_it_does_not_work_for(world):
    with pytest.raises(PermissionDenied):
        broadcasts.issue(world.other_street, [world.community_c], by=world.office, **RAIN)
    with pytest.raises(PermissionDenied):
        broadcasts.issue(world.street, [world.community_a], by=world.staff_a, **RAIN)
    assert not Alert.objects.exists() and not Broadcast.objects.exists()


@pytest.mark.django_db
def test_a_bad_field_names_it_and_sends_nothing(world):
    with pytest.raises(ValidationError) as info:
        broadcasts.issue(world.street, [world.community_a, world.community_b], by=world.office,
                         **{**RAIN, "level": 9})
    assert "level" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        broadcasts.issue(world.street, [], by=world.office, **RAIN)
    assert "communities" in info.value.message_dict
    assert not Alert.objects.exists() and not Broadcast.objects.exists()


@pytest.mark.django_db
def test_orange_and_red_wait_for_approval_by_the_community(world):
    broadcast = broadcasts.issue(world.street, [world.community_a, world.community_b],
                                 by=world.office, **{**RAIN, "level": 2})
    part_a = broadcast.alerts.get(community=world.community_a)
    assert part_a.state == State.PENDING
    with pytest.raises(PermissionDenied):
        alerts.approve(part_a, world.office)  # the author does not approve their own
    alerts.approve(part_a, world.staff_a)
    part_a.refresh_from_db()
    assert part_a.state == State.ISSUED
    assert broadcast.alerts.get(community=world.community_b).state == State.PENDING


@pytest.mark.django_db
def test_relaying_an_upstream_alert_to_the_street(world):
    upstream = alerts.draft(None, world.community_a, source="cap", level=4,
                            event_type="rainstorm", headline="District rainstorm blue warning",
                            description="From the district weather office.")
    broadcast = broadcasts.relay(upstream, [world.community_a, world.community_b],
                                 by=world.office)
    assert broadcast.source == upstream and broadcast.region == world.street
    parts = {a.community_id: a for a in broadcast.alerts.all()}
    assert parts[world.community_a.pk] == upstream  # its own community keeps the source…
    upstream.refresh_from_db()
    assert upstream.state == State.ISSUED  # …and the draft went out with the others
    relayed = parts[world.community_b.pk]
    assert relayed.headline == upstream.headline and relayed.state == State.ISSUED
    rows = broadcasts.ack_rates(broadcast)
    assert [r["community"] for r in rows] == [world.community_a, world.community_b]


@pytest.mark.django_db
def test_relaying_outside_the_office_region_is_refused(world):
    upstream = alerts.draft(None, world.community_a, level=4, event_type="rainstorm",
                            headline="District warning", description="…")
    with pytest.raises(ValidationError) as info:
        broadcasts.relay(upstream, [world.community_b, world.community_c], by=world.office)
    assert "communities" in info.value.message_dict
    assert Alert.objects.count() == 1 and not Broadcast.objects.exists()


@pytest.mark.django_db
def test_ack_rates_count_each_communitys_people(world):
    broadcast = broadcasts.issue(world.street, [world.community_a, world.community_b],
                                 by=world.office, **RAIN)
    for alert in broadcast.alerts.all():
        delivery.fan_out(alert)
    part_a = broadcast.alerts.get(community=world.community_a)
    first = AlertRecipient.objects.filter(alert=part_a).exclude(resident=None).first()
    delivery.acknowledge(first, "web")
    rows = {r["community"].pk: r for r in broadcasts.ack_rates(broadcast)}
    assert rows[world.community_a.pk]["acknowledged"] == 1
    assert rows[world.community_b.pk]["acknowledged"] == 0
    assert rows[world.community_a.pk]["rate"] > 0
