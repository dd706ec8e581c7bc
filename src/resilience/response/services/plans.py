"""Plans: tailored from templates, versioned, reviewed yearly."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.changelog import log_created
from resilience.core.scope import can
from resilience.response.models import Plan, PlanLevel, PlanRole, PlanTask
from resilience.response.models.plans import REVIEW_INTERVAL
from resilience.response.scenarios import COMMON_TASKS, LEVEL_CRITERIA, TEMPLATES
from resilience.response.services.common import acting
from resilience.response.vocab import PlanStatus, ResponseLevel, Scenario


def from_template(community, scenario: str, user=None, *, status: str = PlanStatus.DRAFT,
                  reviewed_on: dt.date | None = None) -> Plan:
    """A community's plan for ``scenario`` built from the template, as the next version: a
    draft to tailor, then ``put_in_force`` (the demo passes ``status`` active).

    ``user`` None means the platform itself (the demo generator); otherwise they must be allowed
    to add plans in the community.
    """
    if scenario not in TEMPLATES:
        raise ValidationError({"scenario": _("There is no template for this scenario.")})
    template = TEMPLATES[scenario]
    with acting(user), transaction.atomic():
        version = (Plan.objects.filter(community=community, scenario=scenario)
                   .aggregate(v=Max("version"))["v"] or 0) + 1
        name_zh, name_en = template["name"]
        plan = Plan(community=community, scenario=scenario, name=name_zh, name_en=name_en,
                    version=version, status=status, reviewed_on=reviewed_on,
                    resources=[{"kind": k, "name": n, "quantity": q}
                               for k, n, q in template["resources"]],
                    contacts=[{"name": community.name, "role": _("community office"),
                               "phone": community.phone or ""}])
        plan.full_clean(exclude=["previous", "reviewed_by"])
        plan.save()
        if user is not None and not can(user, "add", plan):
            raise PermissionDenied(_("You may not add a plan in this community."))
        levels = PlanLevel.objects.bulk_create(
            PlanLevel(plan=plan, level=level, criteria=zh, criteria_en=en)
            for level, (zh, en) in LEVEL_CRITERIA.items())
        tasks = [*template["tasks"], *COMMON_TASKS]
        tasks = PlanTask.objects.bulk_create(
            PlanTask(plan=plan, level=level, phase=phase, role=role, title=zh, title_en=en,
                     time_limit=minutes, order=i)
            for i, (level, phase, role, zh, en, minutes) in enumerate(tasks))
        log_created([*levels, *tasks])
    return plan


def new_version(plan: Plan, user) -> Plan:
    """A draft copy of ``plan`` (levels, tasks, roles) with the next version number."""
    if not can(user, "add", plan):
        raise PermissionDenied(_("You may not add a plan in this community."))
    with acting(user), transaction.atomic():
        version = (Plan.objects.filter(community_id=plan.community_id, scenario=plan.scenario)
                   .aggregate(v=Max("version"))["v"] or 0) + 1
        copy = Plan.objects.get(pk=plan.pk)
        copy.pk = None
        copy.id = None
        copy._state.adding = True
        copy.version, copy.previous, copy.status = version, plan, PlanStatus.DRAFT
        copy.reviewed_on, copy.reviewed_by = None, None
        copy.save()
        for model in (PlanLevel, PlanTask, PlanRole):
            rows = list(model.objects.filter(plan=plan))
            for row in rows:
                row.pk = None
                row.plan = copy
            log_created(model.objects.bulk_create(rows))
    return copy


def put_in_force(plan: Plan, user) -> Plan:
    """Make ``plan`` the version in force (reviewed today); the previous one is retired."""
    if not can(user, "change", plan):
        raise PermissionDenied(_("You may not change this plan."))
    if not plan.tasks.exists():
        raise ValidationError({"tasks": _("A plan in force needs at least one task.")})
    with acting(user), transaction.atomic():
        for other in Plan.objects.filter(community_id=plan.community_id, scenario=plan.scenario,
                                         status=PlanStatus.ACTIVE).exclude(pk=plan.pk):
            other.status = PlanStatus.RETIRED
            other.save()
        plan.status = PlanStatus.ACTIVE
        plan.reviewed_on, plan.reviewed_by = timezone.localdate(), user
        plan.save()
    return plan


def _editable(plan: Plan, user) -> None:
    if not can(user, "change", plan):
        raise PermissionDenied(_("You may not change this plan."))
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft can be edited: make a new version of "
                                           "a plan in force.")})


def add_task(plan: Plan, user, **fields) -> PlanTask:
    """Add a task to a draft plan (phase, level, role, title, time limit…)."""
    _editable(plan, user)
    task = PlanTask(plan=plan, **fields)
    task.full_clean(exclude=["plan"])
    with acting(user), transaction.atomic():
        task.save()
    return task


def set_criteria(plan: Plan, user, level: int, criteria: str, criteria_en: str = "") -> PlanLevel:
    """Write when a draft plan is activated at ``level`` (tailoring a template's criteria)."""
    _editable(plan, user)
    if level not in ResponseLevel.values:
        raise ValidationError({"level": _("Choose a response level from I to IV.")})
    if not (criteria or "").strip():
        raise ValidationError({"criteria": _("Say when the plan is activated at this level.")})
    with acting(user), transaction.atomic():
        row, _created = PlanLevel.objects.update_or_create(
            plan=plan, level=level,
            defaults={"criteria": criteria.strip(), "criteria_en": (criteria_en or "").strip()})
    return row


def remove_task(plan: Plan, user, task: PlanTask) -> None:
    """Remove a task from a draft plan."""
    _editable(plan, user)
    if task.plan_id != plan.pk:
        raise ValidationError({"task": _("This task belongs to another plan.")})
    with acting(user), transaction.atomic():
        task.delete()


def review(plan: Plan, user, on: dt.date | None = None) -> Plan:
    """Record the yearly review of a plan in force."""
    if not can(user, "change", plan):
        raise PermissionDenied(_("You may not change this plan."))
    with acting(user), transaction.atomic():
        plan.reviewed_on, plan.reviewed_by = on or timezone.localdate(), user
        plan.save()
    return plan


def review_overdue(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Plans in force never reviewed, or last reviewed more than a year ago."""
    today = today or timezone.localdate()
    return queryset.filter(status=PlanStatus.ACTIVE).filter(
        Q(reviewed_on__isnull=True) | Q(reviewed_on__lt=today - REVIEW_INTERVAL))


def in_force(community, scenario: str) -> Plan | None:
    """The plan in force for ``scenario`` in the community, if any."""
    return (Plan.objects.filter(community=community, scenario=scenario, status=PlanStatus.ACTIVE)
            .order_by("-version").first())


def assign_role(plan: Plan, user, role: str, holder, grid=None) -> PlanRole:
    """Name ``holder`` for a command role of the plan (they must work in its community)."""
    from resilience.response.services.common import works_in

    if not can(user, "change", plan):
        raise PermissionDenied(_("You may not change this plan."))
    if not works_in(holder, plan.community_id):
        raise ValidationError({"user": _("This person does not work in the plan's community.")})
    if grid is not None and grid.community_id != plan.community_id:
        raise ValidationError({"grid": _("It belongs to another community.")})
    with acting(user), transaction.atomic():
        role_row, _made = PlanRole.objects.update_or_create(
            plan=plan, role=role, user=holder, defaults={"grid": grid})
    return role_row


__all__ = ["Scenario", "add_task", "assign_role", "remove_task", "from_template", "in_force", "new_version", "put_in_force",
           "review", "review_overdue"]
