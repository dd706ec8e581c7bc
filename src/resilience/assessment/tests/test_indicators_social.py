"""Social indicators against small fixtures with answers worked out by hand.

In ``world`` community A has households A1 (building A1, grid A1; resident A1 vulnerable, with a
resident account) and A2 (building A2, grid A2).
"""
import datetime as dt

import pytest
from django.utils import timezone

from resilience.assessment.catalogue import catalogue
from resilience.assessment.tests.test_indicators_data import add_residents

DAYS = dt.timedelta(days=1)
HOURS = dt.timedelta(hours=1)


def compute(code, world, at=None):
    ids = [world.community_a.pk, world.community_b.pk]
    return catalogue()[code].compute(ids, at or timezone.now())


def test_consultation_turnout_sums_ballots_over_eligible_voters(world):
    from resilience.participation.models.consultations import Ballot, Consultation

    now = timezone.now()
    voters = add_residents(world.community_a, world.building_a1, 5)

    def consultation(closed_days_ago, eligible, ballots):
        closed = None if closed_days_ago is None else now - closed_days_ago * DAYS
        made = Consultation.objects.create(
            community=world.community_a, title="Vote", opens_at=now - 500 * DAYS,
            closes_at=closed or now + DAYS, eligible_count=eligible, closed_at=closed)
        for person in voters[:ballots]:
            Ballot.objects.create(consultation=made, resident=person, cast_at=now - 450 * DAYS)

    consultation(10, 10, 4)
    consultation(100, 6, 2)
    consultation(None, 5, 5)   # still open: not counted
    consultation(400, 5, 5)    # counted more than a year ago
    result = compute("consultation_turnout", world)
    assert result[world.community_a.pk].value == pytest.approx(6 / 16)
    assert result[world.community_a.pk].inputs == {"ballots": 6, "eligible": 16,
                                                   "consultations": 2}
    assert result[world.community_b.pk].value is None


def test_training_coverage_counts_residents_who_passed_this_year(world):
    from resilience.participation.models.education import Lesson, LessonCompletion

    now = timezone.now()
    first, second, third = add_residents(world.community_a, world.building_a1, 3)
    fire, flood = Lesson.objects.create(title="Fire"), Lesson.objects.create(title="Flood")
    LessonCompletion.objects.create(lesson=fire, resident=first, completed_at=now - 10 * DAYS,
                                    passed=True)
    LessonCompletion.objects.create(lesson=flood, resident=first, completed_at=now - 5 * DAYS,
                                    passed=True)
    LessonCompletion.objects.create(lesson=fire, resident=second, completed_at=now - 5 * DAYS,
                                    passed=False)
    LessonCompletion.objects.create(lesson=fire, resident=third, completed_at=now - 400 * DAYS,
                                    passed=True)
    a = compute("training_coverage", world)[world.community_a.pk]
    assert a.value == pytest.approx(1 / 5)
    assert a.inputs == {"trained": 1, "residents": 5}


def test_drill_participation_over_each_drills_area(world):
    from resilience.participation.models.drills import Drill, DrillParticipation

    added = add_residents(world.community_a, world.building_a2, 2)  # A now has 4 households

    def drill(days_ago=30, **area):
        return Drill.objects.create(community=world.community_a, scenario="flood", title="D",
                                    planned_at=timezone.now() - days_ago * DAYS, status="done",
                                    **area)

    def attend(made, household, present=True):
        DrillParticipation.objects.create(drill=made, household=household, present=present)

    whole = drill()                                  # 4 households in scope
    attend(whole, world.household_a1)
    attend(whole, world.household_a2, present=False)
    building = drill(building=world.building_a2)     # 3 households in building A2
    for person in added:
        attend(building, person.household)
    grid = drill(grid=world.grid_a1)                 # 1 household in grid A1
    DrillParticipation.objects.create(drill=grid, household=world.household_a1,
                                      resident=world.resident_a1)
    attend(grid, world.household_a1)                 # the same household once more
    old = drill(days_ago=400)
    attend(old, world.household_a2)
    a = compute("drill_participation", world)[world.community_a.pk]
    assert a.value == 0.5  # (1 + 2 + 1) present of (4 + 3 + 1) in scope
    assert a.inputs == {"present": 4, "households_in_scope": 8, "drills": 3}


def test_reports_answered_within_48_hours(world):
    from resilience.participation.models.reports import Report

    now = timezone.now()

    def report(filed_ago, triaged_ago=None):
        made = Report.objects.create(community=world.community_a, kind="hazard",
                                     description="Blocked exit",
                                     triaged_at=None if triaged_ago is None else now - triaged_ago)
        Report.objects.filter(pk=made.pk).update(created=now - filed_ago)

    report(3 * DAYS, 60 * HOURS)   # answered after 12 hours
    report(5 * DAYS, 1 * DAYS)     # answered after 4 days
    report(3 * DAYS)               # unanswered for 3 days
    report(1 * HOURS)              # unanswered, but only an hour old
    report(1 * HOURS, 0 * HOURS)   # answered within the hour
    report(400 * DAYS, 399 * DAYS)  # too old
    a = compute("reports_answered_on_time", world)[world.community_a.pk]
    assert a.value == 0.5 and a.inputs == {"on_time": 2, "reports_due": 4}


def test_vulnerable_with_emergency_contact(world):
    add_residents(world.community_a, world.building_a1, 1, tags=["disabled"], contact=True)
    add_residents(world.community_a, world.building_a1, 2, tags=["infant"])
    add_residents(world.community_a, world.building_a1, 1, contact=True)  # not vulnerable
    a = compute("vulnerable_with_emergency_contact", world)[world.community_a.pk]
    assert a.value == 0.25 and a.inputs == {"with_contact": 1, "vulnerable": 4}


def test_households_with_account_in_force(world):
    from django.contrib.auth import get_user_model

    from resilience.core.roles import Role
    from resilience.people.models import Membership

    moved = add_residents(world.community_a, world.building_a1, 1)[0].household
    Membership.objects.create(user=get_user_model().objects.create_user("moved"),
                              role=Role.RESIDENT, household=moved,
                              valid_until=timezone.now() - DAYS)
    a = compute("households_with_account", world)[world.community_a.pk]
    assert a.value == pytest.approx(1 / 3, abs=1e-4)
    assert a.inputs == {"connected": 1, "households": 3}


def test_survey_response_rate_over_each_surveys_area(world):
    from resilience.relief.models import Survey, SurveyResponse

    now = timezone.now()
    added = add_residents(world.community_a, world.building_a2, 3)  # A now has 5 households

    def survey(days_ago=20, **area):
        return Survey.objects.create(community=world.community_a, title="Needs", status="closed",
                                     opened_at=now - days_ago * DAYS, **area)

    def answer(made, household):
        SurveyResponse.objects.create(survey=made, community=world.community_a,
                                      household=household, building=household.building,
                                      answers={})

    whole = survey()                                  # 5 households
    answer(whole, world.household_a1)
    answer(whole, added[0].household)
    building = survey(building=world.building_a2)     # 4 households in building A2
    for person in added:
        answer(building, person.household)
    survey(days_ago=400)                              # too old
    Survey.objects.create(community=world.community_a, title="Draft", status="draft")
    a = compute("survey_response_rate", world)[world.community_a.pk]
    assert a.value == pytest.approx(5 / 9, abs=1e-4)
    assert a.inputs == {"answered": 5, "households_in_scope": 9, "surveys": 2}
