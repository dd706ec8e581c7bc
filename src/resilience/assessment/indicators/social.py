"""Social indicators: residents taking part — votes, lessons, drills, reports — and the ties that
let help reach the vulnerable."""
from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from resilience.assessment.catalogue import indicator
from resilience.assessment.indicators import common
from resilience.assessment.vocab import Dimension, Source

REPORT_ANSWER_TIME = common.DAY * 2


@indicator(
    "consultation_turnout", Dimension.SOCIAL,
    name=_("Turnout in consultations and votes"),
    definition=_("Ballots cast over eligible voters, summed over the consultations counted in "
                 "the 12 months before the time; target one half, the attendance a residents' "
                 "meeting needs under the Organic Law of Urban Residents' Committees."),
    unit=_("share of eligible voters"), target=0.5, worst=0.0,
    recommendations=(
        (50, _("Fewer than a quarter of voters take part: announce each vote on the notice "
               "board and in the building groups, and let building leads help older residents "
               "vote on a phone.")),
        (100, _("Turnout is below half: put questions that matter to residents to the vote "
                "(parking, e-bike charging, renovation) and publish each result.")),
    ))
def consultation_turnout(community_ids, at):
    from resilience.participation.models.consultations import Ballot, Consultation

    counted = Consultation.objects.filter(community_id__in=community_ids, closed_at__isnull=False,
                                          closed_at__gt=at - common.YEAR, closed_at__lte=at,
                                          eligible_count__gt=0)
    electorate: dict[int, int] = defaultdict(int)
    held: dict[int, int] = defaultdict(int)
    for cid, eligible in counted.values_list("community_id", "eligible_count"):
        electorate[cid] += eligible
        held[cid] += 1
    ballots = common.counted(Ballot.objects.filter(consultation__in=counted, cast_at__lte=at),
                             "consultation__community")
    return {cid: common.ratio(ballots.get(cid, 0), electorate[cid], part_name="ballots",
                              whole_name="eligible", consultations=held[cid])
            for cid in community_ids}


@indicator(
    "training_coverage", Dimension.SOCIAL,
    name=_("Residents trained"),
    definition=_("Share of the residents registered at the time who passed at least one "
                 "education lesson (first aid, evacuation, fire safety…) in the 12 months "
                 "before it."),
    unit=_("share of residents"), target=0.5, worst=0.0,
    recommendations=(
        (50, _("Few residents have taken a lesson: assign the fire-safety and evacuation "
               "lessons to every household, and record the offline sessions held in the "
               "activity room.")),
        (100, _("Fewer than half the residents were trained this year: assign a lesson to the "
                "buildings with the lowest coverage and follow up through the building "
                "leads.")),
    ))
def training_coverage(community_ids, at):
    from resilience.participation.models.education import LessonCompletion

    trained = common.grouped(
        LessonCompletion.objects.filter(resident__community_id__in=community_ids, passed=True,
                                        completed_at__gt=at - common.YEAR, completed_at__lte=at,
                                        resident__created__lte=at),
        "resident__community", n=Count("resident", distinct=True))
    people = common.residents(community_ids, at)
    return {cid: common.ratio(trained.get(cid, {}).get("n", 0), people[cid],
                              part_name="trained", whole_name="residents")
            for cid in community_ids}


@indicator(
    "drill_participation", Dimension.SOCIAL,
    name=_("Households taking part in drills"),
    definition=_("Households recorded present over the households in the drill's area (its "
                 "building, grid or the whole community), summed over the drills held in the 12 "
                 "months before the time."),
    unit=_("share of households"), target=0.5, worst=0.0,
    recommendations=(
        (50, _("Few households take part in drills: hold drills at weekends or in the evening, "
               "announce them a week ahead, and tick attendance building by building on a "
               "phone.")),
        (100, _("Fewer than half the households take part: hold a short drill per building "
                "with the building lead, where the turnout was lowest.")),
    ))
def drill_participation(community_ids, at):
    from resilience.participation.models.drills import Drill, DrillParticipation
    from resilience.participation.vocab_learning import DrillStatus

    drills = list(Drill.objects.filter(
        community_id__in=community_ids, status=DrillStatus.DONE,
        planned_at__gt=at - common.YEAR, planned_at__lte=at).values_list(
        "pk", "community_id", "grid_id", "building_id"))
    present = {pk: row["n"] for pk, row in common.grouped(
        DrillParticipation.objects.filter(drill_id__in=[d[0] for d in drills], present=True),
        "drill", n=Count("household", distinct=True)).items()} if drills else {}
    return _over_areas(community_ids, at, drills, present, "present", "drills")


def _over_areas(community_ids, at, areas, answered: dict[int, int], part_name: str,
                held_name: str) -> dict:
    """Households that answered over households reached, summed over drills or surveys given
    as ``(pk, community, grid, building)``."""
    reached = common.households_in_areas(areas, at)
    in_scope: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    held: dict[int, int] = defaultdict(int)
    for pk, cid, _grid, _building in areas:
        in_scope[cid] += reached[pk]
        total[cid] += answered.get(pk, 0)
        held[cid] += 1
    return {cid: common.ratio(total[cid], in_scope[cid], part_name=part_name,
                              whole_name="households_in_scope", **{held_name: held[cid]})
            for cid in community_ids}


@indicator(
    "survey_response_rate", Dimension.SOCIAL,
    name=_("Households answering needs surveys"),
    definition=_("Households that answered over the households in each survey's area (its "
                 "building, grid or the whole community), summed over the needs surveys sent in "
                 "the 12 months before the time."),
    unit=_("share of households"), target=0.8, worst=0.0,
    recommendations=(
        (50, _("Fewer than two households in five answer needs surveys: have grid workers "
               "collect paper answers door to door in the buildings with the fewest answers and "
               "enter them as paper responses.")),
        (100, _("Some households do not answer needs surveys: keep surveys short, send them "
                "through the building groups and remind once before they close.")),
    ))
def survey_response_rate(community_ids, at):
    from resilience.relief.models import Survey, SurveyResponse

    surveys = list(Survey.objects.filter(
        community_id__in=community_ids, opened_at__isnull=False,
        opened_at__gt=at - common.YEAR, opened_at__lte=at).values_list(
        "pk", "community_id", "grid_id", "building_id"))
    answered = {pk: row["n"] for pk, row in common.grouped(
        SurveyResponse.objects.filter(survey_id__in=[s[0] for s in surveys], created__lte=at),
        "survey", n=Count("household", distinct=True)).items()} if surveys else {}
    return _over_areas(community_ids, at, surveys, answered, "answered", "surveys")


@indicator(
    "reports_answered_on_time", Dimension.SOCIAL,
    name=_("Resident reports answered within 48 hours"),
    definition=_("Of the resident hazard reports filed in the 12 months before the time whose "
                 "outcome is known then (answered, or older than 48 hours), the share triaged "
                 "or dismissed within 48 hours of filing."),
    unit=_("share of reports"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most resident reports wait more than two days: name a staff member to triage "
               "the reports list every working day, and tell the reporter what happens next.")),
        (100, _("Some resident reports wait more than two days: check the new reports at the "
                "start and end of each day, including those sent at weekends.")),
    ))
def reports_answered_on_time(community_ids, at):
    from resilience.participation.models.reports import Report

    answered = Q(triaged_at__isnull=False, triaged_at__lte=at)
    rows = common.grouped(
        Report.objects.filter(community_id__in=community_ids, created__gt=at - common.YEAR,
                              created__lte=at),
        known=Count("pk", filter=answered | Q(created__lt=at - REPORT_ANSWER_TIME)),
        on_time=Count("pk", filter=answered & Q(
            triaged_at__lte=F("created") + REPORT_ANSWER_TIME)))
    return common.ratios(rows, community_ids, "on_time", "known",
                         part_name="on_time", whole_name="reports_due")


@indicator(
    "vulnerable_with_emergency_contact", Dimension.SOCIAL,
    name=_("Vulnerable residents with an emergency contact"),
    definition=_("Share of the residents with a vulnerability tag whose record holds an "
                 "emergency contact's name and phone number, whom an alert also reaches."),
    unit=_("share of vulnerable residents"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most vulnerable residents have no emergency contact on record: ask for a "
               "relative's or neighbour's name and number at the next home visit to each "
               "elderly, disabled or bedridden resident.")),
        (100, _("Some vulnerable residents have no emergency contact: complete them from the "
                "vulnerable residents list, grid by grid.")),
    ))
def vulnerable_with_emergency_contact(community_ids, at):
    people = common.population(community_ids, at)
    return {cid: common.ratio(people[cid]["vulnerable_with_contact"], people[cid]["vulnerable"],
                              part_name="with_contact", whole_name="vulnerable")
            for cid in community_ids}


@indicator(
    "households_with_account", Dimension.SOCIAL,
    name=_("Households connected to the platform"),
    definition=_("Share of the households registered at the time with at least one resident "
                 "account in force, which receives in-app warnings and can vote."),
    unit=_("share of households"), target=0.8, worst=0.0,
    recommendations=(
        (50, _("Fewer than half the households have an account: help residents sign up at the "
               "committee office and at building events, younger family members on behalf of "
               "older ones.")),
        (100, _("Some households are not connected: invite them in the next notice with the "
                "sign-up steps, and help those with a language barrier in person.")),
    ))
def households_with_account(community_ids, at):
    from resilience.core.roles import Role
    from resilience.people.models import Household, Membership

    connected = Exists(Membership.objects.filter(common.valid_at(at), role=Role.RESIDENT,
                                                 household=OuterRef("pk")))
    rows = common.grouped(Household.objects.filter(community_id__in=community_ids,
                                                   created__lte=at),
                          total=Count("pk"), connected=Count("pk", filter=connected))
    return common.ratios(rows, community_ids, "connected", "total",
                         part_name="connected", whole_name="households")


# --- entered from surveys or imported: no compute function -----------------------------------

indicator(
    "households_with_kit", Dimension.SOCIAL, source=Source.SURVEY,
    name=_("Households with an emergency kit"),
    definition=_("Share of the households surveyed that keep an emergency kit (water, food, "
                 "torch, first-aid kit, radio) as in the 2020 national household emergency "
                 "supplies list."),
    unit=_("share of households"), target=0.8, worst=0.0,
    recommendations=(
        (50, _("Few households keep an emergency kit: hand out the national supplies list at "
               "the next notice and organise a group purchase of kits by building.")),
        (100, _("Some households keep no kit: remind them before the rainy season and show a "
                "kit at the next drill.")),
    ))

indicator(
    "residents_know_assembly_point", Dimension.SOCIAL, source=Source.SURVEY,
    name=_("Residents who know their assembly point"),
    definition=_("Share of the residents asked in a survey who can name the assembly point or "
                 "shelter of their building."),
    unit=_("share of residents"), target=0.9, worst=0.0,
    recommendations=(
        (50, _("Most residents do not know where to gather: post the evacuation map in each "
               "stairwell and walk the route in the next drill.")),
        (100, _("Some residents do not know their assembly point: add it to the building group "
                "chat notice and to the welcome pack for new residents.")),
    ))
