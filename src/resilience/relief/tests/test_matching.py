"""Matching and dispatch: no unit promised twice, skills respected, work spread, shortfalls
listed; planned batches confirmed into assignments; the volunteer sees only their batches."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from resilience.relief import dispatch, ledger, matching
from resilience.relief import requests as service
from resilience.relief.matching import RequestRow, VolunteerRow
from resilience.relief.models import DispatchBatch, NeedRequest
from resilience.relief.tests.requests_helpers import food, media, volunteer  # noqa: F401
from resilience.relief.tests.supplies_helpers import item, warehouse
from resilience.relief.vocab import NeedKind, RequestStatus, Urgency, VisitReason

BUILDINGS = {1: (31.2300, 121.4700), 2: (31.2310, 121.4710), 3: (31.2400, 121.4800)}


def test_no_unit_is_promised_twice():
    requests = [RequestRow(i, 1 + i % 3, NeedKind.FOOD, item=7, quantity=Decimal(3))
                for i in range(10)]
    volunteers = [VolunteerRow(100, frozenset(), 31.23, 121.47)]
    plan = matching.match(requests, volunteers, {7: {50: Decimal(10), 51: Decimal(5)}}, BUILDINGS)
    promised = Counter()
    for batch in plan.batches:
        for pick in batch.picks:
            promised[pick["warehouse"]] += Decimal(pick["quantity"])
    assert promised[50] <= 10 and promised[51] <= 5
    assert plan.matched == 4  # 3 + 1 from the first warehouse… 9 from 10, 3 from 5
    assert len(plan.short_stock) == 6  # highest priority first: the last six miss out
    assert plan.short_stock == [4, 5, 6, 7, 8, 9]


def test_skills_are_respected_and_missing_helpers_listed():
    requests = [RequestRow(1, 1, NeedKind.MEDICAL_VISIT), RequestRow(2, 1, NeedKind.PSYCHOLOGICAL),
                RequestRow(3, 1, NeedKind.CARE), RequestRow(4, 1, NeedKind.FOOD)]
    volunteers = [VolunteerRow(10, frozenset({"driving"}), 31.23, 121.47),
                  VolunteerRow(11, frozenset({"logistics"}), 31.23, 121.47)]
    plan = matching.match(requests, volunteers, {}, BUILDINGS)
    by_request = {r: b.volunteer for b in plan.batches for r in b.requests}
    assert by_request[1] == 10          # medical visit → a driver
    assert by_request[4] == 11          # food → logistics preferred
    assert sorted(plan.short_helpers) == [2, 3]  # no psychologist, no nurse


def test_work_is_spread_over_volunteers():
    requests = [RequestRow(i, 1 + i % 3, NeedKind.FOOD) for i in range(30)]
    volunteers = [VolunteerRow(10 + j, frozenset(), 31.23, 121.47) for j in range(3)]
    plan = matching.match(requests, volunteers, {}, BUILDINGS)
    loads = Counter()
    for batch in plan.batches:
        loads[batch.volunteer] += len(batch.requests)
        assert len(batch.requests) <= matching.MAX_BATCH
        assert len({r % 3 for r in batch.requests}) == 1  # one building per batch
    assert len(loads) == 3 and max(loads.values()) - min(loads.values()) <= matching.MAX_BATCH


def test_emergency_only_volunteers_take_critical_requests_only():
    requests = [RequestRow(1, 1, NeedKind.FOOD, urgency=Urgency.CRITICAL),
                RequestRow(2, 1, NeedKind.FOOD)]
    volunteers = [VolunteerRow(10, frozenset(), 31.23, 121.47, emergency_only=True)]
    plan = matching.match(requests, volunteers, {}, BUILDINGS)
    assert [b.requests for b in plan.batches] == [[1]] and plan.short_helpers == [2]


def test_nearest_volunteer_is_chosen():
    far = VolunteerRow(10, frozenset(), 31.2400, 121.4800)
    near = VolunteerRow(11, frozenset(), 31.2301, 121.4701)
    plan = matching.match([RequestRow(1, 1, NeedKind.FOOD)], [far, near], {}, BUILDINGS)
    assert plan.batches[0].volunteer == 11 and plan.batches[0].distance_m < 50


def test_route_order_is_nearest_neighbour():
    stops = [("far", 31.2400, 121.4800), ("near", 31.2301, 121.4701), ("mid", 31.2350, 121.475)]
    assert matching.route_order((31.23, 121.47), stops) == ["near", "mid", "far"]


@pytest.fixture
def ready(world):
    """Community A: water in a warehouse, volunteer A available any time, a nurse."""
    world.volunteer_a.availability = "anytime"
    world.volunteer_a.skills = ["logistics"]
    world.volunteer_a.save()
    nurse = volunteer(world, "Nurse", ["nursing"], building=world.building_a2)
    water = item(world.community_a)
    store = warehouse(world.community_a)
    ledger.receive(water, store, 5)
    return {"water": water, "store": store, "nurse": nurse}


def test_plan_propose_confirm_and_shortfalls(world, ready):
    water = ready["water"]
    ok = food(world, item=water, quantity=Decimal(4))
    short = food(world, household=world.household_a2, item=water, quantity=Decimal(4))
    care = service.file_request(world.staff_a, household=world.household_a2, kind=NeedKind.CARE)
    psych = service.file_request(world.staff_a, household=world.household_a2,
                                 kind=NeedKind.PSYCHOLOGICAL)
    proposal = dispatch.propose(world.community_a, world.staff_a)
    assert proposal.short_stock == [short.pk]
    assert proposal.short_helpers == [psych.pk]
    assert all(b.status == "planned" for b in proposal.batches)
    assert NeedRequest.objects.get(pk=ok.pk).status == RequestStatus.OPEN  # not yet confirmed
    assigned = dispatch.confirm_all(world.community_a, world.staff_a)
    assert assigned == 2
    ok.refresh_from_db()
    care.refresh_from_db()
    assert ok.volunteer == world.volunteer_a and ok.status == RequestStatus.ASSIGNED
    assert care.volunteer == ready["nurse"]
    # Stock promised to the assigned request is not offered again.
    again = food(world, household=world.household_a2, item=water, quantity=Decimal(2))
    assert again.pk in dispatch.propose(world.community_a, world.staff_a).short_stock


def test_only_staff_may_plan(world, ready):
    food(world)
    for user in (world.staff_b, world.users["volunteer_a"], world.grid_worker_a1):
        with pytest.raises(PermissionDenied):
            dispatch.propose(world.community_a, user)
    assert not DispatchBatch.objects.exists()


def test_volunteer_sees_only_their_batches_and_stops(world, ready):
    visit = service.file_request(world.staff_a, household=world.household_a1,
                                 kind=NeedKind.MEDICAL_VISIT, visit_reason=VisitReason.DIALYSIS)
    food(world)
    dispatch.propose(world.community_a, world.staff_a)
    dispatch.confirm_all(world.community_a, world.staff_a)
    mine = dispatch.batches_of(world.users["volunteer_a"])
    assert mine and all(b.volunteer == world.volunteer_a for b in mine)
    stops = [s for b in mine for s in dispatch.stops(b, world.users["volunteer_a"])]
    assert stops and all(s["phone_masked"].count("*") >= 4 for s in stops)
    assert visit.pk not in {s["request"].pk for s in stops}  # no medical skill: not theirs
    assert dispatch.batches_of(world.staff_b) == []
    request = stops[0]["request"]
    assert dispatch.reveal_phone(request, world.users["volunteer_a"]).startswith("138")
    with pytest.raises(PermissionDenied):
        dispatch.reveal_phone(request, world.users["resident_a1"])


def test_first_name_shows_only_a_greeting():
    assert dispatch.first_name("张三丰") == "张**"
    assert dispatch.first_name("Mary Smith") == "Mary"


def test_lockdown_scenario_starts_once_and_can_be_dispatched(world):
    from resilience.relief import lockdown
    from resilience.relief.models import Survey

    counts = lockdown.start(world.community_a, days=14)
    assert counts["needs requests"] == lockdown.REQUEST_COUNT
    assert Survey.objects.get(community=world.community_a, status="open").responses.exists()
    requests = NeedRequest.objects.filter(community=world.community_a)
    assert requests.filter(kind=NeedKind.MEDICAL_VISIT, visit_reason="dialysis").exists()
    assert requests.filter(medicine="胰岛素", days_left=1).exists()
    assert requests.filter(item__isnull=False).exists()
    top = requests.order_by("-priority").first()
    assert top.urgency == Urgency.CRITICAL and top.priority_reasons["parts"]
    assert lockdown.start(world.community_a, days=14) == {}
    proposal = dispatch.propose(world.community_a, world.staff_a)
    assert proposal.batches
