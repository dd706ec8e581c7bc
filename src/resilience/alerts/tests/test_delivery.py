"""Fan-out, sending, acknowledgements and follow-up tasks (the channel behind ``sms`` here is an
in-process recorder; the real adapters and the fake gateway are tested in test_channels_*)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from resilience.alerts import channels, delivery, services
from resilience.alerts.channels.base import Channel, PermanentFailure, TemporaryFailure
from resilience.alerts.models import AlertRecipient, Delivery
from resilience.alerts.vocab import AckMethod, DeliveryStatus
from resilience.core.models import Task as OutboxTask
from resilience.response.models import Task


class Recorder(Channel):
    """Records sends; ``script`` lists what each call does: "ok", "temp" or "perm"."""

    name = "sms"
    batch = 10

    def __init__(self, script=()):
        self.sent: list[tuple[str, str]] = []
        self.calls = 0
        self.script = list(script)

    def send(self, delivery, message):
        self.calls += 1
        what = self.script.pop(0) if self.script else "ok"
        if what == "temp":
            raise TemporaryFailure("gateway answered 503")
        if what == "perm":
            raise PermanentFailure("gateway refused the number")
        self.sent.append((delivery.ref, message.text))
        return f"gw-{len(self.sent)}"


@pytest.fixture
def recorder(settings):
    settings.RESILIENCE_ALERT_CHANNELS = ["inapp", "sms"]
    channels.reset()
    rec = Recorder()
    channels._instances["sms"] = rec
    yield rec
    channels.reset()


def issued(world, **fields):
    fields = {"level": 3, "event_type": "fire", "headline": "火警", "description": "3号楼起火",
              "instruction": "请沿楼梯撤离", **fields}
    alert = services.draft(world.staff_a, world.community_a, **fields)
    return services.submit(alert, world.staff_a)


def test_issue_queues_the_fan_out_in_the_same_transaction(world, recorder):
    alert = issued(world)
    assert OutboxTask.objects.filter(kind=delivery.FAN_OUT, key=f"fan-out:{alert.pk}").exists()


def test_fan_out_writes_one_recipient_per_person_and_one_delivery_per_channel(world, recorder):
    resident = world.resident_a1
    resident.user = world.users["resident_a1"]
    resident.save()
    alert = issued(world)
    queued = delivery.fan_out(alert)
    rows = AlertRecipient.objects.filter(alert=alert)
    assert rows.filter(kind="resident").count() == 2
    a1 = rows.get(resident=resident, kind="resident")
    assert a1.vulnerable and a1.priority < rows.get(resident=world.resident_a2).priority
    assert set(a1.deliveries.values_list("channel", flat=True)) == {"inapp", "sms"}
    assert set(rows.get(resident=world.resident_a2).deliveries.values_list(
        "channel", flat=True)) == {"sms"}  # no account: SMS only
    assert queued == Delivery.objects.filter(alert=alert).count()
    assert delivery.fan_out(alert) == 0  # a second run adds nobody
    assert AlertRecipient.objects.filter(alert=alert).count() == rows.count()
    assert OutboxTask.objects.filter(kind=delivery.SEND, payload__channel="sms").exists()


def test_a_draft_is_not_fanned_out(world, recorder):
    alert = services.draft(world.staff_a, world.community_a, level=2, event_type="fire",
                           headline="h", description="d")
    assert delivery.fan_out(alert) == 0


def test_sending_marks_sent_reached_and_uses_the_recipient_language(world, recorder):
    world.resident_a2.language = "en"
    world.resident_a2.save()
    alert = issued(world, headline_en="Fire", description_en="Fire in building 3")
    delivery.fan_out(alert)
    counts = delivery.send_due("sms", "w1")
    # residents A1 and A2, and volunteer A, who lives near A1 (elderly, alone)
    assert counts["sent"] == 3 and not counts["failed"]
    texts = dict(recorder.sent)
    a2 = AlertRecipient.objects.get(alert=alert, resident=world.resident_a2, kind="resident")
    assert "Fire" in texts[f"{a2.token}.sms"] and a2.token in texts[f"{a2.token}.sms"]
    a1 = AlertRecipient.objects.get(alert=alert, resident=world.resident_a1, kind="resident")
    assert "火警" in texts[f"{a1.token}.sms"]
    assert a2.reached_at is not None
    assert Delivery.objects.get(recipient=a2, channel="sms").provider_ref.startswith("gw-")
    assert delivery.send_due("sms", "w1")["sent"] == 0  # nothing sent twice


def test_vulnerable_residents_are_sent_first(world, recorder):
    alert = issued(world)
    delivery.fan_out(alert)
    delivery.send_due("sms", "w1")
    first = AlertRecipient.objects.get(token=recorder.sent[0][0].split(".")[0])
    assert first.vulnerable


def test_a_temporary_failure_is_retried_with_back_off_then_sent(world, recorder):
    recorder.script = ["temp"]
    alert = issued(world)
    delivery.fan_out(alert)
    counts = delivery.send_due("sms", "w1")
    assert counts["retried"] == 1 and counts["sent"] == 2
    waiting = Delivery.objects.get(alert=alert, channel="sms", status=DeliveryStatus.QUEUED)
    assert waiting.next_attempt_at > timezone.now() and "503" in waiting.last_error
    later = lambda: timezone.now() + dt.timedelta(minutes=10)  # noqa: E731
    assert delivery.send_due("sms", "w1", clock=later)["sent"] == 1
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.SENT and waiting.attempts == 2


def test_a_permanent_failure_fails_at_once_with_the_reason(world, recorder):
    recorder.script = ["perm"]
    alert = issued(world)
    delivery.fan_out(alert)
    delivery.send_due("sms", "w1")
    failed = Delivery.objects.get(alert=alert, status=DeliveryStatus.FAILED)
    assert failed.last_error == "gateway refused the number" and failed.attempts == 1


def test_a_dead_channel_backs_off_as_a_whole_without_spending_attempts(world, recorder):
    for n in range(6):
        from resilience.alerts.tests.test_targeting import add_resident
        add_resident(world, world.building_a1, f"Extra {n}", serial=60 + n)
    recorder.script = ["temp"] * 50
    alert = issued(world)
    delivery.fan_out(alert)
    counts = delivery.send_due("sms", "w1")
    assert recorder.calls == delivery.TRIP_AFTER  # the rest of the batch was not tried
    sms = Delivery.objects.filter(alert=alert, channel="sms")
    assert counts["deferred"] == sms.count() - delivery.TRIP_AFTER
    untried = sms.filter(attempts=0)
    assert untried.count() == counts["deferred"]
    assert all(d.next_attempt_at > timezone.now() for d in untried)


def test_a_delivery_gives_up_after_its_attempts(world, recorder):
    recorder.script = ["temp"] * 100
    recorder.max_attempts = 2
    alert = issued(world, area_buildings=[world.building_a2])
    delivery.fan_out(alert)
    clock = timezone.now()
    for _ in range(3):
        clock += dt.timedelta(hours=1)
        delivery.send_due("sms", "w1", clock=lambda: clock)
    d = Delivery.objects.get(alert=alert, channel="sms")
    assert d.status == DeliveryStatus.FAILED and "gave up after 2 attempts" in d.last_error


def test_an_abandoned_send_is_taken_up_again_with_the_same_idempotency_key(world, recorder):
    alert = issued(world, area_buildings=[world.building_a2])
    delivery.fan_out(alert)
    now = timezone.now()
    claimed = delivery.claim("sms", "dead-worker", 10, now)
    assert len(claimed) == 1  # the worker dies here, after claiming
    assert delivery.send_due("sms", "w2")["sent"] == 0  # leased: not taken while the lease runs
    later = lambda: now + delivery.LEASE + dt.timedelta(seconds=1)  # noqa: E731
    assert delivery.send_due("sms", "w2", clock=later)["sent"] == 1
    assert recorder.sent[0][0] == claimed[0].ref


def test_in_app_deliveries_are_marked_sent_in_one_go(world, recorder):
    world.resident_a1.user = world.users["resident_a1"]
    world.resident_a1.save()
    alert = issued(world)
    delivery.fan_out(alert)
    assert delivery.send_due("inapp", "w1")["sent"] == Delivery.objects.filter(
        alert=alert, channel="inapp").count() > 0
    assert not Delivery.objects.filter(alert=alert, channel="inapp").exclude(
        status=DeliveryStatus.SENT).exists()


def test_the_first_acknowledgement_counts(world, recorder):
    alert = issued(world)
    delivery.fan_out(alert)
    r = AlertRecipient.objects.get(alert=alert, resident=world.resident_a2, kind="resident")
    assert delivery.acknowledge(r, AckMethod.LINK)
    assert not delivery.acknowledge(r, AckMethod.CALL, by=world.staff_a, needs_help=True)
    r.refresh_from_db()
    assert r.ack_method == AckMethod.LINK and r.needs_help and r.reached_at is not None


def test_an_unacknowledged_vulnerable_resident_gets_a_follow_up_task_once(world, recorder):
    alert = issued(world)
    delivery.fan_out(alert)
    assert delivery.follow_up(timezone.now()) == 0  # not yet: the level's time has not passed
    later = timezone.now() + dt.timedelta(minutes=delivery.FOLLOW_UP_MINUTES[3] + 1)
    assert delivery.follow_up(later) == 1  # resident A1 (elderly alone); A2 is not vulnerable
    assert delivery.follow_up(later) == 0
    task = Task.objects.get(alert=alert)
    assert task.resident == world.resident_a1
    assert task.assignee == world.users["grid_worker_a1"]  # the grid worker of A1's grid
    r = AlertRecipient.objects.get(alert=alert, resident=world.resident_a1, kind="resident")
    delivery.acknowledge(r, AckMethod.VISIT, by=world.users["grid_worker_a1"])
    task.refresh_from_db()
    assert task.status == "done" and "Resident A1" in task.outcome


def test_the_board_counts_by_grid_and_building(world, recorder):
    alert = issued(world)
    delivery.fan_out(alert)
    delivery.send_due("sms", "w1")
    r = AlertRecipient.objects.get(alert=alert, resident=world.resident_a2, kind="resident")
    delivery.acknowledge(r, AckMethod.LINK)
    counts = delivery.board(alert)
    totals = counts["totals"]
    assert totals["acknowledged"] == 1 and totals["vulnerable_total"] == 1
    assert totals["reached"] <= totals["total"]
    by_building = {b["building__name"]: b for b in counts["buildings"]}
    assert by_building["Building A2"]["acknowledged"] == 1
    assert counts["buildings"][0]["vulnerable_open"] == 1  # the unacknowledged vulnerable on top
