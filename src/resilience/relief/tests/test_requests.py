"""Requests: filing in scope, the state machine with events, delivery against stock, targets,
priorities recomputed in bulk, overdue escalation once."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from resilience.relief import ledger, services
from resilience.relief.priority import explain
from resilience.relief import requests as service
from resilience.relief.models import DispatchBatch, NeedRequest, RequestEvent, StockLot
from resilience.relief.tests.requests_helpers import food, media  # noqa: F401
from resilience.relief.tests.supplies_helpers import days, item, warehouse
from resilience.relief.vocab import NeedKind, RequestStatus, Urgency, VisitReason

S = RequestStatus


@pytest.fixture
def held(world):
    """A food request of household A1, assigned to volunteer A (who has an account)."""
    request = food(world)
    service.assign(request, world.staff_a, world.volunteer_a)
    return request


def statuses(request) -> list[str]:
    return list(RequestEvent.objects.filter(request=request).values_list("status", flat=True))


def test_resident_files_for_own_household_with_target_and_priority(world):
    request = food(world, world.users["resident_a1"], urgency=Urgency.HIGH)
    assert request.status == S.OPEN and request.building == world.building_a1
    assert request.grid == world.grid_a1
    assert abs((request.due_at - request.created).total_seconds() - 24 * 3600) < 60
    assert request.priority > 0
    assert "resident: elderly living alone (+10)" in explain(request.priority_reasons)
    assert statuses(request) == [S.OPEN]


def test_resident_cannot_file_for_another_household(world):
    with pytest.raises(PermissionDenied):
        food(world, world.users["resident_a1"], household=world.household_a2)
    assert not NeedRequest.objects.exists()


def test_grid_worker_files_in_grid_only(world):
    assert food(world, world.grid_worker_a1).household == world.household_a1
    with pytest.raises(PermissionDenied):
        food(world, world.grid_worker_a1, household=world.household_a2)
    assert NeedRequest.objects.count() == 1


def test_staff_of_b_cannot_file_in_a(world):
    with pytest.raises(PermissionDenied):
        food(world, world.staff_b)


def test_bad_fields_are_named(world):
    with pytest.raises(ValidationError) as err:
        service.file_request(world.staff_a, household=world.household_a1,
                             kind=NeedKind.MEDICAL_VISIT)
    assert "visit_reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        service.file_request(world.staff_a, household=world.household_a1, kind=NeedKind.MEDICINE)
    assert "medicine" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        service.file_request(world.staff_a, household=None, kind=NeedKind.FOOD)
    assert "household" in err.value.message_dict
    assert not NeedRequest.objects.exists()


def test_targets_follow_the_kind_and_visit_reason(settings):
    assert service.target_hours(NeedKind.MEDICAL_VISIT, VisitReason.EMERGENCY) == 1
    assert service.target_hours(NeedKind.MEDICAL_VISIT, VisitReason.DIALYSIS) == 4
    assert service.target_hours(NeedKind.PSYCHOLOGICAL) == 48
    settings.RESILIENCE_RELIEF_TARGET_HOURS = {"food": 6}
    assert service.target_hours(NeedKind.FOOD) == 6


def test_the_happy_path_writes_one_event_per_step(world, held):
    volunteer = world.users["volunteer_a"]
    service.pick_up(held, volunteer)
    service.deliver(held, volunteer, note="left at the door, neighbour took it")
    held.refresh_from_db()
    assert held.status == S.FULFILLED and held.closed_at is not None
    assert statuses(held) == [S.OPEN, S.ASSIGNED, S.IN_DELIVERY, S.FULFILLED]


def test_delivery_needs_a_photo_or_a_note(world, held):
    with pytest.raises(ValidationError) as err:
        service.deliver(held, world.users["volunteer_a"], note="  ")
    assert "proof" in err.value.message_dict
    photo = SimpleUploadedFile("door.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png")
    service.deliver(held, world.users["volunteer_a"], photo=photo)
    held.refresh_from_db()
    assert held.status == S.FULFILLED and held.proof.name


def test_illegal_transitions_are_refused(world):
    request = food(world)
    with pytest.raises(ValidationError) as err:
        service.deliver(request, world.staff_a, note="x")
    assert "status" in err.value.message_dict
    with pytest.raises(ValidationError):
        service.pick_up(request, world.staff_a)
    service.cannot_fulfil(request, world.staff_a, "moved away")
    with pytest.raises(ValidationError):
        service.assign(request, world.staff_a, world.volunteer_a)
    request.refresh_from_db()
    assert request.status == S.CANNOT_FULFIL and request.outcome_reason == "moved away"


def test_cannot_fulfil_needs_a_reason(world, held):
    with pytest.raises(ValidationError) as err:
        service.cannot_fulfil(held, world.users["volunteer_a"], "")
    assert "reason" in err.value.message_dict


def test_only_the_holder_or_staff_may_act(world, held):
    with pytest.raises(PermissionDenied):
        service.pick_up(held, world.users["resident_a1"])
    with pytest.raises(PermissionDenied):
        service.assign(held, world.users["volunteer_a"], world.volunteer_a)
    with pytest.raises(PermissionDenied):
        service.pick_up(held, world.staff_b)


def test_assigning_a_volunteer_of_another_community_is_refused(world):
    request = food(world)
    with pytest.raises(ValidationError) as err:
        service.assign(request, world.staff_a, world.volunteer_b)
    assert "volunteer" in err.value.message_dict


@pytest.fixture
def stocked(world):
    water = item(world.community_a)
    store = warehouse(world.community_a)
    ledger.receive(water, store, 10)
    return water, store


def test_fulfilling_an_item_request_issues_the_stock(world, stocked):
    water, store = stocked
    request = food(world, item=water, quantity=Decimal(4))
    service.assign(request, world.staff_a, world.volunteer_a)
    service.deliver(request, world.users["volunteer_a"], note="ok")
    assert ledger.available(world.community_a)[water.pk][store.pk] == Decimal(6)
    assert request.movements.count() == 1


def test_fulfilling_without_enough_stock_changes_nothing(world, stocked):
    water, store = stocked
    request = food(world, item=water, quantity=Decimal(12))
    service.assign(request, world.staff_a, world.volunteer_a)
    with pytest.raises(ValidationError) as err:
        service.deliver(request, world.users["volunteer_a"], note="ok")
    assert "item" in err.value.message_dict
    request.refresh_from_db()
    assert request.status == S.ASSIGNED and not request.proof_note
    assert StockLot.objects.get(item=water).quantity == Decimal(10)
    assert statuses(request) == [S.OPEN, S.ASSIGNED]


def test_an_expired_item_is_never_issued(world):
    milk = item(world.community_a, name="Milk", category="food", unit="box", perishable=True)
    store = warehouse(world.community_a)
    ledger.receive(milk, store, 5, expires_on=days(1))
    StockLot.objects.filter(item=milk).update(expires_on=days(-1))  # it has expired since
    request = food(world, item=milk, quantity=Decimal(1))
    service.assign(request, world.staff_a, world.volunteer_a)
    with pytest.raises(ValidationError) as err:
        service.deliver(request, world.users["volunteer_a"], note="ok")
    assert "item" in err.value.message_dict
    assert StockLot.objects.get(item=milk).quantity == Decimal(5)


def test_overdue_requests_are_escalated_once(world):
    request = food(world)
    later = request.due_at + dt.timedelta(minutes=5)
    assert service.escalate_overdue(later) == 1
    assert service.escalate_overdue(later + dt.timedelta(hours=2)) == 0
    request.refresh_from_db()
    assert request.escalated_at == later
    assert RequestEvent.objects.filter(request=request, note__contains="escalated").count() == 1


def test_closed_requests_are_not_escalated(world):
    request = food(world)
    service.cannot_fulfil(request, world.staff_a, "no longer needed")
    assert service.escalate_overdue(request.due_at + dt.timedelta(hours=1)) == 0


def test_priorities_grow_with_waiting_and_similar_requests(world):
    first = food(world)
    food(world)
    later = timezone.now() + dt.timedelta(hours=30)
    assert service.recompute_priorities(world.community_a, now=later) == 2
    first.refresh_from_db()
    keys = {p["key"] for p in first.priority_reasons["parts"]}
    assert {"wait", "overdue", "similar"} <= keys
    again = service.recompute_priorities(world.community_a, now=later)
    assert again == 0  # nothing changed since


def test_medicine_running_out_ranks_higher(world):
    soon = service.file_request(world.staff_a, household=world.household_a2,
                                kind=NeedKind.MEDICINE, medicine="insulin", days_left=0)
    later = service.file_request(world.staff_a, household=world.household_a2,
                                 kind=NeedKind.MEDICINE, medicine="aspirin", days_left=20)
    assert soon.priority > later.priority


def test_requests_of_lists_my_household_only(world):
    mine = food(world, world.users["resident_a1"])
    food(world, household=world.household_a2)
    assert list(services.requests_of(world.users["resident_a1"])) == [mine]
    assert list(services.requests_of(world.staff_a)) == []


def test_batch_is_done_when_its_requests_are_closed(world, held):
    batch = DispatchBatch.objects.create(community=world.community_a,
                                         building=world.building_a1,
                                         volunteer=world.volunteer_a, status="dispatched",
                                         route=[held.pk])
    NeedRequest.objects.filter(pk=held.pk).update(batch=batch)
    held.refresh_from_db()
    service.deliver(held, world.users["volunteer_a"], note="done")
    batch.refresh_from_db()
    assert batch.status == "done"


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_the_last_units_fulfil_exactly_what_stock_allows(world):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent deliveries need PostgreSQL (row locks); SQLite has one writer at "
                    "a time. Runs when the suite runs on PostgreSQL (DATABASE_URL).")
    water, store = item(world.community_a), warehouse(world.community_a)
    ledger.receive(water, store, 10)
    held = []
    for _ in range(6):  # 6 requests of 3 units for 10 units: three can be fulfilled
        request = food(world, item=water, quantity=Decimal(3))
        service.assign(request, world.staff_a, world.volunteer_a)
        held.append(request)
    start = threading.Barrier(len(held))
    outcomes, lock = [], threading.Lock()

    def deliver(request):
        try:
            start.wait()
            try:
                service.deliver(NeedRequest.objects.get(pk=request.pk), world.staff_a, note="ok")
                result = "ok"
            except ValidationError:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(r,)) for r in held]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 3
    assert StockLot.objects.get(item=water).quantity == Decimal(1)
    assert NeedRequest.objects.filter(status=S.FULFILLED).count() == 3
    assert NeedRequest.objects.filter(status=S.ASSIGNED).count() == 3
