"""The lifecycle of an alert: every illegal step refused, approval by someone else, update/cancel."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from resilience.alerts import services
from resilience.alerts.models import Alert
from resilience.alerts.services import TransitionError
from resilience.alerts.vocab import MessageType, State


def make(world, user=None, level=3, **fields):
    fields = {"level": level, "event_type": "rainstorm", "headline": "暴雨预警",
              "description": "强降雨", **fields}
    return services.draft(user or world.staff_a, world.community_a, **fields)


def actions(alert) -> list[str]:
    return list(alert.events.values_list("action", flat=True))


def test_draft_gets_a_stable_unique_identifier_and_the_community_sender(world):
    first, second = make(world), make(world)
    assert first.identifier.startswith("comm-a-") and first.identifier != second.identifier
    assert first.sender.startswith("comm-a@")
    assert first.state == State.DRAFT and first.created_by == world.staff_a
    assert actions(first) == ["drafted"]
    services.submit(first, world.staff_a)
    first.refresh_from_db()
    assert first.identifier == Alert.objects.get(pk=first.pk).identifier


def test_a_user_without_add_cannot_draft(world):
    with pytest.raises(PermissionDenied):
        make(world, user=world.grid_worker_a1)
    with pytest.raises(PermissionDenied):
        services.draft(world.staff_b, world.community_a, level=3, event_type="fire",
                       headline="x", description="y")
    assert not Alert.objects.exists()


def test_blue_and_yellow_are_issued_on_submit(world):
    alert = services.submit(make(world, level=3), world.staff_a)
    assert alert.state == State.ISSUED and alert.issued_at
    assert actions(alert) == ["drafted", "issued"]


def test_orange_and_red_wait_for_approval(world):
    alert = services.submit(make(world, level=2), world.staff_a)
    assert alert.state == State.PENDING
    with pytest.raises(TransitionError):
        services.issue(make(world, level=1), world.staff_a)  # a red draft cannot skip approval


def test_office_approves_a_red_alert_written_by_staff(world):
    alert = services.submit(make(world, level=1), world.staff_a)
    services.approve(alert, world.office)
    alert.refresh_from_db()
    assert alert.state == State.ISSUED and alert.approved_by == world.office
    assert actions(alert) == ["drafted", "submitted", "approved", "issued"]


def test_grid_worker_cannot_approve(world):
    alert = services.submit(make(world, level=1), world.staff_a)
    with pytest.raises(PermissionDenied):
        services.approve(alert, world.grid_worker_a1)
    assert Alert.objects.get(pk=alert.pk).state == State.PENDING


def test_author_cannot_approve_own_red_alert_but_a_superuser_can(world):
    alert = services.submit(make(world, level=1), world.staff_a)
    with pytest.raises(PermissionDenied):
        services.approve(alert, world.staff_a)
    with pytest.raises(PermissionDenied):
        services.issue(alert, world.staff_a)  # issuing a pending alert is approving it
    own = services.submit(make(world, user=world.admin, level=1), world.admin)
    assert services.approve(own, world.admin).state == State.ISSUED


def test_staff_of_another_community_cannot_approve(world):
    alert = services.submit(make(world, level=2), world.staff_a)
    with pytest.raises(PermissionDenied):
        services.approve(alert, world.staff_b)


@pytest.mark.parametrize("state", [State.PENDING, State.ISSUED, State.CANCELLED, State.EXPIRED])
def test_submit_is_refused_unless_draft(world, state):
    alert = make(world)
    Alert.objects.filter(pk=alert.pk).update(state=state)
    alert.refresh_from_db()
    with pytest.raises(TransitionError) as exc:
        services.submit(alert, world.staff_a)
    assert exc.value.from_state == state


@pytest.mark.parametrize("state", [State.DRAFT, State.ISSUED, State.CANCELLED, State.EXPIRED])
def test_approve_is_refused_unless_pending(world, state):
    alert = make(world, level=1)
    Alert.objects.filter(pk=alert.pk).update(state=state)
    alert.refresh_from_db()
    with pytest.raises(TransitionError):
        services.approve(alert, world.office)


@pytest.mark.parametrize("state", [State.ISSUED, State.CANCELLED, State.EXPIRED])
def test_issue_is_refused_from_a_final_or_issued_state(world, state):
    alert = make(world)
    Alert.objects.filter(pk=alert.pk).update(state=state)
    alert.refresh_from_db()
    with pytest.raises(TransitionError):
        services.issue(alert, world.staff_a)


@pytest.mark.parametrize("state", [State.DRAFT, State.PENDING, State.CANCELLED, State.EXPIRED])
def test_update_is_refused_unless_issued(world, state):
    alert = make(world)
    Alert.objects.filter(pk=alert.pk).update(state=state)
    alert.refresh_from_db()
    with pytest.raises(TransitionError):
        services.update(alert, world.staff_a, headline="new")


@pytest.mark.parametrize("state", [State.CANCELLED, State.EXPIRED])
def test_cancel_is_refused_when_already_over(world, state):
    alert = make(world)
    Alert.objects.filter(pk=alert.pk).update(state=state)
    alert.refresh_from_db()
    with pytest.raises(TransitionError):
        services.cancel(alert, world.staff_a, "no")


def test_transition_error_names_both_states(world):
    alert = services.submit(make(world), world.staff_a)
    with pytest.raises(TransitionError) as exc:
        services.submit(alert, world.staff_a)
    assert "issued" in exc.value.messages[0] and exc.value.to_state == State.ISSUED


def test_update_references_the_original_which_stays_readable(world):
    original = services.submit(make(world, level=3), world.staff_a)
    new = services.update(original, world.staff_a, headline="暴雨预警升级", level=3)
    assert new.msg_type == MessageType.UPDATE and new.references == original
    assert new.state == State.ISSUED and new.identifier != original.identifier
    original.refresh_from_db()
    assert original.state == State.ISSUED and original.headline == "暴雨预警"
    assert "superseded" in actions(original)


def test_an_update_to_red_needs_approval(world):
    original = services.submit(make(world, level=3), world.staff_a)
    new = services.update(original, world.staff_a, level=1)
    assert new.state == State.PENDING
    assert services.approve(new, world.office).state == State.ISSUED


def test_update_keeps_the_area(world):
    original = services.submit(make(world, area_buildings=[world.building_a1]), world.staff_a)
    new = services.update(original, world.staff_a, headline="更新")
    assert list(new.area_buildings.all()) == [world.building_a1] and not new.whole_community


def test_cancel_issues_a_cancel_message_and_cancels_the_original(world):
    original = services.submit(make(world, level=3), world.staff_a)
    message = services.cancel(original, world.staff_a, "解除")
    assert message.msg_type == MessageType.CANCEL and message.references == original
    assert message.state == State.ISSUED
    original.refresh_from_db()
    assert original.state == State.CANCELLED and original.cancelled_at
    with pytest.raises(TransitionError):
        services.update(original, world.staff_a, headline="x")


def test_cancelling_a_draft_withdraws_it(world):
    alert = make(world)
    assert services.cancel(alert, world.staff_a, "mistake") == alert
    assert alert.state == State.CANCELLED and "withdrawn" in actions(alert)


def test_grid_worker_cannot_cancel(world):
    alert = services.submit(make(world), world.staff_a)
    with pytest.raises(PermissionDenied):
        services.cancel(alert, world.grid_worker_a1, "no")


def test_expire_due_expires_only_issued_alerts_past_their_end(world):
    now = timezone.now()
    due = services.submit(make(world, expires=now + dt.timedelta(hours=1)), world.staff_a)
    later = services.submit(make(world, expires=now + dt.timedelta(days=2)), world.staff_a)
    draft = make(world, expires=now + dt.timedelta(hours=1))
    assert services.expire_due(now + dt.timedelta(hours=2)) == 1
    assert Alert.objects.get(pk=due.pk).state == State.EXPIRED
    assert Alert.objects.get(pk=later.pk).state == State.ISSUED
    assert Alert.objects.get(pk=draft.pk).state == State.DRAFT
    assert "expired" in actions(due)
    assert services.expire_due(now + dt.timedelta(hours=2)) == 0


def test_every_step_is_change_logged_as_the_user(world):
    from django.contrib.contenttypes.models import ContentType

    from resilience.core.models import ChangeLogEntry

    alert = services.submit(make(world, level=1), world.staff_a)
    services.approve(alert, world.office)
    entries = ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Alert), object_id=alert.pk)
    assert {e.user_id for e in entries} == {world.staff_a.pk, world.office.pk}
