"""Institutional indicators against small fixtures with answers worked out by hand."""
import datetime as dt

import pytest
from django.utils import timezone

from resilience.assessment.catalogue import catalogue
from resilience.assessment.tests.test_indicators_data import add_facility, add_risk, backdate

DAYS = dt.timedelta(days=1)


def compute(code, world, at=None):
    ids = [world.community_a.pk, world.community_b.pk]
    return catalogue()[code].compute(ids, at or timezone.now())


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def test_risks_graded_recently_looks_back_six_months(world):
    from resilience.risks.models import RiskSource

    now = timezone.now()
    add_risk(world.community_a, "Power room", "electrical", "high")
    add_risk(world.community_a, "Garage", "garage_flood", "medium", at=now - 200 * DAYS)
    retired = add_risk(world.community_a, "Old boiler", "fire", "low")
    RiskSource.objects.filter(pk=retired.pk).update(active=False)
    result = compute("risks_graded_recently", world)
    assert result[world.community_a.pk].value == 0.5
    assert result[world.community_a.pk].inputs == {"graded": 1, "risk_sources": 2}
    assert result[world.community_b.pk].value is None  # an empty register


def test_hazards_rectified_on_time_among_those_with_a_known_outcome(world):
    from resilience.risks.models import Hazard

    now, today = timezone.now(), timezone.localdate()

    def hazard(title, deadline, rectified=None, status="assigned"):
        return Hazard.objects.create(community=world.community_a, title=title, deadline=deadline,
                                     rectified_at=rectified, status=status)

    hazard("on time", today - 1 * DAYS, now - 2 * DAYS, "rectified")
    hazard("late", today - 5 * DAYS, now - 1 * DAYS, "verified")
    hazard("overdue", today - 1 * DAYS)
    hazard("not due yet", today + 5 * DAYS)
    hazard("no deadline", None)
    old = hazard("last year", today - 390 * DAYS, now - 391 * DAYS, "verified")
    backdate(old, found_at=now - 400 * DAYS)
    a = compute("hazards_rectified_on_time", world)[world.community_a.pk]
    assert a.value == pytest.approx(1 / 3, abs=1e-4)
    assert a.inputs == {"on_time": 1, "hazards_due": 3}


def plan(world, scenario, status="active", reviewed_on=None, community=None):
    from resilience.response.models import Plan

    return Plan.objects.create(community=community or world.community_a, scenario=scenario,
                               name=scenario, status=status, reviewed_on=reviewed_on)


def test_plans_cover_the_major_and_high_risk_types(world):
    add_risk(world.community_a, "Tower", "fire", "major")
    add_risk(world.community_a, "Chargers", "ebike_fire", "high")        # same scenario: fire
    add_risk(world.community_a, "Garage", "garage_flood", "high")
    add_risk(world.community_a, "Kitchen gas", "gas", "medium")          # not major or high
    add_risk(world.community_a, "Lift", "elevator", "major")             # no scenario for it
    plan(world, "high_rise_fire")
    plan(world, "flood", status="draft")
    a = compute("plans_cover_major_risks", world)[world.community_a.pk]
    assert a.value == 0.5  # fire covered, flood only drafted
    assert a.inputs == {"scenarios_covered": 1, "scenarios_needed": 2, "major_risk_types": 4,
                        "types_without_scenario": 1, "plans_in_force": 1}


def test_risk_grade_is_the_grade_at_the_time(world):
    from resilience.risks.models import RiskAssessment

    now = timezone.now()
    risk = add_risk(world.community_a, "Garage", "garage_flood", "high", at=now - 10 * DAYS)
    backdate(risk, created=now - 10 * DAYS)
    RiskAssessment.objects.create(risk=risk, method="matrix", inputs={}, score=1, grade="low")
    assert compute("plans_cover_major_risks", world)[world.community_a.pk].value is None
    then = compute("plans_cover_major_risks", world, at=now - 5 * DAYS)[world.community_a.pk]
    assert then.inputs["scenarios_needed"] == 1 and then.value == 0.0


def test_plans_reviewed_within_a_year(world):
    today = timezone.localdate()
    plan(world, "high_rise_fire", reviewed_on=today - 100 * DAYS)
    plan(world, "flood", reviewed_on=today - 400 * DAYS)
    plan(world, "gas_leak")
    plan(world, "earthquake", status="draft", reviewed_on=today)
    a = compute("plans_reviewed", world)[world.community_a.pk]
    assert a.value == pytest.approx(1 / 3, abs=1e-4)
    assert a.inputs == {"reviewed": 1, "plans": 3}


def drill(world, days_ago, status="done", community=None, **place):
    from resilience.participation.models.drills import Drill

    return Drill.objects.create(community=community or world.community_a, scenario="flood",
                                title="Drill", planned_at=timezone.now() - days_ago * DAYS,
                                status=status, **place)


def test_drills_last_year_counts_those_held(world):
    drill(world, 30)
    drill(world, 200)
    drill(world, 400)
    drill(world, -10, status="planned")
    drill(world, 10, status="cancelled")
    result = compute("drills_last_year", world)
    assert result[world.community_a.pk].value == 2.0
    assert result[world.community_b.pk].value == 0.0
    earlier = timezone.now() - 250 * DAYS  # its year holds only the drill 400 days ago
    assert compute("drills_last_year", world, at=earlier)[world.community_a.pk].value == 1.0


def test_inspections_on_schedule_within_each_plans_interval(world):
    from resilience.risks.models import ChecklistTemplate, Inspection, InspectionPlan

    now = timezone.now()
    template = ChecklistTemplate.objects.create(name="Fire safety")
    target = add_facility(world.community_a, "power_room", "PR1")

    def inspection_plan(done_days_ago=None, created_days_ago=0, active=True):
        made = InspectionPlan.objects.create(community=world.community_a, template=template,
                                             facility=target, frequency_days=30,
                                             next_due=timezone.localdate(), active=active)
        if created_days_ago:
            backdate(made, created=now - created_days_ago * DAYS)
        if done_days_ago is not None:
            Inspection.objects.create(community=world.community_a, plan=made, template=template,
                                      facility=target, status="completed",
                                      completed_at=now - done_days_ago * DAYS)
        return made

    inspection_plan(done_days_ago=10, created_days_ago=100)   # kept
    inspection_plan(done_days_ago=40, created_days_ago=100)   # overdue
    inspection_plan()                                         # new: not due yet
    inspection_plan(created_days_ago=60)                      # never inspected: overdue
    inspection_plan(created_days_ago=60, active=False)        # not counted
    a = compute("inspections_on_schedule", world)[world.community_a.pk]
    assert a.value == 0.5 and a.inputs == {"on_schedule": 2, "inspection_plans": 4}


def test_followups_on_time_counts_only_known_outcomes(world):
    from resilience.health.models.care import FollowUp

    today = timezone.localdate()

    def followup(scheduled_days_ago, done_days_ago=None):
        FollowUp.objects.create(
            community=world.community_a, resident=world.resident_a1,
            scheduled_on=today - scheduled_days_ago * DAYS,
            done_at=None if done_days_ago is None else noon(today - done_days_ago * DAYS))

    followup(3, done_days_ago=4)  # early: on time
    followup(3, done_days_ago=1)  # late
    followup(2)                   # missed
    followup(0)                   # today, not done yet: outcome not known
    followup(-2, done_days_ago=None)  # in the future: not counted
    followup(400, done_days_ago=400)  # too old
    a = compute("followups_on_time", world, at=noon(today))[world.community_a.pk]
    assert a.value == pytest.approx(1 / 3, abs=1e-4)
    assert a.inputs == {"on_time": 1, "followups_due": 3}


def test_a_grade_kept_without_history_counts_from_when_it_was_graded(world):
    from resilience.risks.models import RiskSource

    now = timezone.now()
    risk = RiskSource.objects.create(community=world.community_a, name="Imported",
                                     risk_type="gas", grade="major", assessed_at=now - 3 * DAYS)
    backdate(risk, created=now - 10 * DAYS)  # in the register before it was graded
    plan(world, "gas_leak")
    assert compute("plans_cover_major_risks", world)[world.community_a.pk].value == 1.0
    earlier = compute("plans_cover_major_risks", world, at=now - 5 * DAYS)[world.community_a.pk]
    assert earlier.value is None and earlier.inputs["reason"] == "no_scenarios_needed"
