"""Demo data of emergency response: the seven plan templates tailored to a community.

``seed(community)`` is called by the demo generator; it is idempotent (a scenario that already
has a plan is left alone). Role holders come from the community's existing users: staff
command, grid workers lead their grids, volunteers with an account do logistics, health
workers the medical role. One plan is left with an old review so the overdue list is not empty.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from resilience.core.actor import acting_as
from resilience.core.changelog import log_created
from resilience.core.roles import Role
from resilience.people.models import Membership, Volunteer
from resilience.response.models import Plan, PlanRole
from resilience.response.scenarios import TEMPLATES
from resilience.response.services.plans import from_template
from resilience.response.vocab import CommandRole, PlanStatus, Scenario

OVERDUE_SCENARIO = Scenario.EARTHQUAKE  # its review is left more than a year old


def _holders(community) -> list[tuple[str, int, int | None]]:
    """(role, user id, grid id) for the community's people, by what they do."""
    members = list(Membership.objects.filter(community=community)
                   .values_list("role", "user_id", "grid_id").order_by("id"))
    staff = [u for r, u, _g in members if r == Role.STAFF]
    rows: list[tuple[str, int, int | None]] = []
    for role, user_id in zip((CommandRole.COMMANDER, CommandRole.DEPUTY,
                              CommandRole.COMMUNICATION), staff + staff[:1] * 3):
        rows.append((role, user_id, None))
    seen_grids = set()
    for role, user_id, grid_id in members:
        if role == Role.GRID_WORKER and grid_id not in seen_grids:
            seen_grids.add(grid_id)
            rows.append((CommandRole.GRID_LEAD, user_id, grid_id))
    medical = [u for r, u, _g in members if r == Role.HEALTH_WORKER][:1]
    rows += [(CommandRole.MEDICAL, u, None) for u in medical]
    volunteer = (Volunteer.objects.filter(community=community, active=True, user__isnull=False)
                 .values_list("user_id", flat=True).first())
    if volunteer:
        rows.append((CommandRole.LOGISTICS, volunteer, None))
    elif staff:
        rows.append((CommandRole.LOGISTICS, staff[-1], None))
    unique, seen = [], set()
    for row in rows:  # one row per role and person (a grid worker of two grids leads one)
        if row[:2] not in seen:
            seen.add(row[:2])
            unique.append(row)
    return unique


def seed(community, today: dt.date | None = None) -> list[Plan]:
    """The community's plans for every scenario with a template, in force, role holders named."""
    today = today or timezone.localdate()
    existing = set(Plan.objects.filter(community=community).values_list("scenario", flat=True))
    holders = _holders(community)
    made = []
    with acting_as(None, "demo"), transaction.atomic():
        for i, scenario in enumerate(TEMPLATES):
            if scenario in existing:
                continue
            reviewed = (today - dt.timedelta(days=400) if scenario == OVERDUE_SCENARIO
                        else today - dt.timedelta(days=30 + 20 * i))
            plan = from_template(community, scenario, status=PlanStatus.ACTIVE,
                                 reviewed_on=reviewed)
            log_created(PlanRole.objects.bulk_create(
                [PlanRole(plan=plan, role=role, user_id=user_id, grid_id=grid_id)
                 for role, user_id, grid_id in holders]))
            made.append(plan)
    return made
