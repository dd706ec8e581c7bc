"""The demo community's inspections and hazards: planned, done, failing, at every step, the same
every time."""
from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from resilience.core.models import ChangeLogEntry
from resilience.demo.generator import generate
from resilience.demo.hazards import FACILITY_PLANS, FAIL_NOTES, generate_inspections
from resilience.places.models import Community
from resilience.risks.hazards import OPEN_STATUSES, TRANSITIONS, escalate_overdue, on_time_rate, overdue
from resilience.risks.inspections import overdue_plans
from resilience.risks.models import (
    ChecklistTemplate, Hazard, Inspection, InspectionAnswer, InspectionPlan,
)
from resilience.risks.vocab import HazardStatus as S

TODAY = dt.date(2025, 6, 1)
NOW = timezone.make_aware(dt.datetime(2025, 6, 1, 8, 0))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            counts = generate(communities=1, seed=1, today=TODAY)
            yield counts
            transaction.set_rollback(True)


def rows() -> list:
    return sorted(
        [("plan", p.template.name, p.facility_id and p.facility.code, p.building_id and p.building.code,
          p.frequency_days, p.next_due.isoformat()) for p in InspectionPlan.objects.select_related(
            "template", "facility", "building")]
        + [("inspection", i.template.name, i.started_at.isoformat(), i.completed_at.isoformat(),
            i.inspector.username, sorted(i.answers.values_list("item__order", "answer", "note")))
           for i in Inspection.objects.select_related("template", "inspector")]
        + [("hazard", h.title, h.status, h.severity, h.deadline.isoformat(), h.escalation_level,
            h.found_at.isoformat(), [(e.action, e.time.isoformat(), e.note) for e in h.events.all()])
           for h in Hazard.objects.prefetch_related("events")])


def test_the_shared_checklists_have_a_note_for_every_failing_item(db):
    for name, notes in FAIL_NOTES.items():
        assert ChecklistTemplate.objects.get(community=None, name=name).items.count() == len(notes), name


def test_counts_match_the_rows(db, demo):
    assert demo["inspection plans"] == InspectionPlan.objects.count()
    assert demo["inspections"] == Inspection.objects.count()
    assert demo["hazards"] == Hazard.objects.count()
    assert 60 <= demo["inspection plans"] <= 150
    assert 18 <= demo["inspections"] <= 22
    assert 14 <= demo["hazards"] <= 20


def test_plans_cover_the_facilities_at_their_rhythm(db, demo):
    plans = InspectionPlan.objects.select_related("template", "facility")
    by_kind = Counter((p.facility.kind, p.template.name, p.frequency_days) for p in plans if p.facility)
    for kind, (name, every) in FACILITY_PLANS.items():
        assert by_kind[(kind, name, every)] >= 1, kind
    assert plans.filter(building__isnull=False, template__name="高层建筑消防安全检查").count() == 6
    garage = plans.get(template__name="地下车库汛前安全检查")
    inspected = garage.inspections.exists()
    # due before the plum rains: of 2026 once inspected this spring, else overdue since 2025-05-31
    assert garage.next_due == (dt.date(2026, 5, 31) if inspected else dt.date(2025, 5, 31))
    late = overdue_plans(InspectionPlan.objects.all(), TODAY)
    assert 4 <= late.count() <= 9
    for plan in plans:
        assert plan.community_id == plan.facility.community_id if plan.facility else True
        plan.full_clean()


def test_inspections_were_done_in_the_last_sixty_days_and_answered_in_full(db, demo):
    for inspection in Inspection.objects.select_related("template", "plan", "inspector"):
        assert inspection.status == "completed"
        assert TODAY - dt.timedelta(days=60) <= timezone.localdate(inspection.started_at) < TODAY
        assert inspection.started_at < inspection.completed_at
        assert inspection.answers.count() == inspection.template.items.count()
        assert inspection.plan.template == inspection.template
        assert inspection.inspector.username.startswith("c0001-")
        assert inspection.latitude and inspection.longitude
    assert InspectionAnswer.objects.filter(answer="fail").count() == Hazard.objects.count()
    inspectors = {i.inspector.username for i in Inspection.objects.select_related("inspector")}
    assert any(name.startswith("c0001-grid") for name in inspectors)


def test_hazards_are_at_every_step_and_some_are_overdue_and_escalated(db, demo):
    statuses = Counter(Hazard.objects.values_list("status", flat=True))
    assert set(statuses) == set(S.values), statuses
    late = overdue(Hazard.objects.all(), TODAY)
    assert late.exists()
    assert late.filter(escalation_level__gte=1).exists()
    assert not Hazard.objects.exclude(status__in=OPEN_STATUSES).filter(escalation_level__gt=0,
                                                                       escalated_at__isnull=True).exists()
    rate = on_time_rate(Hazard.objects.all(), TODAY)
    assert rate is not None and 0.2 < rate < 1.0


def test_each_hazard_follows_its_failed_item(db, demo):
    for hazard in Hazard.objects.select_related("answer__item", "answer__inspection", "facility"):
        item, inspection = hazard.answer.item, hazard.answer.inspection
        assert hazard.answer.answer == "fail" and hazard.description == hazard.answer.note
        assert hazard.severity == item.severity and hazard.source == "inspection"
        assert hazard.deadline == timezone.localdate(inspection.completed_at) + dt.timedelta(days=item.rectify_days)
        assert hazard.found_at == inspection.completed_at
        assert item.text[:20] in hazard.title
        assert hazard.grid_id == inspection.grid_id and hazard.latitude
        if hazard.facility is not None and hazard.facility.owner_id:
            assert hazard.responsible_id == hazard.facility.owner_id
        hazard.full_clean()


def test_events_tell_each_hazards_story_in_order(db, demo):
    for hazard in Hazard.objects.prefetch_related("events"):
        events = list(hazard.events.all())
        assert events[0].action == "report" and events[0].to_status == "found"
        status = S.FOUND
        for previous, event in zip(events, events[1:]):
            assert previous.time <= event.time <= NOW
            if event.action in TRANSITIONS:
                assert event.from_status == status
                assert TRANSITIONS[event.action][status] == event.to_status
                status = event.to_status
        assert status == hazard.status, hazard.title
        assert hazard.events.filter(action="escalate").count() == hazard.escalation_level
        if hazard.status in (S.RECTIFIED, S.VERIFIED):
            assert hazard.rectified_at == hazard.events.filter(action="rectify").last().time
        if hazard.status == S.VERIFIED:
            assert hazard.verified_by_id and hazard.verified_at >= hazard.rectified_at


def test_escalation_is_as_the_daily_command_would_leave_it(db, demo):
    with transaction.atomic():
        assert escalate_overdue(NOW) == []  # already done this morning
        transaction.set_rollback(True)


def test_every_row_is_in_the_change_log(db, demo):
    for model in (InspectionPlan, Inspection, Hazard):
        logged = ChangeLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), action="create", source="generate")
        assert logged.count() == model.objects.count(), model.__name__
    entry = ChangeLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Hazard)).first()
    assert entry.after["status"] in S.values and "found_at" in entry.after


def test_the_same_seed_gives_the_same_inspections_and_hazards(db, demo):
    stored = rows()
    community = Community.objects.get()
    with transaction.atomic():
        Hazard.objects.all().delete()
        Inspection.objects.all().delete()
        InspectionPlan.objects.all().delete()
        started = time.perf_counter()
        generate_inspections(community, random.Random("resilience-demo-hazards:1:0"), TODAY)
        elapsed = time.perf_counter() - started
        again = rows()
        transaction.set_rollback(True)
    assert again == stored
    print(f"inspections and hazards: {elapsed:.3f} s")  # budget: < 0.3 s per community


def test_the_escalate_command_runs_on_the_demo(db, demo):
    with transaction.atomic():
        out = StringIO()
        call_command("escalate_hazards", "--now", "2025-06-20T02:00:00", stdout=out)
        assert "escalated" in out.getvalue()
        transaction.set_rollback(True)
