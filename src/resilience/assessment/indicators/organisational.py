"""Organisational indicators: the people who help — volunteers, grid workers — and how well they
cover the residents who need help."""
from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.assessment.catalogue import indicator
from resilience.assessment.indicators import common
from resilience.assessment.vocab import Dimension
from resilience.people.vocab import Skill

CARE_SKILLS = (Skill.FIRST_AID, Skill.MEDICAL, Skill.NURSING)


@indicator(
    "volunteers_per_1000_residents", Dimension.ORGANISATIONAL,
    name=_("Volunteers per 1,000 residents"),
    definition=_("Active volunteers registered with the community by the time, per 1,000 "
                 "residents; target 20 (2 per cent of residents, the platform's default — there "
                 "is no national figure for community emergency volunteers)."),
    unit=_("per 1,000 residents"), target=20.0, worst=0.0,
    recommendations=(
        (50, _("Fewer than 10 volunteers per 1,000 residents: recruit in each building through "
               "the building leads and the notice board, and register every volunteer with "
               "their skills and home building.")),
        (100, _("Volunteers fall short of 2 per cent of residents: recruit in the buildings "
                "with the most vulnerable residents first, so help lives next door.")),
    ))
def volunteers_per_1000_residents(community_ids, at):
    volunteers = common.counted(common.active_volunteers(community_ids, at))
    people = common.residents(community_ids, at)
    return {cid: common.ratio(volunteers.get(cid, 0), people[cid], part_name="volunteers",
                              whole_name="residents", scale=1000, digits=2)
            for cid in community_ids}


@indicator(
    "grid_workers_per_1000_households", Dimension.ORGANISATIONAL,
    name=_("Grid workers per 1,000 households"),
    definition=_("People holding a grid-worker role in force at the time in the community's "
                 "grids, per 1,000 households; target 3.3, one grid worker per grid of 300 "
                 "households as national grid-management practice asks (300–500)."),
    unit=_("per 1,000 households"), target=3.3, worst=0.0,
    recommendations=(
        (50, _("Grid workers cover far more than 500 households each: split the largest grids "
               "and ask the street office for grid workers, or name part-time ones among the "
               "building leads.")),
        (100, _("Grid workers look after more than 300 households each: add a grid worker to "
                "the largest grids and give each an account with the grid-worker role.")),
    ))
def grid_workers_per_1000_households(community_ids, at):
    workers = common.grid_workers(community_ids, at)
    homes = common.households(community_ids, at)
    return {cid: common.ratio(workers.get(cid, 0), homes.get(cid, 0), part_name="grid_workers",
                              whole_name="households", scale=1000, digits=2)
            for cid in community_ids}


@indicator(
    "grids_with_worker", Dimension.ORGANISATIONAL,
    name=_("Grids with a grid worker"),
    definition=_("Share of the community's grids where at least one person holds a grid-worker "
                 "role in force at the time."),
    unit=_("share of grids"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most grids have no grid worker: give every grid a named grid worker on the "
               "staff and roles page, so hazards, visits and roll-calls have someone to go to.")),
        (100, _("Some grids have no grid worker: name one for each, or join the grid to a "
                "neighbouring one that has.")),
    ))
def grids_with_worker(community_ids, at):
    from resilience.core.roles import Role
    from resilience.people.models import Membership
    from resilience.places.models import Grid

    staffed = Exists(Membership.objects.filter(common.valid_at(at), role=Role.GRID_WORKER,
                                               grid=OuterRef("pk")))
    rows = common.grouped(Grid.objects.filter(community_id__in=community_ids, created__lte=at),
                          total=Count("pk"), staffed=Count("pk", filter=staffed))
    return common.ratios(rows, community_ids, "staffed", "total",
                         part_name="grids_with_worker", whole_name="grids")


@indicator(
    "vulnerable_with_helper", Dimension.ORGANISATIONAL,
    name=_("Vulnerable residents with a paired helper"),
    definition=_("Share of the residents with a vulnerability tag who have a helper pairing in "
                 "force (a volunteer who checks on them first when a warning goes out or a "
                 "roll-call starts)."),
    unit=_("share of vulnerable residents"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Fewer than half of vulnerable residents have a paired helper: list those "
               "without one (Residents, filter \"vulnerable\" and \"has a paired helper: no\") "
               "and pair each with a volunteer, a neighbour first, on the helper pairings "
               "page.")),
        (100, _("Some vulnerable residents have no paired helper: pair each with a volunteer "
                "in their building or grid before the next roll-call.")),
    ))
def vulnerable_with_helper(community_ids, at):
    from resilience.people.models import Pairing, Resident
    from resilience.people.pairings import in_force

    paired = Exists(in_force(Pairing.objects.filter(resident=OuterRef("pk")),
                             on=timezone.localdate(at)))
    rows = common.grouped(
        Resident.objects.filter(community_id__in=community_ids, created__lte=at)
        .exclude(tag_index=""), total=Count("pk"), helped=Count("pk", filter=Q(paired)))
    return common.ratios(rows, community_ids, "helped", "total",
                         part_name="with_helper", whole_name="vulnerable")


@indicator(
    "helpers_per_10_vulnerable", Dimension.ORGANISATIONAL,
    name=_("Helpers per 10 vulnerable residents"),
    definition=_("Grid workers and active volunteers at the time per 10 residents with a "
                 "vulnerability tag; target 2, one helper for every five people to check on in "
                 "the first hour of a roll-call (planning assumption)."),
    unit=_("per 10 vulnerable residents"), target=2.0, worst=0.0,
    recommendations=(
        (50, _("Each helper would have to check on more than ten vulnerable residents: recruit "
               "volunteers among neighbours and relatives, and ask the street office to lend "
               "helpers for roll-calls.")),
        (100, _("Each helper has more than five vulnerable residents to check on: recruit "
                "volunteers in the buildings with the most vulnerable residents.")),
    ))
def helpers_per_10_vulnerable(community_ids, at):
    workers = common.grid_workers(community_ids, at)
    volunteers = common.counted(common.active_volunteers(community_ids, at))
    people = common.population(community_ids, at)
    return {cid: common.ratio(workers.get(cid, 0) + volunteers.get(cid, 0),
                              people[cid]["vulnerable"], part_name="helpers",
                              whole_name="vulnerable", scale=10, digits=2,
                              grid_workers=workers.get(cid, 0), volunteers=volunteers.get(cid, 0))
            for cid in community_ids}


@indicator(
    "volunteers_with_care_skills", Dimension.ORGANISATIONAL,
    name=_("Volunteers with first-aid or care skills"),
    definition=_("Share of the active volunteers at the time whose skills include first aid, "
                 "medical or nursing care."),
    unit=_("share of volunteers"), target=0.5, worst=0.0,
    recommendations=(
        (50, _("Few volunteers can give first aid: run a first-aid course with the Red Cross or "
               "the community health centre and record the skill on each volunteer who "
               "passes.")),
        (100, _("Fewer than half of volunteers have first-aid or care skills: offer the course "
                "again and invite nurses and doctors living in the community to join.")),
    ))
def volunteers_with_care_skills(community_ids, at):
    # JSON lists are searched as text: "contains" on a JSON list is not portable to SQLite.
    skills = Cast("skills", TextField())
    care = Q()
    for skill in CARE_SKILLS:
        care |= Q(skills_text__contains=f'"{skill.value}"')
    rows = common.grouped(common.active_volunteers(community_ids, at).annotate(skills_text=skills),
                          total=Count("pk"), skilled=Count("pk", filter=care))
    return common.ratios(rows, community_ids, "skilled", "total",
                         part_name="with_care_skills", whole_name="volunteers")


@indicator(
    "needs_met_on_time", Dimension.ORGANISATIONAL,
    name=_("Needs requests met on time"),
    definition=_("Share of residents' needs requests due in the 12 months before the time that "
                 "were fulfilled by their due time (the service-time target of their kind)."),
    unit=_("share of requests"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most needs requests miss their due time: assign requests to volunteers the day "
               "they arrive from the needs board, and dispatch by building in batches.")),
        (100, _("Some needs requests miss their due time: check the escalated requests each "
                "morning and keep stock of the medicines most asked for.")),
    ))
def needs_met_on_time(community_ids, at):
    from resilience.relief.models import NeedRequest
    from resilience.relief.vocab import RequestStatus

    on_time = Q(status=RequestStatus.FULFILLED, closed_at__isnull=False,
                closed_at__lte=F("due_at"))
    rows = common.grouped(
        NeedRequest.objects.filter(community_id__in=community_ids, due_at__gt=at - common.YEAR,
                                   due_at__lte=at),
        total=Count("pk"), on_time=Count("pk", filter=on_time))
    return common.ratios(rows, community_ids, "on_time", "total",
                         part_name="on_time", whole_name="requests_due")
