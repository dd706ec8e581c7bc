"""Care plans and follow-ups: start a plan (its first follow-up scheduled), record a follow-up
(the next one scheduled in the same transaction), and the overdue and "my follow-ups" lists."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.scope import can, can_any
from resilience.health.models import CarePlan, FollowUp
from resilience.health.services.archives import acting
from resilience.health.vocab import CarePlanKind, FollowUpKind


def start_care_plan(user, resident, *, kind: str, interval_days: int, assignee=None,
                    first_on: dt.date | None = None, goal: str = "") -> CarePlan:
    """A care plan for ``resident`` and its first follow-up (``first_on``, default today)."""
    if not can_any(user, "add", CarePlan):
        raise PermissionDenied(_("Only health workers may start care plans."))
    if kind not in CarePlanKind.values:
        raise ValidationError({"kind": _("Choose the kind of care plan.")})
    plan = CarePlan(resident=resident, community_id=resident.community_id, kind=kind,
                    interval_days=interval_days, assignee=assignee or user, goal=goal)
    plan.clean()
    with acting(user), transaction.atomic():
        plan.save()
        if not can(user, "add", plan):
            raise PermissionDenied(_("The resident lives outside your community."))
        FollowUp.objects.create(resident=resident, community_id=resident.community_id,
                                care_plan=plan, assignee=plan.assignee,
                                scheduled_on=first_on or timezone.localdate(),
                                kind=FollowUpKind.VISIT)
    return plan


def schedule(user, resident, *, scheduled_on: dt.date, kind: str = FollowUpKind.VISIT,
             care_plan: CarePlan | None = None, referral=None, assignee=None) -> FollowUp:
    """One follow-up of ``resident`` on ``scheduled_on``."""
    followup = FollowUp(resident=resident, community_id=resident.community_id, kind=kind,
                        scheduled_on=scheduled_on, care_plan=care_plan, referral=referral,
                        assignee=assignee or (care_plan.assignee if care_plan else None) or user)
    followup.clean()
    with acting(user), transaction.atomic():
        followup.save()
        if not can(user, "add", followup):
            raise PermissionDenied(_("The resident lives outside your community."))
    return followup


def record(user, followup: FollowUp, *, outcome: str, next_on: dt.date | None = None,
           done_at: dt.datetime | None = None) -> tuple[FollowUp, FollowUp | None]:
    """Record that the follow-up happened, with its outcome; the next one is scheduled on
    ``next_on`` (default: the care plan's interval after today, if the plan is active).
    Returns (this follow-up, the next one or None)."""
    if not (outcome or "").strip():
        raise ValidationError({"outcome": _("Write what you found.")})
    done_at = done_at or timezone.now()
    today = timezone.localdate(done_at)
    if next_on is not None and next_on <= today:
        raise ValidationError({"next_on": _("The next follow-up must be after today.")})
    with acting(user), transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not record this follow-up."))
        if locked.done_at is not None:
            raise ValidationError({"outcome": _("This follow-up is already recorded.")})
        plan = locked.care_plan
        if next_on is None and plan is not None and plan.active:
            next_on = today + dt.timedelta(days=plan.interval_days)
        locked.done_at, locked.outcome, locked.next_on = done_at, outcome.strip(), next_on
        locked.recorded_by = user
        locked.save()
        following = None
        if next_on is not None:
            following = FollowUp.objects.create(
                resident_id=locked.resident_id, community_id=locked.community_id,
                care_plan=plan, referral_id=locked.referral_id, kind=locked.kind,
                scheduled_on=next_on, assignee_id=locked.assignee_id or user.pk)
    for field in ("done_at", "outcome", "next_on", "recorded_by_id"):
        setattr(followup, field, getattr(locked, field))
    return followup, following


def open_followups(user):
    """Follow-ups ``user`` may see that are not done yet, soonest first."""
    return (FollowUp.objects.visible_to(user, "view").filter(done_at__isnull=True)
            .select_related("resident", "care_plan", "assignee").order_by("scheduled_on", "id"))


def overdue(user, today: dt.date | None = None, assignee=None):
    """Open follow-ups scheduled before ``today``; of one health worker with ``assignee``."""
    today = today or timezone.localdate()
    found = open_followups(user).filter(scheduled_on__lt=today)
    return found.filter(assignee=assignee) if assignee is not None else found


def mine(user, today: dt.date | None = None, days_ahead: int = 7):
    """The health worker's own open follow-ups: overdue, today's, and the next ``days_ahead``."""
    today = today or timezone.localdate()
    return open_followups(user).filter(
        assignee=user, scheduled_on__lte=today + dt.timedelta(days=days_ahead))


def overdue_by_worker(user, today: dt.date | None = None) -> list[dict]:
    """``[{"assignee": user or None, "count": n, "oldest": date}]`` for the overdue page."""
    from django.db.models import Count, Min

    rows = (overdue(user, today).order_by().values("assignee", "assignee__username",
                                                   "assignee__display_name")
            .annotate(count=Count("pk"), oldest=Min("scheduled_on")).order_by("-count"))
    return [{"assignee": r["assignee"],
             "name": r["assignee__display_name"] or r["assignee__username"] or _("unassigned"),
             "count": r["count"], "oldest": r["oldest"]} for r in rows]
