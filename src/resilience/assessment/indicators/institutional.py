"""Institutional indicators: whether the community's rules and routines are kept — risks graded,
hazards rectified, plans written and reviewed, drills held, inspections and follow-ups done."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from resilience.assessment.catalogue import Measurement, indicator
from resilience.assessment.indicators import common
from resilience.assessment.vocab import Dimension, Source
from resilience.response.vocab import PlanStatus, Scenario
from resilience.risks.vocab import RiskType

# The plan scenario that answers each risk type; types with no matching scenario are not counted.
SCENARIO_OF_RISK = {
    RiskType.FIRE: Scenario.HIGH_RISE_FIRE, RiskType.EBIKE_FIRE: Scenario.HIGH_RISE_FIRE,
    RiskType.ELECTRICAL: Scenario.HIGH_RISE_FIRE, RiskType.GAS: Scenario.GAS_LEAK,
    RiskType.FLOOD: Scenario.FLOOD, RiskType.GARAGE_FLOOD: Scenario.FLOOD,
    RiskType.TYPHOON: Scenario.FLOOD, RiskType.STRUCTURE: Scenario.EARTHQUAKE,
    RiskType.GEOLOGICAL: Scenario.EARTHQUAKE, RiskType.EPIDEMIC: Scenario.EPIDEMIC_LOCKDOWN,
    RiskType.HEAT: Scenario.HEAT_WAVE,
}


@indicator(
    "risks_graded_recently", Dimension.INSTITUTIONAL,
    name=_("Risk sources graded in the last 6 months"),
    definition=_("Share of the active risk sources in the register at the time that were "
                 "assessed (matrix or LEC) in the 6 months before it."),
    unit=_("share of risk sources"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most risk sources have not been graded for six months: walk the register with "
               "the grid workers and property company this month and re-grade each one on its "
               "page.")),
        (100, _("Some risk sources are due for grading: re-grade them after the next inspection "
                "and whenever their controls change.")),
    ))
def risks_graded_recently(community_ids, at):
    from resilience.risks.models import RiskAssessment, RiskSource

    recent = Exists(RiskAssessment.objects.filter(risk=OuterRef("pk"),
                                                  assessed_at__gt=at - common.HALF_YEAR,
                                                  assessed_at__lte=at))
    rows = common.grouped(RiskSource.objects.filter(community_id__in=community_ids, active=True,
                                                    created__lte=at),
                          total=Count("pk"), graded=Count("pk", filter=recent))
    return common.ratios(rows, community_ids, "graded", "total",
                         part_name="graded", whole_name="risk_sources")


@indicator(
    "hazards_rectified_on_time", Dimension.INSTITUTIONAL,
    name=_("Hazards rectified on time"),
    definition=_("Of the hidden hazards found in the 12 months before the time whose outcome is "
                 "known then (rectified, or past their deadline), the share rectified by their "
                 "deadline."),
    unit=_("share of hazards"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most hazards miss their deadline: give each a responsible organisation and a "
               "realistic deadline when it is assigned, and review the overdue list at the "
               "weekly committee meeting.")),
        (100, _("Some hazards miss their deadline: call the owners of overdue hazards before "
                "they escalate to the street office, and verify rectified ones promptly.")),
    ))
def hazards_rectified_on_time(community_ids, at):
    from django.db.models import F

    from resilience.risks.models import Hazard

    today = common.local_day(at)
    rectified = Q(rectified_at__isnull=False, rectified_at__lte=at)
    known = rectified | Q(deadline__lt=today)
    on_time = rectified & Q(rectified_at__date__lte=F("deadline"))
    rows = common.grouped(
        Hazard.objects.filter(community_id__in=community_ids, deadline__isnull=False,
                              found_at__gt=at - common.YEAR, found_at__lte=at),
        known=Count("pk", filter=known), on_time=Count("pk", filter=on_time))
    return common.ratios(rows, community_ids, "on_time", "known",
                         part_name="on_time", whole_name="hazards_due")


@indicator(
    "plans_cover_major_risks", Dimension.INSTITUTIONAL,
    name=_("Major risks covered by a plan"),
    definition=_("Share of the plan scenarios (fire, gas leak, flood, earthquake, epidemic, heat "
                 "wave) called for by the major or high risk sources in the register at the time "
                 "(graded as then) that have an emergency plan in force."),
    unit=_("share of scenarios"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most major risk types have no plan: write a plan from the template for each "
               "(start with fire and flood), name who holds each command role, and put it in "
               "force.")),
        (100, _("A major risk type has no plan in force: write one for it from the plan "
                "templates and rehearse it in the next drill.")),
    ))
def plans_cover_major_risks(community_ids, at):
    from resilience.response.models import Plan

    types: dict[int, set] = defaultdict(set)
    for cid, risk_type in common.serious_risks(community_ids, at).values_list(
            "community_id", "risk_type").distinct():
        types[cid].add(risk_type)
    plans: dict[int, set] = defaultdict(set)
    for cid, scenario in Plan.objects.filter(
            community_id__in=community_ids, status=PlanStatus.ACTIVE, created__lte=at
    ).values_list("community_id", "scenario").distinct():
        plans[cid].add(scenario)
    result = {}
    for cid in community_ids:
        needed = {SCENARIO_OF_RISK[t] for t in types[cid] if t in SCENARIO_OF_RISK}
        result[cid] = common.ratio(len(needed & plans[cid]), len(needed),
                                   part_name="scenarios_covered", whole_name="scenarios_needed",
                                   major_risk_types=len(types[cid]),
                                   types_without_scenario=sum(
                                       1 for t in types[cid] if t not in SCENARIO_OF_RISK),
                                   plans_in_force=len(plans[cid]))
    return result


@indicator(
    "plans_reviewed", Dimension.INSTITUTIONAL,
    name=_("Plans reviewed within 12 months"),
    definition=_("Share of the emergency plans in force that were reviewed in the 12 months "
                 "before the time (plans are reviewed yearly)."),
    unit=_("share of plans"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most plans have not been reviewed for a year: review each with the people who "
               "hold its roles — contacts, shelters and tasks change — and record the review "
               "date.")),
        (100, _("Some plans are due for their yearly review: review them after the next drill, "
                "with its lessons learned.")),
    ))
def plans_reviewed(community_ids, at):
    from resilience.response.models import Plan

    today = common.local_day(at)
    recent = Q(reviewed_on__gt=today - common.YEAR, reviewed_on__lte=today)
    rows = common.grouped(Plan.objects.filter(community_id__in=community_ids,
                                              status=PlanStatus.ACTIVE, created__lte=at),
                          total=Count("pk"), reviewed=Count("pk", filter=recent))
    return common.ratios(rows, community_ids, "reviewed", "total",
                         part_name="reviewed", whole_name="plans")


@indicator(
    "drills_last_year", Dimension.INSTITUTIONAL,
    name=_("Drills in the last year"),
    definition=_("Drills held (marked done) in the 12 months before the time; target two a "
                 "year, one every six months."),
    unit=_("drills"), target=2.0, worst=0.0,
    recommendations=(
        (50, _("No drill in the past year: plan an evacuation drill for the building with the "
               "most vulnerable residents on the drills page, and record who took part.")),
        (100, _("Only one drill in the past year: plan the next one for a different scenario "
                "(fire, flood or earthquake) six months after the last.")),
    ))
def drills_last_year(community_ids, at):
    from resilience.participation.models.drills import Drill
    from resilience.participation.vocab_learning import DrillStatus

    drills = common.counted(Drill.objects.filter(
        community_id__in=community_ids, status=DrillStatus.DONE,
        planned_at__gt=at - common.YEAR, planned_at__lte=at))
    return {cid: Measurement(float(drills.get(cid, 0)), {"drills": drills.get(cid, 0)})
            for cid in community_ids}


@indicator(
    "inspections_on_schedule", Dimension.INSTITUTIONAL,
    name=_("Inspections on schedule"),
    definition=_("Share of the active inspection plans at the time whose last completed "
                 "inspection falls within the plan's interval before it (plans younger than "
                 "their interval count as on schedule)."),
    unit=_("share of inspection plans"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most scheduled inspections are overdue: share the overdue plans among the grid "
               "workers and the property company and do them with the checklist on a phone "
               "this week.")),
        (100, _("Some inspections are overdue: check the inspection plans due this month each "
                "Monday and lengthen intervals that cannot be kept.")),
    ))
def inspections_on_schedule(community_ids, at):
    from resilience.risks.models import InspectionPlan

    total: dict[int, int] = defaultdict(int)
    kept: dict[int, int] = defaultdict(int)
    for cid, days, created, last in (
            InspectionPlan.objects.filter(community_id__in=community_ids, active=True,
                                          created__lte=at)
            .annotate(last=Max("inspections__completed_at",
                               filter=Q(inspections__completed_at__lte=at)))
            .values_list("community_id", "frequency_days", "created", "last")):
        since = at - dt.timedelta(days=days)
        total[cid] += 1
        kept[cid] += (last is not None and last > since) or created > since
    return {cid: common.ratio(kept[cid], total[cid], part_name="on_schedule",
                              whole_name="inspection_plans")
            for cid in community_ids}


@indicator(
    "followups_on_time", Dimension.INSTITUTIONAL,
    name=_("Health follow-ups done on time"),
    definition=_("Of the care follow-ups scheduled in the 12 months before the time whose "
                 "outcome is known then (done, or past their day), the share done by their "
                 "scheduled day — counts only, no health detail."),
    unit=_("share of follow-ups"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most health follow-ups are late: give every care plan an assigned health worker "
               "and check the overdue follow-ups page each morning.")),
        (100, _("Some health follow-ups are late: rebalance the follow-ups of the busiest "
                "health worker and phone when a visit cannot be made.")),
    ))
def followups_on_time(community_ids, at):
    from django.db.models import F

    from resilience.health.models.care import FollowUp

    today = common.local_day(at)
    done = Q(done_at__isnull=False, done_at__lte=at)
    rows = common.grouped(
        FollowUp.objects.filter(community_id__in=community_ids,
                                scheduled_on__gt=today - common.YEAR, scheduled_on__lte=today),
        known=Count("pk", filter=done | Q(scheduled_on__lt=today)),
        on_time=Count("pk", filter=done & Q(done_at__date__lte=F("scheduled_on"))))
    return common.ratios(rows, community_ids, "on_time", "known",
                         part_name="on_time", whole_name="followups_due")


# --- imported: no compute function ------------------------------------------------------------

indicator(
    "households_insured", Dimension.INSTITUTIONAL, source=Source.IMPORTED,
    name=_("Households with disaster insurance"),
    definition=_("Share of the households covered by home or catastrophe insurance (including a "
                 "city's inclusive catastrophe insurance), as imported from the insurer or the "
                 "civil affairs bureau."),
    unit=_("share of households"), target=0.8, worst=0.0,
    recommendations=(
        (50, _("Few households are insured against disasters: explain the city's catastrophe "
               "insurance and home insurance at a residents' meeting.")),
        (100, _("Some households are not insured: focus on ground-floor and basement homes, "
                "which floods hit first.")),
    ))
